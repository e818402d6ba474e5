"""What a gateway said is made safe where it is produced: in the neutral results and errors, whoever
builds them, so no NUL reaches PostgreSQL and no newline or direction override reaches a log or a page."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from django_voiceotp.gateways.base import (
    CODE_LIMIT,
    RAW_LIMIT,
    BalanceResult,
    CallOutcome,
    CheckResult,
    GatewayProtocolError,
    GatewayRefused,
    GatewayUnavailable,
    Kind,
    SendResult,
)
from django_voiceotp.gateways.safe_text import is_safe, safe_text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("1,,,abc\r\n", "1,,,abc␍␊"),
        ("a\x00b", "a␀b"),
        ("\x1b[31mred", "␛[31mred"),
        ("del\x7f", "del␡"),
        ("\ufeff1", "<U+FEFF>1"),
        ("a\u202eb", "a<U+202E>b"),
        ("line\u2028break", "line<U+2028>break"),
        ("c1\x85", "c1<U+0085>"),
        ("lone \ud800", "lone <U+D800>"),
        ("Tiếng Việt ₫ 10.000", "Tiếng Việt ₫ 10.000"),
    ],
)
def test_control_and_invisible_characters_are_shown_not_kept(text, shown):
    assert safe_text(text) == shown
    assert is_safe(shown)


@given(st.text())
def test_safe_text_is_always_safe_and_encodable(text):
    cleaned = safe_text(text, RAW_LIMIT)
    assert is_safe(cleaned)
    assert len(cleaned) <= RAW_LIMIT
    cleaned.encode("utf-8")  # no lone surrogate: PostgreSQL and every log handler can take it


def test_results_clean_what_any_backend_gives_them():
    nasty = "x\x00" * 400 + "\n"
    send = SendResult(Kind.GATEWAY_FAULT, "4\x002" * 20, None, nasty, 1)
    check = CheckResult(CallOutcome.PENDING, "27\n", nasty, 1)
    balance = BalanceResult(Kind.TAKEN, "1", None, nasty, 1)
    for result in (send, check, balance):
        assert is_safe(result.raw)
        assert is_safe(result.code)
        assert len(result.raw) == RAW_LIMIT
        assert len(result.code) <= CODE_LIMIT
    assert send.code.startswith("4␀2")


def test_errors_clean_their_message_and_raw():
    refused = GatewayRefused(
        "checkVoice answered -1", endpoint="checkVoice", code="-1\x00", kind=Kind.ACCOUNT, raw="\x00"
    )
    errors: list[GatewayProtocolError | GatewayUnavailable | GatewayRefused] = [
        GatewayProtocolError("odd\x00", endpoint="postSMS", raw="a\x00"),
        GatewayUnavailable("odd\n", endpoint="postSMS", may_have_reached=True, raw="<html>\x00"),
        refused,
    ]
    for error in errors:
        assert is_safe(error.message)
        assert is_safe(str(error))
        assert is_safe(error.raw)
    assert refused.code == "-1␀"
