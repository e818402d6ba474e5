"""The circuit breaker: a gateway that keeps failing is skipped for a while, then tried again by one
call (half open), and what that call finds closes or reopens it; shared through the cache, so every
process sees it (on Redis in the services run)."""

from __future__ import annotations

from datetime import timedelta
from threading import Barrier, Thread
from typing import Any

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from django_voiceotp import health
from django_voiceotp.gateways import get_gateways
from django_voiceotp.models import VoiceCall

from ..conftest import gateway_entry
from ..helpers import NO_LIMITS, start, voiceotp
from .test_failover import CLOSED_PORT

pytestmark = pytest.mark.django_db


def first_at(url: str, second) -> list[dict[str, Any]]:
    first = gateway_entry("first", second)
    first["OPTIONS"] = {**first["OPTIONS"], "BASE_URL": url}
    return [first, gateway_entry("second", second)]


def asked_first() -> int:
    return VoiceCall.objects.filter(gateway="first").count()


def labels() -> list[str]:
    return [gateway.label for gateway in health.in_order(get_gateways())]


def test_three_failures_in_a_row_pause_a_gateway_and_one_call_tries_it_after_the_pause(
    api, two_gateways, settings
):
    first, second = two_gateways
    healthy = settings.VOICEOTP["GATEWAYS"]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        with voiceotp(RATE_LIMITS=NO_LIMITS, RESEND_COOLDOWN=0, GATEWAYS=first_at(CLOSED_PORT, second)):
            for n in range(health.TRIP_AFTER):
                assert health.health_of("first").state == ("failing" if n else "answering")
                assert start(api, phone=f"036123450{n}").status_code == 201
            assert health.health_of("first").state == "paused"
            assert start(api, phone="0361234509").status_code == 201
            assert asked_first() == health.TRIP_AFTER  # skipped: straight to the second
        clock.shift(timedelta(seconds=health.PAUSE + 1))
        assert health.health_of("first").state == "probing"
        with voiceotp(RATE_LIMITS=NO_LIMITS, RESEND_COOLDOWN=0, GATEWAYS=healthy):
            assert start(api, phone="0361234510").status_code == 201
    assert VoiceCall.objects.filter(gateway="first").latest("created_at").request_id  # it placed this one
    assert health.health_of("first").state == "answering"
    assert first.count("postSMS") == 1


def test_a_probe_that_fails_pauses_the_gateway_again(two_gateways):
    for _ in range(health.TRIP_AFTER):
        health.failed("first", certain=False)
    with time_machine.travel(timezone.now() + timedelta(seconds=health.PAUSE + 1), tick=False):
        assert labels() == ["first", "second"]  # this caller probes
        assert labels() == ["second", "first"]  # the others go on to the next meanwhile
        health.failed("first", certain=False)
        assert health.health_of("first").state == "paused"


def test_of_many_callers_after_the_pause_exactly_one_probes(two_gateways):
    health.failed("first", certain=True)
    firsts: list[str] = []
    with time_machine.travel(timezone.now() + timedelta(seconds=health.PAUSE + 1), tick=False):
        barrier = Barrier(8)

        def ask() -> None:
            barrier.wait()
            firsts.append(labels()[0])

        threads = [Thread(target=ask) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(firsts) == ["first"] + ["second"] * 7


def test_the_account_or_the_money_pauses_at_once(two_gateways):
    health.failed("first", certain=True)
    assert health.health_of("first").state == "paused"
    assert labels() == ["second", "first"]  # still asked when every gateway before it certainly failed


def test_a_gateway_that_answers_closes_its_breaker(two_gateways):
    health.failed("first", certain=False)
    assert health.health_of("first").state == "failing"
    health.worked("first")
    assert health.health_of("first").state == "answering"


def test_a_cache_that_does_not_answer_leaves_every_gateway_in_the_site_s_order(two_gateways):
    health.failed("first", certain=True)
    broken = {"default": {"BACKEND": "tests.helpers.UnreachableCache"}}
    with override_settings(CACHES=broken):
        assert labels() == ["first", "second"]
        health.failed("first", certain=True)  # logged, never raised


def test_failures_in_parallel_all_count(two_gateways):
    barrier = Barrier(health.TRIP_AFTER * 2)

    def fail() -> None:
        barrier.wait()
        health.failed("first", certain=False)

    threads = [Thread(target=fail) for _ in range(health.TRIP_AFTER * 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert health.health_of("first").failures == health.TRIP_AFTER * 2
    assert health.health_of("first").state == "paused"


def test_a_site_s_only_gateway_is_asked_while_paused_and_its_answer_closes_the_breaker(api, simulator):
    [only] = get_gateways()
    health.failed(only.label, certain=True)
    assert health.health_of(only.label).state == "paused"
    with voiceotp(RATE_LIMITS=NO_LIMITS):
        assert start(api).status_code == 201  # nowhere else to go: asked all the same
    assert simulator.count("postSMS") == 1
    assert health.health_of(only.label).state == "answering"
