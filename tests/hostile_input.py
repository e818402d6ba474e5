"""What an attacker types into a page's phone and code fields, for the integrations' fuzz tests.

Numbers in other scripts and with extensions, text of any length with control characters, values of
the wrong type (a form field posted twice is a list; the headless API's JSON may be anything).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from hypothesis import strategies as st

DIGIT_SCRIPTS = [
    "0123456789",
    "".join(chr(0xFF10 + d) for d in range(10)),  # fullwidth
    "٠١٢٣٤٥٦٧٨٩",  # Arabic-Indic
    "०१२३४५६७८९",  # Devanagari
]


def in_script(number: str, script: str) -> str:
    return "".join(script[int(d)] if d.isdigit() else d for d in number)


NUMBERS = st.sampled_from(
    ["0361234567", "0912345678", "+84 36 123 4567", "0281234567", "01681234567", "1900 1234"]
)
EXTENSIONS = st.sampled_from(
    ["", " ext 12", " x9", ";ext=1", ",55", "#7", " extension 123456789", "\x00", "\n7"]
)
CONTROL = st.text(st.characters(max_codepoint=31), min_size=1, max_size=8)

phone_texts = st.one_of(
    st.builds(lambda n, s, e: in_script(n, s) + e, NUMBERS, st.sampled_from(DIGIT_SCRIPTS), EXTENSIONS),
    st.builds(lambda n, e: f"tel:{n.replace(' ', '-')}{e}", NUMBERS, EXTENSIONS),
    st.builds(lambda n, c: n + c, NUMBERS, CONTROL),
    st.text(max_size=40),
    st.text(min_size=1000, max_size=5000),
)
code_texts = st.one_of(
    st.from_regex(r"[0-9]{1,8}", fullmatch=True),
    st.builds(in_script, st.from_regex(r"[0-9]{6}", fullmatch=True), st.sampled_from(DIGIT_SCRIPTS)),
    st.builds(lambda c, x: c + x, st.from_regex(r"[0-9]{6}", fullmatch=True), CONTROL),
    st.text(max_size=40),
    st.text(min_size=500, max_size=3000),
)
form_values = st.one_of(st.text(max_size=20), st.lists(st.text(max_size=8), min_size=2, max_size=3))
"""What else a form field may carry: a field posted twice (a list)."""
json_values = st.one_of(
    st.integers(),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)
"""What a JSON body may carry that is no string."""


def dialled_only_stored_numbers(received: Iterable[Any], stored_e164: Iterable[str]) -> None:
    """Every number the simulator was asked to call is the local form of a number the app stored."""
    from django_voiceotp.phones import national_from_e164

    stored = {national_from_e164(phone) for phone in stored_e164}
    for request in received:
        if request.endpoint == "postSMS":
            assert request.phone in stored, request.phone
            assert re.fullmatch(r"0[1-9][0-9]{8,9}", request.phone or "")


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def says_no_code(codes: Iterable[str], text: str, what: str = "a code the call read out is shown") -> None:
    """No code as a number of its own in ``text``; ids (the challenges', the gateway's) are hex, and a
    code's digits may start one by chance, so they are taken out first."""
    unlike_ids = _UUID.sub("<id>", text)
    for code in codes:
        assert not re.search(rf"(?<![0-9]){code}(?![0-9])", unlike_ids), what


def shows_no_code(codes: Iterable[str], *pages: bytes) -> None:
    text = b"\n".join(re.sub(rb'value="[A-Za-z0-9]{32,}"', b"", page) for page in pages).decode(
        errors="replace"
    )
    says_no_code(codes, text, "a code the call read out is on a page")
