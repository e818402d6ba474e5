"""The code tables: every documented code, its meanings, and what the app makes of it."""

from __future__ import annotations

import pytest

from django_voiceotp.gateways.base import Kind, Operation
from django_voiceotp.gateways.onsms import OnSmsGateway
from django_voiceotp.gateways.onsms.answer_codes import (
    BALANCE_CODES,
    CHECK_CODES,
    SEND_CODES,
    check_code,
    send_code,
)

SEND_KINDS = {
    1: Kind.TAKEN,
    27: Kind.PENDING,
    6: Kind.REPEAT,
    7: Kind.RECIPIENT_REFUSED,
    -4: Kind.BAD_NUMBER,
    10: Kind.BAD_NUMBER,
    31: Kind.BAD_NUMBER,
    -1: Kind.ACCOUNT,
    -2: Kind.ACCOUNT,
    5: Kind.ACCOUNT,
    9: Kind.ACCOUNT,
    11: Kind.ACCOUNT,
    15: Kind.ACCOUNT,
    16: Kind.ACCOUNT,
    20: Kind.ACCOUNT,
    22: Kind.ACCOUNT,
    23: Kind.ACCOUNT,
    -8: Kind.MONEY,
    14: Kind.MONEY,
    -5: Kind.GATEWAY_FAULT,
    -6: Kind.GATEWAY_FAULT,
}


def test_every_documented_send_code_is_in_the_table_and_nothing_else():
    assert set(SEND_CODES) == set(SEND_KINDS)


@pytest.mark.parametrize(("value", "kind"), sorted(SEND_KINDS.items()))
def test_send_code_classification(value, kind):
    code = send_code(value)
    assert code.kind is kind
    assert code.documented
    assert code.code == str(value)
    assert code.title_en
    assert code.title_vi


def test_check_codes():
    assert {1, 27, 23} <= set(CHECK_CODES)
    assert check_code(1).kind is Kind.TAKEN
    assert check_code(27).kind is Kind.PENDING
    assert check_code(23).kind is Kind.FAILED
    assert "BUSY" in check_code(23).title_vi


CHECK_ERRORS = [(-1, Kind.ACCOUNT), (-2, Kind.ACCOUNT), (11, Kind.ACCOUNT), (0, Kind.ACCOUNT)]


@pytest.mark.parametrize(
    ("value", "kind"), [*CHECK_ERRORS, (-5, Kind.GATEWAY_FAULT), (-6, Kind.GATEWAY_FAULT)]
)
def test_checkvoice_knows_the_account_and_request_errors_its_own_table_leaves_out(value, kind):
    """The document's checkVoice table lists its outcomes only; the gateway's account and request
    errors come from every endpoint, and reading them as "pending" hid a broken account for an hour."""
    code = check_code(value)
    assert code.kind is kind
    assert code.hint_en
    assert "does not list" in code.detail_en


def test_code_5_tells_the_operator_to_check_the_sender():
    assert "SENDER" in send_code(5).hint_en
    assert "DAUSO1" in send_code(5).hint_en
    assert "DAUS01" in send_code(5).hint_en
    assert "SENDER" in send_code(5).hint_vi


def test_every_send_code_says_what_to_do():
    assert all(meaning.hint_en and meaning.hint_vi for meaning in SEND_CODES.values() if meaning.code != "1")


def test_balance_codes():
    assert BALANCE_CODES[1].kind is Kind.TAKEN
    assert BALANCE_CODES[0].kind is Kind.ACCOUNT


def test_vietnamese_meanings_are_the_gateway_operators_words():
    assert send_code(6).title_vi == "Lặp nội dung"
    assert "đầu số 11 số" in send_code(31).title_vi
    assert send_code(14).meaning_vi.startswith("Tài khoản không đủ (tiền): ")
    assert send_code(-1).meaning_en == "User not found"


@pytest.mark.parametrize("value", [0, 2, 99, -3, -7, 1000])
def test_an_undocumented_code_is_kept_and_treated_as_a_gateway_fault(value):
    code = send_code(value)
    assert code.code == str(value)
    assert code.kind is Kind.GATEWAY_FAULT
    assert not code.documented
    assert check_code(value + 100).kind is Kind.GATEWAY_FAULT


@pytest.mark.parametrize("operation", list(Operation))
def test_the_backend_describes_every_code_of_its_tables_and_any_other_as_undocumented(operation):
    for meaning in OnSmsGateway.codes(operation):
        assert OnSmsGateway.describe(operation, meaning.code) == meaning
        assert OnSmsGateway.describe(operation, f" {meaning.code} ") == meaning
    assert not OnSmsGateway.describe(operation, "1000").documented
    assert not OnSmsGateway.describe(operation, "taken").documented
