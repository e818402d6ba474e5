"""The Prometheus metrics: counters moved by real flows through the API against the simulator, labels
that stay bounded whatever callers and gateways send, gauges read at scrape time without asking the
gateway, the page's access rules, and the Grafana dashboard asking only for names that exist."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from django_voiceotp import conf
from django_voiceotp.metrics import families, labels, state
from django_voiceotp.models import CallStatus, VoiceCall
from django_voiceotp.operations.balance import read_balance
from django_voiceotp.services import refresh_call

from ..helpers import NO_LIMITS, PHONE, start, verify, wrong

pytestmark = pytest.mark.django_db

TOKEN = "t" * 40
DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "voiceotp.json"


@pytest.fixture
def metrics_on(simulator, settings):
    """The simulator's site with the metrics on, the ``login`` purpose named, no limits in the way."""
    voiceotp = {
        **settings.VOICEOTP,
        "METRICS": True,
        "METRICS_PURPOSES": ["login"],
        "RATE_LIMITS": NO_LIMITS,
        "RESEND_COOLDOWN": 0,
    }
    with override_settings(VOICEOTP=voiceotp):
        yield simulator


def value(name: str, **labelled: str) -> float:
    return families.REGISTRY.get_sample_value(name, labelled) or 0.0


def scrape(client: Any, **headers: str) -> str:
    answer = client.get("/metrics/", **headers)
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"].startswith("text/plain")
    return str(answer.content.decode())


def staff_client(client: Any) -> Any:
    user = get_user_model().objects.create_user("ops", password="x" * 20, is_staff=True)
    client.force_login(user)
    return client


def test_a_verification_moves_its_counters(metrics_on, api):
    before = {
        "called": value("voiceotp_challenges_total", purpose="login", outcome="called"),
        "calling": value("voiceotp_calls_total", gateway="onsms", status="calling"),
        "answered_1": value("voiceotp_gateway_answers_total", gateway="onsms", endpoint="send", code="1"),
        "latency": value("voiceotp_gateway_latency_seconds_count", gateway="onsms", endpoint="send"),
        "wrong": value("voiceotp_verifications_total", result="invalid_code"),
        "refused": value("voiceotp_refusals_total", code="invalid_code"),
        "verified": value("voiceotp_verifications_total", result="verified"),
        "verify_time": value("voiceotp_time_to_verify_seconds_count"),
    }
    challenge = start(api).json()
    code = metrics_on.calls[0].code
    assert verify(api, challenge["id"], wrong(code)).status_code == 400
    assert verify(api, challenge["id"], code).status_code == 200

    assert value("voiceotp_challenges_total", purpose="login", outcome="called") == before["called"] + 1
    assert value("voiceotp_calls_total", gateway="onsms", status="calling") == before["calling"] + 1
    sends = value("voiceotp_gateway_answers_total", gateway="onsms", endpoint="send", code="1")
    assert sends == before["answered_1"] + 1
    latency = value("voiceotp_gateway_latency_seconds_count", gateway="onsms", endpoint="send")
    assert latency == before["latency"] + 1
    assert value("voiceotp_verifications_total", result="invalid_code") == before["wrong"] + 1
    assert value("voiceotp_refusals_total", code="invalid_code") == before["refused"] + 1
    assert value("voiceotp_verifications_total", result="verified") == before["verified"] + 1
    assert value("voiceotp_time_to_verify_seconds_count") == before["verify_time"] + 1


def test_a_settled_call_and_its_check_are_counted(metrics_on, api):
    start(api)
    row = VoiceCall.objects.get()
    metrics_on.set_outcome(row.request_id, "answered")
    answered = value("voiceotp_calls_total", gateway="onsms", status="answered")
    checks = value("voiceotp_gateway_latency_seconds_count", gateway="onsms", endpoint="check")
    assert refresh_call(row)
    row.refresh_from_db()
    assert row.status == CallStatus.ANSWERED
    assert value("voiceotp_calls_total", gateway="onsms", status="answered") == answered + 1
    assert value("voiceotp_gateway_latency_seconds_count", gateway="onsms", endpoint="check") == checks + 1
    code = value("voiceotp_gateway_answers_total", gateway="onsms", endpoint="check", code=row.check_code)
    assert code >= 1


def test_a_refused_start_is_counted_with_its_machine_code(metrics_on, api):
    metrics_on.set_fault("code", code=14)  # no money: the site answers provider_rejected
    before = value("voiceotp_challenges_total", purpose="login", outcome="provider_rejected")
    money = value("voiceotp_gateway_answers_total", gateway="onsms", endpoint="send", code="14")
    refused = value("voiceotp_refusals_total", code="provider_rejected")
    answer = start(api)
    assert answer.json()["code"] == "provider_rejected"
    assert value("voiceotp_challenges_total", purpose="login", outcome="provider_rejected") == before + 1
    assert value("voiceotp_gateway_answers_total", gateway="onsms", endpoint="send", code="14") == money + 1
    assert value("voiceotp_refusals_total", code="provider_rejected") == refused + 1


