"""A forget while calls to the number are in flight (written, the gateway's answer still to come), on
PostgreSQL with parallel writers: it waits for their answers and leaves no form of the number."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, connections

from django_voiceotp.gateways import SendResult
from django_voiceotp.gateways.locmem import LocMemGateway
from django_voiceotp.models import CallStatus, VoiceCall
from django_voiceotp.operations.forget import Forgotten, forget_number
from django_voiceotp.services import start_verification

from ..helpers import NO_LIMITS, voiceotp
from .test_forget import NUMBER, text_holding_the_number

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel writers need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

IN_FLIGHT = 4


@pytest.fixture
def held_gateway(voiceotp_gateway, monkeypatch) -> threading.Event:
    """The in-process gateway, answering (and echoing the number) only once the event is set."""
    answer = threading.Event()
    place = LocMemGateway.place_call

    def place_call(self: LocMemGateway, phone: str, code: str) -> SendResult:
        answer.wait(10)
        sent = place(self, phone, code)
        return SendResult(sent.kind, sent.code, sent.request_id, f"{sent.raw} to {phone}", 0)

    monkeypatch.setattr(LocMemGateway, "place_call", place_call)
    return answer


def in_thread(action: Any, results: list[Any]) -> threading.Thread:
    def run() -> None:
        try:
            results.append(action())
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def wait_for(condition: Any, seconds: float = 10) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def test_a_forget_during_calls_in_flight_waits_for_their_answers_and_leaves_no_number(held_gateway):
    started: list[Any] = []
    with voiceotp(RATE_LIMITS=NO_LIMITS, RESEND_COOLDOWN=0):
        requests = [
            in_thread(
                lambda i=i: start_verification(NUMBER.national, purpose=f"p{i}", client_ip=None), started
            )
            for i in range(IN_FLIGHT)
        ]
        wait_for(lambda: VoiceCall.objects.filter(phone=NUMBER.e164).count() == IN_FLIGHT)
        forgotten: list[Forgotten] = []
        forget = in_thread(lambda: forget_number(NUMBER), forgotten)
        wait_for(lambda: not VoiceCall.objects.filter(phone=NUMBER.e164).exists())
        assert forget.is_alive()  # waiting for the gateway's answers
        held_gateway.set()
        for thread in [*requests, forget]:
            thread.join(20)
    assert len(started) == IN_FLIGHT
    assert forgotten[0].in_flight == IN_FLIGHT
    calls = VoiceCall.objects.all()
    assert {call.status for call in calls} == {CallStatus.CALLING}  # answered, and still counted
    assert {(call.phone, call.request_id, call.send_raw) for call in calls} == {("", None, "")}
    assert text_holding_the_number() == []
