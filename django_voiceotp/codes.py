"""One-time codes: made by ``secrets``, stored only as keyed hashes, compared in constant time.

Two hashes exist for two jobs. The challenge's hash is salted per challenge, so one leaked row tells
nothing about another. The *sent* digest is keyed per number, so the app can tell that a number was
already sent a code within the gateway's repeat window (the gateway refuses the same content twice)
without keeping any code it could read back.

Every function here that holds a code hides all its variables from Django's error reports
(``sensitive_variables()``), down to the hashing it calls: a failure deep inside ``hmac`` would
otherwise show ``"<salt>:<code>"`` in a 500 mail. The marking is an assignment after each ``def``
rather than a decorator, here and in the rules, so that mutation testing (mutmut, which leaves
decorated functions alone) reaches their bodies; a test checks that every function holding a code
is marked.
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