def test_a_gateway_that_gives_no_answer_is_counted_by_what_went_wrong(metrics_on, api):
    metrics_on.set_fault("http500")
    before = value("voiceotp_gateway_answers_total", gateway="onsms", endpoint="send", code="http_error")
    start(api)
    after = value("voiceotp_gateway_answers_total", gateway="onsms", endpoint="send", code="http_error")
    assert after == before + 1


def test_a_lying_gateway_and_inventive_callers_make_no_new_series(metrics_on, api, client):
    """Fifteen undocumented answer codes and fifteen purposes of the caller's choosing: one series each
    (``undocumented``, ``other``), and neither a code, a purpose nor the number in the scrape."""
    lies = [str(code) for code in (*range(40, 50), -40, -41, -42, 777, 31337)]
    purposes = [f"p{uuid.uuid4().hex[:12]}" for _ in range(15)]
    undocumented = value(
        "voiceotp_gateway_answers_total", gateway="onsms", endpoint="send", code="undocumented"
    )
    refusals: list[str] = []
    for lie, purpose in zip(lies, purposes, strict=True):
        metrics_on.set_fault("code", code=int(lie), times=1)
        answer = start(api, purpose=purpose)
        assert answer.status_code >= 500
        refusals.append(answer.json()["code"])
    [refusal] = set(refusals)
    integrations = [f"allauth.{uuid.uuid4().hex[:12]}" for _ in range(5)]
    for purpose in integrations:  # refused by the REST API, and counted as refused
        assert start(api, purpose=purpose).json()["code"] == "invalid_request"
    purposes += integrations
    codes = value("voiceotp_gateway_answers_total", gateway="onsms", endpoint="send", code="undocumented")
    assert codes == undocumented + 15
    assert value("voiceotp_challenges_total", purpose="other", outcome=refusal) >= 15
    scraped = scrape(staff_client(client))
    label_values = set(re.findall(r'="([^"]*)"', scraped))
    assert not label_values & {*lies, *purposes}
    assert {"undocumented", "other", "allauth"} <= label_values
    for number in (PHONE, PHONE[1:], "84" + PHONE[1:]):
        assert number not in scraped


@pytest.mark.parametrize(
    ("bound", "raw", "expected"),
    [
        (labels.purpose, "django_otp:17", "django_otp"),
        (labels.purpose, "allauth.login", "allauth"),
        (labels.purpose, "allauth.x" + uuid.uuid4().hex, "allauth"),
        (labels.purpose, "login", "login"),
        (labels.purpose, "login2", "other"),
        (labels.machine_code, "invalid_code", "invalid_code"),
        (labels.machine_code, "0361234567", "other"),
        (labels.gateway, "nobody", "other"),
        (labels.gateway, "test", "test"),
        (labels.call_status, "'; DROP", "other"),
        (labels.endpoint, "postSMS?x", "other"),
    ],
)
def test_every_label_falls_back_to_one_value(metrics_on, bound, raw, expected):
    assert bound(raw) == expected


def test_an_answer_code_is_kept_only_when_the_backend_documents_it(metrics_on):
    from django_voiceotp.gateways.onsms import OnSmsGateway

    assert labels.answer_code(OnSmsGateway, "send", "14") == "14"
    assert labels.answer_code(OnSmsGateway, "send", "14 ") == "undocumented"
    assert labels.answer_code(OnSmsGateway, "nowhere", "14") == "undocumented"
    assert labels.answer_code(object, "send", "14") == "undocumented"
    assert labels.answer_code(OnSmsGateway, "send", "timeout") == "timeout"


def test_the_gauges_are_read_at_scrape_time_and_never_ask_the_gateway(metrics_on, api, client):
    staff = staff_client(client)
    asked = metrics_on.count("checkBalance")
    scraped = scrape(staff)
    assert 'voiceotp_calls_open{gateway="onsms"} 0.0' in scraped
    assert "voiceotp_gateway_balance{" not in scraped  # no reading cached: none asked for either
    assert metrics_on.count("checkBalance") == asked
    start(api)
    start(api, phone="0361234568")
    read_balance()  # as a page would: asks the gateway once and keeps the reading
    asked = metrics_on.count("checkBalance")
    scraped = scrape(staff)
    assert 'voiceotp_calls_open{gateway="onsms"} 2.0' in scraped
    assert 'voiceotp_gateway_balance{gateway="onsms"} ' in scraped
    balance = float(re.search(r'voiceotp_gateway_balance\{gateway="onsms"\} (\S+)', scraped)[1])  # type: ignore[index]
    assert balance == metrics_on.balance
    assert metrics_on.count("checkBalance") == asked


