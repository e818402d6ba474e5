"""Reading the gateway's answers: liberal in what it accepts, and nothing escapes but our own error."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from django_voiceotp.gateways.base import GatewayProtocolError
from django_voiceotp.gateways.onsms.parsing import (
    parse_balance_answer,
    parse_check_answer,
    parse_send_answer,
)

RID = "1dc7b7eb-a9e7-4162-91cd-6027d95b290c"


@pytest.mark.parametrize(
    "text",
    [
        f"1,,,{RID}",
        f"RESULT: 1,,,{RID}",
        f"result:1,,,{RID}",
        f"RESULT 1,,,{RID}",
        f'"1,,,{RID}"',
        f'"RESULT: 1,,,{RID}"',
        f"RESULT: '1,,,{RID}'",
        f"\ufeff1,,,{RID}\r\n",
        f"  1 ,,, {RID}  \n",
        f"1, , ,{RID}",
    ],
)
def test_a_taken_call_in_every_shape_seen(text):
    assert parse_send_answer(text) == (1, RID)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("6", 6),
        ("RESULT: 14", 14),
        ("-1", -1),
        ("RESULT: -8\n", -8),
        ('"27"', 27),
        ("\ufeff 31 ", 31),
    ],
)
def test_a_refusal(text, code):
    assert parse_send_answer(text) == (code, None)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "RESULT:", "OK", "<html>502 Bad Gateway</html>", "1,,", "1;;;abc", "1,,,a b", "x1"],
)
def test_unreadable_send_answers_are_protocol_errors(text):
    with pytest.raises(GatewayProtocolError) as info:
        parse_send_answer(text)
    assert info.value.raw == text[:500]


def test_protocol_error_keeps_only_the_first_500_characters():
    with pytest.raises(GatewayProtocolError) as info:
        parse_send_answer("x" * 5000)
    assert info.value.raw == "x" * 500


@pytest.mark.parametrize(
    ("text", "code"), [("1", 1), ("27", 27), ("RESULT: 23", 23), ('\ufeff"1"\n', 1), ("1,,,abc", 1)]
)
def test_check_answers(text, code):
    assert parse_check_answer(text) == code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"errorcode":"1","balance":10}', (1, Decimal(10))),
        ('{"errorcode":1,"balance":"10"}', (1, Decimal(10))),
        ('{"errorcode":"1","balance":"12345.50"}', (1, Decimal("12345.50"))),
        ('\ufeff {"ErrorCode": 1, "Balance": 0}\n', (1, Decimal(0))),
        ('{"errorcode":"0","balance":""}', (0, None)),
        ('{"errorcode":"0"}', (0, None)),
    ],
)
def test_balance_answers_with_strings_or_numbers(text, expected):
    assert parse_balance_answer(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "10",
        "[1, 10]",
        '{"balance": 10}',
        '{"errorcode": "one", "balance": 1}',
        '{"errorcode": 1, "balance": "ten"}',
        '{"errorcode": 1, "balance": "NaN"}',
        '{"errorcode": true, "balance": 1}',
        '{"errorcode": 1.5, "balance": 1}',
        '{"errorcode": "1e999999999", "balance": 1}',
        "[" * 100_000,
    ],
)
def test_unreadable_balance_answers_are_protocol_errors(text):
    with pytest.raises(GatewayProtocolError):
        parse_balance_answer(text)


@given(st.text(max_size=300))
def test_send_parser_raises_nothing_but_its_protocol_error(text):
    try:
        code, request_id = parse_send_answer(text)
    except GatewayProtocolError as exc:
        raw = exc.raw
    else:
        assert isinstance(code, int)
        assert request_id is None or 0 < len(request_id) <= 100
        return
    assert len(raw) <= 500


@given(st.text(max_size=300))
def test_check_parser_raises_nothing_but_its_protocol_error(text):
    with contextlib.suppress(GatewayProtocolError):
        assert isinstance(parse_check_answer(text), int)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["errorcode", "balance", "x"]), children, max_size=3)
    ),
    max_leaves=10,
)


@given(st.one_of(st.text(max_size=300), _json.map(lambda v: __import__("json").dumps(v))))
def test_balance_parser_raises_nothing_but_its_protocol_error(text):
    try:
        errorcode, balance = parse_balance_answer(text)
    except GatewayProtocolError:
        pass
    else:
        assert isinstance(errorcode, int)
        assert balance is None or balance.is_finite()
