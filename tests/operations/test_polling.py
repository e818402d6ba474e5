"""Call outcomes without a person asking: the background task, and the refresh when the API is read."""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from django_voiceotp import conf, tasks
from django_voiceotp.models import CallStatus, OtpChallenge, VoiceCall
from django_voiceotp.signals import call_placed, call_status_changed

from ..helpers import an_interval_passes, start, voiceotp

pytestmark = pytest.mark.django_db

HAS_FRAMEWORK = tasks.FRAMEWORK is not None


@dataclass
class FakeBackend:
    supports_defer: bool = True


@dataclass
class FakeTask:
    """Stands in for a framework's task: records what was queued, and when it may run."""

    backend: FakeBackend = field(default_factory=FakeBackend)
    run_after: datetime | None = None
    queued: list[tuple[int, datetime | None]] = field(default_factory=list)
    broken: bool = False

    def get_backend(self) -> FakeBackend:
        return self.backend

    def using(self, *, run_after: datetime) -> FakeTask:
        return replace(self, run_after=run_after)

    def enqueue(self, call_id: int) -> None:
        if self.broken:
            raise RuntimeError("the queue is down")
        self.queued.append((call_id, self.run_after))


@pytest.fixture
def fake_task(monkeypatch) -> FakeTask:
    task = FakeTask()
    monkeypatch.setattr(tasks, "poll_call", task)
    monkeypatch.setattr(conf, "polls_in_background", lambda: True)
    return task


@pytest.fixture
def changes() -> Any:
    seen: list[tuple[str, str]] = []
    call_status_changed.connect(
        lambda old_status, new_status, **kw: seen.append((old_status, new_status)),
        weak=False,
        dispatch_uid="test-polling",
    )
    yield seen
    call_status_changed.disconnect(dispatch_uid="test-polling")


# -- the task module -------------------------------------------------------------------------------


def test_the_task_module_imports_without_a_task_framework(monkeypatch):
    real_import = importlib.import_module

    def no_framework(name: str, *args: Any) -> Any:
        if name in ("django.tasks", "django_tasks"):
            raise ImportError(name)
        return real_import(name, *args)

    monkeypatch.setattr(importlib, "import_module", no_framework)
    module = importlib.reload(tasks)
    try:
        assert module.FRAMEWORK is None
        assert callable(module.poll_call)
        assert not hasattr(module.poll_call, "enqueue")
    finally:
        monkeypatch.undo()
        importlib.reload(tasks)
        call_placed.connect(
            tasks.schedule_poll, weak=False, dispatch_uid="django_voiceotp.tasks.schedule_poll"
        )