def test_the_page_is_for_staff_or_the_token_bearer(metrics_on, client, settings):
    anonymous = client.get("/metrics/")
    assert anonymous.status_code == 403
    assert b"voiceotp_" not in anonymous.content
    with override_settings(VOICEOTP={**settings.VOICEOTP, "METRICS_TOKEN": TOKEN}):
        missing = client.get("/metrics/")
        assert missing.status_code == 401
        assert missing["WWW-Authenticate"].startswith("Bearer")
        assert b"voiceotp_" not in missing.content
        for wrong_token in (TOKEN[:-1], TOKEN + "t", "T" * 40, "tét" * 14, ""):
            refused = client.get("/metrics/", HTTP_AUTHORIZATION=f"Bearer {wrong_token}")
            assert refused.status_code == 401, wrong_token
        assert client.get("/metrics/", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401
        assert "voiceotp_calls_open" in scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert "voiceotp_calls_open" in scrape(client, HTTP_AUTHORIZATION=f"bearer  {TOKEN} ")
    assert client.post("/metrics/").status_code == 405
    user = get_user_model().objects.create_user("someone", password="x" * 20)
    client.force_login(user)
    assert client.get("/metrics/").status_code == 403
    user.is_staff = True
    user.save()
    assert "voiceotp_calls_open" in scrape(client)
    assert client.get("/metrics/")["Cache-Control"].startswith("max-age=0")


def test_with_metrics_off_nothing_is_counted_or_served(simulator, api, client, settings):
    assert not conf.get_settings().METRICS
    before = value("voiceotp_challenges_total", purpose="other", outcome="called")
    start(api, purpose="something")
    assert value("voiceotp_challenges_total", purpose="other", outcome="called") == before
    assert staff_client(client).get("/metrics/").status_code == 404


def test_a_broken_metric_never_fails_the_request(metrics_on, api, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("a label that cannot be made")

    monkeypatch.setattr(labels, "purpose", broken)
    assert start(api).status_code == 201


@pytest.mark.parametrize(
    ("key", "given"),
    [
        ("METRICS", "yes"),
        ("METRICS_TOKEN", "short"),
        ("METRICS_TOKEN", "é" * 40),
        ("METRICS_PURPOSES", "login"),
        ("METRICS_PURPOSES", ["login", "not a purpose"]),
    ],
)
def test_the_metrics_settings_are_checked(settings, key, given):
    with override_settings(VOICEOTP={**settings.VOICEOTP, key: given}):
        assert [p.key for p in conf.problems()] == [key]


def test_metrics_need_prometheus_client(settings, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "prometheus_client" else real(name, *a)
    )
    with override_settings(VOICEOTP={**settings.VOICEOTP, "METRICS": True}):
        [problem] = conf.problems()
        assert "django-voiceotp[metrics]" in problem.message


def exported_names() -> set[str]:
    """Every sample name the app's metrics can give, from their descriptions."""
    names: set[str] = set()
    suffixes = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created")}
    for collector in (*families.ALL, state.STATE):
        for family in collector.describe():
            names.update(family.name + s for s in suffixes.get(family.type, ("",)))
    return names


def test_the_dashboard_asks_only_for_exported_metrics():
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    expressions: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, item in node.items():
                if key in {"expr", "query"} and isinstance(item, str):
                    expressions.append(item)
                else:
                    walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(dashboard)
    assert len(expressions) >= 8
    asked = {name for expr in expressions for name in re.findall(r"\bvoiceotp_[a-z_]+", expr)}
    exported = exported_names()
    assert asked, expressions
    assert asked <= exported, asked - exported
    # and every metric is on the dashboard somewhere
    families_asked = {re.sub(r"_(total|bucket|sum|count|created)$", "", name) for name in asked}
    families_exported = {re.sub(r"_(total|bucket|sum|count|created)$", "", name) for name in exported}
    assert families_exported <= families_asked, families_exported - families_asked


def test_switching_on_connects_the_receivers_and_builds_no_settings_snapshot(settings):
    """``ready()`` connects them: a snapshot built then would keep the DEBUG a test runner changes."""
    from django_voiceotp import signals

    assert not signals.code_checked.has_listeners()
    with override_settings(VOICEOTP={**settings.VOICEOTP, "METRICS": True}):
        assert conf._cached is None
        assert signals.code_checked.has_listeners()
        assert signals.gateway_answered.has_listeners()
    assert not signals.code_checked.has_listeners()
    assert not signals.gateway_answered.has_listeners()
