"""What operators see of the gateway's answers in the admin: the raw answers on a call's page (safely
escaped, secrets redacted), what to do about each code, the calls whose checks the gateway refuses,
and an unreadable balance with the answer that could not be read."""

from __future__ import annotations

import contextlib
import re

import pytest

from django_voiceotp import services
from django_voiceotp.gateways import GatewayError
from django_voiceotp.models import VoiceCall

from ..admin.pages import CALLS, CHALLENGES, GATEWAY, page, readonly
from ..conftest import SECRETS
from ..helpers import NO_LIMITS, start, voiceotp

pytestmark = pytest.mark.django_db


def refreshed(call: VoiceCall) -> None:
    with contextlib.suppress(GatewayError):
        services.refresh_call(call)


def test_a_call_page_shows_raw_answers_escaped_and_visible(simulator, api, admin_client):
    simulator.set_fault("body", body="<script>alert(1)</script>\x00\u202e 27,,,{id}", times=1)
    start(api)
    call = VoiceCall.objects.get()
    html = page(admin_client, f"{CALLS}{call.pk}/change/")
    shown = readonly(html, "send_raw_answer")
    assert shown is not None
    assert "&lt;script&gt;alert(1)&lt;/script&gt;␀&lt;U+202E&gt;" in shown
    assert "<script>alert" not in html
    assert "\x00" not in html


def test_a_refusal_s_page_says_what_to_do_check_sender_for_5(simulator, api, admin_client):
    assert start(api, phone="0361239905").status_code == 502
    call = VoiceCall.objects.get()
    html = page(admin_client, f"{CALLS}{call.pk}/change/")
    meaning = readonly(html, "send_code_meaning")
    assert meaning is not None
    assert "Brandname Not declared" in meaning
    assert "Check SENDER" in meaning
    assert "DAUS01" in meaning
    in_vietnamese = admin_client.get(f"{CALLS}{call.pk}/change/", HTTP_ACCEPT_LANGUAGE="vi")
    assert "Kiểm tra SENDER" in in_vietnamese.content.decode()


def test_the_gateway_page_lists_the_calls_whose_checks_the_gateway_refuses(simulator, api, admin_client):
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS=NO_LIMITS):
        for n in range(3):
            assert start(api, phone=f"036123470{n}").status_code == 201
    calls = list(VoiceCall.objects.order_by("pk"))
    simulator.set_fault("code", code=-1, endpoint="checkVoice", times=2)
    refreshed(calls[0])
    refreshed(calls[1])
    simulator.set_fault("body", body="<html>maintenance</html>", endpoint="checkVoice", times=1)
    refreshed(calls[2])
    html = page(admin_client, GATEWAY)
    block = html.split('id="voiceotp-check-problems"')[1].split('<div class="module"')[0]
    rows = re.findall(r'<tr class="voiceotp-check-problem">(.*?)</tr>', block, flags=re.S)
    assert len(rows) == 2
    assert '<span class="voiceotp-code">-1</span>' in rows[0]
    assert "<td>2</td>" in rows[0]
    assert "checkVoice answered -1: User not found" in rows[0]
    assert "Check USERNAME, PASSWORD and KEY" in rows[0]
    assert "could not read" in rows[1]
    assert "voiceotp_gateway --check" in rows[1]


def test_the_gateway_page_says_so_when_every_open_call_s_last_check_was_an_outcome(
    simulator, api, admin_client
):
    start(api)
    refreshed(VoiceCall.objects.get())  # 27: pending is an outcome
    assert "Every open call's last check was an outcome." in page(admin_client, GATEWAY)


def test_an_unreadable_balance_shows_what_the_gateway_said(simulator, admin_client):
    simulator.set_fault(
        "body", body='RESULT: {"errorcode":"1","balance":"<b>10.000.0</b>"}', endpoint="checkBalance"
    )
    html = page(admin_client, CHALLENGES)
    assert "The gateway&#x27;s balance answer could not be read." in html
    assert "&lt;b&gt;10.000.0&lt;/b&gt;" in html
    assert "<b>10.000.0" not in html


def test_answers_that_echo_the_secrets_show_none_of_them_anywhere(simulator, api, admin_client):
    password, key = SECRETS
    echo = f'{{"code": 9, "pass": "{password}", "key": "{key}"}}'
    simulator.set_fault("body", body=echo, times=1)
    assert start(api).status_code == 502
    code = simulator.received[-1].message
    assert code
    simulator.set_fault("body", body=f"<p>{password} {key}</p>", endpoint="checkBalance")  # its request
    pages = [page(admin_client, url) for url in (CHALLENGES, GATEWAY, CALLS)]
    pages += [
        page(admin_client, f"{CALLS}{pk}/change/") for pk in VoiceCall.objects.values_list("pk", flat=True)
    ]
    for html in pages:
        for secret in (password, key, code):
            assert not re.search(rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])", html)
    assert "[password]" in pages[-1]
