"""Every row of the table of forms in ``docs/gateways.md``, over loopback against the simulator.

The table is read from the docs themselves, so a row written there is a row tested here. postSMS rows
go through the API end to end (what it answered; the call row's status, code, request id and answer,
which is how the PostgreSQL run proves no NUL reaches a text column); checkVoice rows through
``refresh_call``; checkBalance rows through the client and the admin's reading.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from django_voiceotp import services
from django_voiceotp.gateways import (
    GatewayProtocolError,
    GatewayRefused,
    GatewayUnavailable,
    Kind,
    get_gateway,
)
from django_voiceotp.gateways.base import RAW_LIMIT
from django_voiceotp.gateways.safe_text import is_safe, safe_text
from django_voiceotp.models import CallStatus, VoiceCall
from django_voiceotp.operations import balance as balances

from ..helpers import start

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parent.parent.parent / "docs" / "gateways.md"
_ROW = re.compile(r"^\| ([SCB][0-9]+) \| (\w+) \| ([0-9]{3}) \| `(.*)` \| ([^|]+) \| [^|]+ \|$")


@dataclass(frozen=True)
class Row:
    name: str
    endpoint: str
    status: int
    body: str
    read_as: str

    @property
    def word(self) -> str:
        return self.read_as.split(" ")[0] if not self.read_as.startswith("http error") else "http error"

    @property
    def code(self) -> str:
        """The code recorded: the one read (``1`` for a taken call), none for no reading."""
        if self.word == "taken":
            return "1"
        return self.read_as.split(" ")[1] if " " in self.read_as and self.word != "http error" else ""


def rows(endpoint: str) -> list[Row]:
    found = []
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if match and match[2] == endpoint:
            body = ast.literal_eval(match[4])
            found.append(Row(match[1], match[2], int(match[3]), body, match[5].strip()))
    return found


def test_the_table_is_in_the_docs_and_covers_every_reading():
    send, check, balance = rows("postSMS"), rows("checkVoice"), rows("checkBalance")
    assert (len(send), len(check), len(balance)) == (55, 18, 24)
    assert {row.word for row in send} == {
        *("taken", "pending", "repeat", "account", "money", "recipient_refused", "bad_number"),
        *("gateway_fault", "http error", "unreadable"),
    }
    assert {row.word for row in check} == {
        "answered",
        "failed",
        "pending",
        "error",
        "http error",
        "unreadable",
    }
    assert {row.word for row in balance} == {"balance", "refused", "http error", "unreadable"}
    assert any("\x00" in row.body for row in send + check + balance)


API = {
    "taken": (201, None, CallStatus.CALLING),
    "pending": (201, None, CallStatus.UNKNOWN),
    "repeat": (429, "rate_limited", CallStatus.REJECTED),
    "recipient_refused": (400, "recipient_refused", CallStatus.REJECTED),
    "bad_number": (400, "invalid_phone", CallStatus.REJECTED),
    "account": (502, "provider_rejected", CallStatus.REJECTED),
    "money": (502, "provider_rejected", CallStatus.REJECTED),
    "gateway_fault": (503, "provider_unavailable", CallStatus.UNKNOWN),
    "unreadable": (503, "provider_unavailable", CallStatus.UNKNOWN),
    "http error": (503, "provider_unavailable", CallStatus.UNKNOWN),
}
"""What the API answers and what the call becomes, for each reading: the same as for a bare code."""


@pytest.mark.parametrize("row", rows("postSMS"), ids=lambda row: row.name)
def test_a_postsms_row_through_the_api(simulator, api, row):
    simulator.set_fault("body", body=row.body, status=None if row.status == 200 else row.status)
    response = start(api)
    status, machine_code, call_status = API[row.word]
    assert response.status_code == status
    assert response.json().get("code") == machine_code if machine_code else "id" in response.json()
    call = VoiceCall.objects.latest("pk")
    assert call.status == call_status
    assert call.send_code == row.code
    taken = [c.request_id for c in simulator.calls]
    assert call.request_id == (taken[-1] if "{id}" in row.body and row.word in ("taken", "pending") else None)
    said = row.body.replace("{id}", taken[-1] if taken else "")
    assert call.send_raw == safe_text(said, RAW_LIMIT)
    assert is_safe(call.send_raw)
    assert simulator.count("postSMS") == (2 if row.word == "repeat" else 1)  # repeat: one retry, new code


@pytest.mark.parametrize("row", rows("checkVoice"), ids=lambda row: row.name)
def test_a_checkvoice_row_through_refresh_call(simulator, api, row):
    assert start(api).status_code == 201
    call = VoiceCall.objects.get()
    simulator.set_fault(
        "body", body=row.body, status=None if row.status == 200 else row.status, endpoint="checkVoice"
    )
    errors = {"error": GatewayRefused, "unreadable": GatewayProtocolError, "http error": GatewayUnavailable}
    if row.word in errors:
        with pytest.raises(errors[row.word]):
            services.refresh_call(call)
    else:
        services.refresh_call(call)
    call.refresh_from_db()
    status = {"answered": CallStatus.ANSWERED, "failed": CallStatus.UNANSWERED}.get(
        row.word, CallStatus.CALLING
    )
    assert call.status == status
    assert call.check_code == row.code
    said = row.body.replace("{id}", call.request_id or "")
    assert call.check_raw == ("" if row.word == "http error" else safe_text(said, RAW_LIMIT))
    assert call.checks == (0 if row.word == "http error" else 1)


@pytest.mark.parametrize("row", rows("checkBalance"), ids=lambda row: row.name)
def test_a_checkbalance_row_through_the_client_and_the_admin_s_reading(simulator, row):
    simulator.set_fault(
        "body", body=row.body, status=None if row.status == 200 else row.status, endpoint="checkBalance"
    )
    reading = balances.fetch_balance(Decimal(0))
    if row.word == "balance":
        result = get_gateway().balance()
        assert (result.kind, result.balance) == (Kind.TAKEN, Decimal(row.code))
        assert reading.balance == Decimal(row.code)
        return
    if row.word == "refused":
        result = get_gateway().balance()
        assert (result.kind, result.code, result.balance) == (Kind.ACCOUNT, row.code, None)
        assert reading.problem == balances.CREDENTIALS
    else:
        assert reading.problem == (balances.UNREADABLE if row.word == "unreadable" else balances.HTTP_ERROR)
    assert reading.raw == safe_text(row.body, RAW_LIMIT)
    assert is_safe(reading.raw)
