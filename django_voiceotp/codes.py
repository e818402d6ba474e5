"""One-time codes: made by ``secrets``, stored only as keyed hashes, compared in constant time.

Two hashes for two jobs: the challenge's is salted per challenge, so one leaked row tells nothing of
another; the *sent* digest is keyed per number, so the app can tell a code was sent within the
gateway's repeat window without keeping any code it could read back.

Every function holding a code hides its variables from Django's error reports
(``sensitive_variables()``, down to the hashing: a failure inside ``hmac`` would show
``"<salt>:<code>"`` in a 500 mail), marked by an assignment after its ``def`` so that mutation testing
(mutmut leaves decorated functions alone) reaches it; a test checks that every such function is marked.
"""

from __future__ import annotations

import secrets
from collections.abc import Container

from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.debug import sensitive_variables

_CODE_SALT = "django_voiceotp.codes.challenge"
_SENT_SALT = "django_voiceotp.codes.sent"
MAX_TRIES = 1000


def generate_code(length: int, *, avoid: Container[str] = (), phone: str = "") -> str:
    """A code of ``length`` digits (leading zeros kept) whose sent digest for ``phone`` is not in
    ``avoid``: the codes this number was sent within the repeat window."""
    for _ in range(MAX_TRIES):
        code = f"{secrets.randbelow(10**length):0{length}d}"
        if not avoid or sent_digest(phone, code) not in avoid:
            return code
    raise RuntimeError("no unused code left for this number within the repeat window")


generate_code = sensitive_variables()(generate_code)


def new_salt() -> str:
    return secrets.token_hex(16)


def hash_code(code: str, salt: str) -> str:
    return salted_hmac(_CODE_SALT, f"{salt}:{code}", algorithm="sha256").hexdigest()


hash_code = sensitive_variables()(hash_code)


def code_matches(code: str, salt: str, stored_hash: str) -> bool:
    return constant_time_compare(hash_code(code, salt), stored_hash)


code_matches = sensitive_variables()(code_matches)


def sent_digest(phone: str, code: str) -> str:
    return salted_hmac(_SENT_SALT, f"{phone}:{code}", algorithm="sha256").hexdigest()


sent_digest = sensitive_variables()(sent_digest)