def test_without_a_task_backend_placing_a_call_queues_nothing(
    simulator, api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert start(api).status_code == 201
    assert not conf.polls_in_background()
    assert callbacks == []


def test_a_placed_call_is_queued_for_a_check_after_the_poll_interval(
    simulator, api, fake_task, django_capture_on_commit_callbacks
):
    with voiceotp(POLL_TASK_INTERVAL=20), django_capture_on_commit_callbacks(execute=True):
        assert start(api).status_code == 201
    call = VoiceCall.objects.get()
    [(call_id, run_after)] = fake_task.queued
    assert call_id == call.pk
    assert run_after is not None
    assert timedelta(seconds=19) < run_after - timezone.now() <= timedelta(seconds=20)


def test_a_refused_call_is_not_queued(simulator, api, fake_task, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert start(api, phone="0361239914").status_code == 502
    assert fake_task.queued == []


def test_a_broken_task_backend_never_fails_the_request(
    simulator, api, fake_task, django_capture_on_commit_callbacks, caplog
):
    fake_task.broken = True
    with django_capture_on_commit_callbacks(execute=True), caplog.at_level(logging.ERROR):
        response = start(api)
    assert response.status_code == 201
    assert response.json()["call_status"] == "calling"
    assert "could not queue a status check of call" in caplog.text


def test_the_task_records_the_outcome_and_signals_it(simulator, api, fake_task, changes):
    start(api)
    call = VoiceCall.objects.get()
    simulator.set_outcome(call.request_id, "answered")
    assert tasks.run_poll(call.pk) == "answered"
    assert changes == [("calling", "answered")]
    assert OtpChallenge.objects.get().call_status == CallStatus.ANSWERED
    # The next check was queued before this one asked: it finds the call settled and ends the chain.
    assert [call_id for call_id, _ in fake_task.queued] == [call.pk]
    assert tasks.run_poll(call.pk) == "answered"  # finished calls are not asked again
    assert simulator.count("checkVoice") == 1
    assert len(fake_task.queued) == 1


def test_the_task_asks_again_later_while_the_call_is_pending(simulator, api, fake_task, changes):
    start(api)
    call = VoiceCall.objects.get()
    simulator.set_outcome(call.request_id, "pending")
    before = timezone.now()
    assert tasks.run_poll(call.pk) == "calling"
    [(call_id, run_after)] = fake_task.queued
    assert call_id == call.pk
    assert run_after is not None
    assert timedelta(seconds=10) < run_after - before <= timedelta(seconds=12)  # the interval, and a second
    an_interval_passes()
    simulator.set_outcome(call.request_id, "failed")
    assert tasks.run_poll(call.pk) == "unanswered"
    assert changes == [("calling", "unanswered")]
    assert len(fake_task.queued) == 2
    assert simulator.count("checkVoice") == 2


def test_a_task_that_comes_early_asks_nothing_and_comes_back_when_the_call_is_due(simulator, api, fake_task):
    start(api)
    call = VoiceCall.objects.get()
    simulator.set_outcome(call.request_id, "pending")
    assert tasks.run_poll(call.pk) == "calling"
    checked_at = VoiceCall.objects.get().checked_at
    assert checked_at is not None
    assert tasks.run_poll(call.pk) == "not due"  # a second run straight after, as a cron run was
    assert simulator.count("checkVoice") == 1
    assert fake_task.queued[-1] == (call.pk, checked_at + timedelta(seconds=10))
    assert len(fake_task.queued) == 2  # still one chain: each run queues exactly one next run


def test_a_task_leaves_a_call_another_poller_holds_and_comes_back_an_interval_later(
    simulator, api, fake_task
):
    start(api)
    call = VoiceCall.objects.get()
    held_until = timezone.now() + timedelta(minutes=5)
    VoiceCall.objects.update(poll_lease_until=held_until)  # a voiceotp_poll_calls run claimed it
    before = timezone.now()
    assert tasks.run_poll(call.pk) == "not due"
    assert simulator.count("checkVoice") == 0
    [(_, run_after)] = fake_task.queued
    assert run_after is not None
    assert timedelta(seconds=10) <= run_after - before < timedelta(seconds=11)
    assert VoiceCall.objects.get().poll_lease_until == held_until  # the other poller's claim stands


def test_the_task_asks_once_only_when_the_backend_cannot_defer(simulator, api, fake_task):
    fake_task.backend = FakeBackend(supports_defer=False)
    start(api)
    call = VoiceCall.objects.get()
    simulator.set_outcome(call.request_id, "pending")
    assert tasks.run_poll(call.pk) == "calling"
    assert fake_task.queued == []


def test_the_task_survives_a_gateway_error_and_tries_again_later(simulator, api, fake_task, caplog):
    start(api)
    call = VoiceCall.objects.get()
    simulator.set_fault("http500", endpoint="checkVoice")
    before = timezone.now()
    assert tasks.run_poll(call.pk) == "calling"
    assert len(fake_task.queued) == 1
    assert "checkVoice: HTTP 500" in caplog.text
    # Held for an interval, so no other poller asks again sooner either.
    held_until = VoiceCall.objects.get().poll_lease_until
    assert held_until is not None
    assert timedelta(seconds=10) <= held_until - before < timedelta(seconds=15)
    assert VoiceCall.objects.get().checked_at is None


def test_the_task_gives_up_on_old_calls_and_forgets_deleted_ones(simulator, api, fake_task):
    start(api)
    call = VoiceCall.objects.get()
    VoiceCall.objects.update(created_at=timezone.now() - timedelta(hours=2))
    assert tasks.run_poll(call.pk) == "given up"
    assert tasks.run_poll(10**9) == "gone"
    assert simulator.count("checkVoice") == 0
    assert fake_task.queued == []


# -- a real task framework (Django 6's django.tasks, or the django-tasks backport) ---------------


needs_framework = pytest.mark.skipif(not HAS_FRAMEWORK, reason="needs django.tasks or django-tasks")


def backend_path(name: str) -> str:
    assert tasks.FRAMEWORK is not None
    return f"{tasks.FRAMEWORK.__name__}.backends.{name}"


@needs_framework
def test_with_the_dummy_backend_a_placed_call_is_queued_with_a_delay(
    simulator, api, django_capture_on_commit_callbacks
):
    with override_settings(TASKS={"default": {"BACKEND": backend_path("dummy.DummyBackend")}}):
        assert conf.polls_in_background()
        with django_capture_on_commit_callbacks(execute=True):
            start(api)
        [result] = tasks.poll_call.get_backend().results
        assert result.args == [VoiceCall.objects.get().pk]
        assert result.task.run_after > timezone.now()


@needs_framework
def test_the_real_task_refreshes_the_call_and_signals(simulator, api, changes):
    with override_settings(TASKS={"default": {"BACKEND": backend_path("dummy.DummyBackend")}}):
        start(api)
        call = VoiceCall.objects.get()
        simulator.set_outcome(call.request_id, "answered")
        assert tasks.poll_call.call(call.pk) == "answered"
    assert changes == [("calling", "answered")]


def test_an_older_call_settling_late_leaves_the_challenge_showing_its_latest_call(simulator, api, changes):
    from django_voiceotp import services

    from ..helpers import resend

    with voiceotp(RESEND_COOLDOWN=0):
        challenge_id = start(api).json()["id"]
        assert resend(api, challenge_id).status_code == 200
    first, second = VoiceCall.objects.order_by("created_at", "pk")
    simulator.set_outcome(first.request_id, "answered")
    assert services.refresh_call(first)
    assert first.status == "answered"  # the new state, without a second read
    assert first.checks == 1
    assert OtpChallenge.objects.get().call_status == "calling"  # still the second call's

    simulator.set_outcome(second.request_id, "failed")
    assert services.refresh_call(second)
    assert OtpChallenge.objects.get().call_status == "unanswered"
    assert changes == [("calling", "answered"), ("calling", "unanswered")]


@needs_framework
def test_the_immediate_backend_counts_as_no_background_polling():
    with override_settings(TASKS={"default": {"BACKEND": backend_path("immediate.ImmediateBackend")}}):
        assert not conf.polls_in_background()


# -- refreshing on read ----------------------------------------------------------------------------


def read(api, challenge_id: str) -> dict[str, Any]:
    response = api.get(f"/api/otp/challenges/{challenge_id}/")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def placed_a_while_ago(api, simulator, outcome: str = "pending", seconds: int = 30) -> str:
    challenge_id: str = start(api).json()["id"]
    call = VoiceCall.objects.get()
    simulator.set_outcome(call.request_id, outcome)
    earlier = timezone.now() - timedelta(seconds=seconds)
    OtpChallenge.objects.update(created_at=earlier)
    VoiceCall.objects.update(created_at=earlier)
    return challenge_id


def test_reading_a_stale_call_asks_the_gateway_once_per_interval(simulator, api):
    challenge_id = placed_a_while_ago(api, simulator)
    for _ in range(5):
        assert read(api, challenge_id)["call_status"] == "calling"
    assert simulator.count("checkVoice") == 1
    assert VoiceCall.objects.get().checks == 1


def test_reading_shows_the_outcome_the_gateway_just_gave(simulator, api, changes):
    challenge_id = placed_a_while_ago(api, simulator, outcome="answered")
    assert read(api, challenge_id)["call_status"] == "answered"
    assert changes == [("calling", "answered")]


def test_parallel_readers_ask_once_even_when_the_call_looks_stale_again(simulator, api):
    challenge_id = placed_a_while_ago(api, simulator)
    read(api, challenge_id)
    VoiceCall.objects.update(checked_at=timezone.now() - timedelta(seconds=30))  # as another reader saw it
    read(api, challenge_id)
    assert simulator.count("checkVoice") == 1


def test_a_fresh_call_is_not_asked_about_on_read(simulator, api):
    challenge_id = start(api).json()["id"]
    read(api, challenge_id)
    assert simulator.count("checkVoice") == 0


def test_a_gateway_error_on_read_is_logged_and_the_challenge_shown(simulator, api, caplog):
    challenge_id = placed_a_while_ago(api, simulator)
    simulator.set_fault("http500", endpoint="checkVoice")
    assert read(api, challenge_id)["call_status"] == "calling"
    assert "on read failed: checkVoice" in caplog.text
    assert simulator.count("checkVoice") == 1  # the quick client does not retry


@pytest.mark.parametrize("interval", [None, 0])
def test_refresh_on_read_can_be_switched_off(simulator, api, interval):
    challenge_id = placed_a_while_ago(api, simulator)
    with voiceotp(POLL_ON_READ_INTERVAL=interval):
        read(api, challenge_id)
    assert simulator.count("checkVoice") == 0


def test_reading_leaves_polling_to_the_task_backend_when_there_is_one(simulator, api, fake_task):
    challenge_id = placed_a_while_ago(api, simulator)
    read(api, challenge_id)
    assert simulator.count("checkVoice") == 0


def test_finished_challenges_are_not_asked_about_on_read(simulator, api):
    challenge_id = placed_a_while_ago(api, simulator)
    OtpChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert read(api, challenge_id)["status"] == "expired"
    assert simulator.count("checkVoice") == 0


@pytest.mark.parametrize(
    ("key", "value"),
    [("POLL_ON_READ_INTERVAL", -1), ("POLL_ON_READ_INTERVAL", "5"), ("POLL_TASK_INTERVAL", 0)],
)
def test_the_polling_settings_are_validated(key, value):
    with voiceotp(**{key: value}):
        assert [p.key for p in conf.problems()] == [key]


def test_a_cache_outage_on_read_is_logged_and_the_challenge_shown(simulator, api, monkeypatch, caplog):
    from django.core.cache import caches

    challenge_id = placed_a_while_ago(api, simulator)

    def down(*args: Any, **kwargs: Any) -> bool:
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(caches["default"], "add", down)
    assert read(api, challenge_id)["call_status"] == "calling"
    assert "refreshing call" in caplog.text
    assert simulator.count("checkVoice") == 0
