"""The three readers against every kind of text: what they read, what they refuse, and that nothing
but their documented error ever leaves them (hypothesis, on text and on bytes as the wire gives them).

The table of forms in ``docs/gateways.md`` is tested row by row over loopback in ``test_forms.py``;
these are the properties no table can list.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from django_voiceotp.gateways.base import GatewayProtocolError, Kind
from django_voiceotp.gateways.http.exchange import decode
from django_voiceotp.gateways.onsms.amounts import MAX_DIGITS
from django_voiceotp.gateways.onsms.answer_codes import send_code
from django_voiceotp.gateways.onsms.answer_forms import REQUEST_ID
from django_voiceotp.gateways.onsms.parsing import (
    parse_balance_answer,
    parse_check_answer,
    parse_send_answer,
)
from django_voiceotp.gateways.safe_text import is_safe

RID = "1dc7b7eb-a9e7-4162-91cd-6027d95b290c"

# -- answers built from the pieces a gateway's answer is made of ------------------------------------

codes = st.one_of(
    st.sampled_from(["1", "6", "-1", "27", "7", "14", "-5", "0", "01", "-01", "23", "11"]),
    st.from_regex(r"[-+]?[0-9]{1,8}", fullmatch=True),
    st.sampled_from(["\uff11", "٣", "1.0", "1e0", "+1", "--1", " 1", "0x1"]),
)
ids = st.one_of(
    st.just(RID),
    st.just(""),
    st.from_regex(r"[A-Za-z0-9_.:\-]{1,120}", fullmatch=True),
    st.text(max_size=30),
    st.sampled_from(["a b", "abc\x00", "x" * 101, "\u202eevil", "١٢٣"]),
)
separators = st.sampled_from([",,,", ",", ",,", ",,,,", " ,,, ", ", , ,", ";;;", "|", ""])
wrappers = st.sampled_from(
    [
        "{}",
        "RESULT: {}",
        "result={}",
        "Result : {}",
        '"{}"',
        "'{}'",
        "`{}`",
        '"RESULT: {}"',
        "RESULT: '{}'",
        "\ufeff{}\r\n",
        "\u200b{}\u200b",
        "  {}  \n",
        "{}\x00",
        "\x00{}",
        "RESULT RESULT: {}",
        '"{}',
        "<html>{}</html>",
    ]
)
key_names = st.sampled_from(
    [
        *("code", "errorcode", "ErrorCode", "error_code", "result", "RESULT", "status", "request_id"),
        *("requestId", "id", "transaction_id", "balance", "Balance", "so_du", "amount", "message", "x"),
    ]
)
json_values = st.one_of(
    codes,
    ids,
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.sampled_from(["10.000", "10,000.50", "1.234.567,5", "10 000 VND", "1e3", "ten"]),
)
json_answers = st.dictionaries(key_names, json_values, max_size=4).map(json.dumps)
text_answers = st.builds(lambda c, s, i: f"{c}{s}{i}", codes, separators, ids)
answers = st.builds(lambda w, t: w.replace("{}", t), wrappers, st.one_of(text_answers, json_answers))
anything = st.one_of(
    answers,
    st.text(max_size=300),
    st.binary(max_size=300).map(decode),
    json_answers,
    st.sampled_from(["[" * 5000, '{"a":' * 5000, "9" * 5000, '{"errorcode":1,"balance":' + "9" * 5000 + "}"]),
)


def raw_is_kept_safely(error: GatewayProtocolError, text: str) -> None:
    assert is_safe(error.raw)
    assert len(error.raw) <= 500
    assert error.message.startswith(f"unreadable {error.endpoint} answer (")
    assert is_safe(error.message)
    if is_safe(text):
        assert error.raw == text[:500]


@given(anything)
@example(f"1,,,{RID}\x00")
@example('{"code":"1","request_id":"abc\\u0000"}')
@example('"1,,,\\ud800"')
def test_the_send_reader_never_reads_a_success_without_a_request_id(text):
    try:
        code, request_id = parse_send_answer(text)
    except GatewayProtocolError as exc:
        raw_is_kept_safely(exc, text)
        return
    assert isinstance(code, int)
    assert -999_999 <= code <= 999_999
    if send_code(code).kind is Kind.TAKEN:
        assert request_id
    if request_id is not None:
        assert REQUEST_ID.fullmatch(request_id)
        assert request_id.isascii()
        assert is_safe(request_id)


@given(anything)
def test_the_check_reader_reads_a_code_or_raises_its_error(text):
    try:
        code = parse_check_answer(text)
    except GatewayProtocolError as exc:
        raw_is_kept_safely(exc, text)
        return
    assert isinstance(code, int)
    assert -999_999 <= code <= 999_999


@given(anything)
@example('{"errorcode":"1","balance":1' + "0" * 40 + "}")
def test_the_balance_reader_reads_a_plausible_amount_or_raises_its_error(text):
    try:
        code, balance = parse_balance_answer(text)
    except GatewayProtocolError as exc:
        raw_is_kept_safely(exc, text)
        return
    assert isinstance(code, int)
    if code == 1:
        assert balance is not None
    if balance is not None:
        assert code == 1
        assert balance.is_finite()
        assert balance.adjusted() < MAX_DIGITS


@given(st.sampled_from(["1", "6", "-1", "27", "14"]), st.sampled_from([RID, "abc", "42"]), wrappers)
def test_a_wrapping_the_readers_take_changes_nothing_of_what_is_read(code, request_id, wrapper):
    text = f"{code},,,{request_id}"
    wrapped = wrapper.replace("{}", text)
    try:
        read = parse_send_answer(wrapped)
    except GatewayProtocolError:
        assert wrapper in ("{}\x00", "\x00{}", "RESULT RESULT: {}", '"{}', "<html>{}</html>")
        return
    assert read == (int(code), request_id)


# -- decisions the table records, tested here as plain cases --------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"code": 1, "errorcode": 0, "request_id": "a"}',  # two codes
        '{"code": 1, "code": 6, "request_id": "a"}',  # one key twice
        '{"code": 1, "request_id": "a", "id": "b"}',  # two ids
        '{"code": 1, "request_id": "a b"}',  # an id with a space is no id
        '{"code": 1, "request_id": "' + "a" * 101 + '"}',
        '{"code": "1"}',
        '{"code": 1.0, "request_id": "a"}',
        "\uff11,,,abc",  # a fullwidth one
        "+1,,,abc",
        "1,,,abc,",
        "1 2",
        "1234567,,,abc",
        '[1, "abc"]',
        '{"data": {"code": 1, "request_id": "a"}}',
        "RESULT: RESULT: RESULT: RESULT: RESULT: 1,,,a",
    ],
)
def test_what_could_be_read_two_ways_or_none_is_unreadable(text):
    with pytest.raises(GatewayProtocolError):
        parse_send_answer(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"status": "success", "code": 1, "id": 42}', (1, "42")),
        ('{"errorCode": "-1", "message": "wrong user"}', (-1, None)),
        ('{"RESULT": "1,,,abc"}', (1, "abc")),
        ('{"result": "6,,,", "request_id": ""}', (6, None)),
        ('{"code": "06", "request_id": null}', (6, None)),
        ("0006", (6, None)),
        ("-05,,,", (-5, None)),
        ('"\\"RESULT: 7\\""', (7, None)),
    ],
)
def test_names_and_values_a_gateway_might_use(text, expected):
    assert parse_send_answer(text) == expected


@pytest.mark.parametrize(
    ("text", "balance"),
    [
        ('{"errorcode":"1","balance":"10.000"}', Decimal(10000)),
        ('{"errorcode":"1","balance":"10,000"}', Decimal(10000)),
        ('{"errorcode":"1","balance":"1.234.567"}', Decimal(1234567)),
        ('{"errorcode":"1","balance":"1,234,567.50"}', Decimal("1234567.50")),
        ('{"errorcode":"1","balance":"1.234.567,50"}', Decimal("1234567.50")),
        ('{"errorcode":"1","balance":"10 000 VND"}', Decimal(10000)),
        ('{"errorcode":"1","balance":"10\u00a0000đ"}', Decimal(10000)),
        ('{"errorcode":"1","balance":"10.5"}', Decimal("10.5")),
        ('{"errorcode":"1","balance":"10,50"}', Decimal("10.50")),
        ('{"errorcode":"1","balance":"0.500"}', Decimal("0.5")),
        ('{"errorcode":"1","balance":"1234.567"}', Decimal("1234.567")),
        ('{"errorcode":"1","balance":-5}', Decimal(-5)),
        ('{"errorcode":"1","balance":10.5}', Decimal("10.5")),
        ('{"errorcode":"1","balance":10,"amount":"10"}', Decimal(10)),
    ],
)
def test_balances_in_both_conventions(text, balance):
    assert parse_balance_answer(text) == (1, balance)


@pytest.mark.parametrize(
    "balance",
    [
        "10.000",
        '"1.234,567.8"',
        '"10.000.5"',
        '"1e3"',
        "1e3",
        '"+10"',
        '"ten"',
        "true",
        '"1,2,3"',
        '"10.00.000"',
    ],
)
def test_a_balance_that_would_be_a_guess_is_unreadable(balance):
    with pytest.raises(GatewayProtocolError):
        parse_balance_answer(f'{{"errorcode":"1","balance":{balance}}}')


def test_two_different_balances_are_unreadable():
    with pytest.raises(GatewayProtocolError, match="two different balances"):
        parse_balance_answer('{"errorcode":"1","balance":10,"amount":20}')


@pytest.mark.parametrize(("text", "code"), [("-2", -2), ("RESULT: -1", -1), ("-5,,,", -5)])
def test_a_bare_error_code_is_a_balance_answer(text, code):
    assert parse_balance_answer(text) == (code, None)


@pytest.mark.parametrize("text", ["0", "1", "10", "1,,,10", "RESULT: 1000"])
def test_a_bare_number_that_could_be_an_amount_is_no_balance_answer(text):
    with pytest.raises(GatewayProtocolError):
        parse_balance_answer(text)
