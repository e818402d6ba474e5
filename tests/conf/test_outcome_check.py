"""voiceotp.W004: a site where nothing asks the gateway how calls went hears so from manage.py check."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from django_voiceotp import checks, tasks

from ..helpers import voiceotp

needs_framework = pytest.mark.skipif(tasks.FRAMEWORK is None, reason="needs django.tasks or django-tasks")


def backend(name: str) -> dict[str, dict[str, str]]:
    assert tasks.FRAMEWORK is not None
    return {"default": {"BACKEND": f"{tasks.FRAMEWORK.__name__}.backends.{name}"}}


def warned() -> list[str]:
    return [m.id or "" for m in checks.check_call_outcomes()]


def test_no_worker_and_no_checks_on_read_is_a_warning_that_names_the_three_ways():
    with voiceotp(POLL_ON_READ_INTERVAL=None):
        [warning] = checks.check_call_outcomes()
    assert warning.id == "voiceotp.W004"
    assert "no task backend runs tasks outside the request" in warning.msg
    hint = warning.hint or ""
    assert "db_worker" in hint
    assert "voiceotp_poll_calls from cron" in hint
    assert "SILENCED_SYSTEM_CHECKS" in hint


def test_checks_on_read_are_enough():
    assert warned() == []  # POLL_ON_READ_INTERVAL is 5 s by default


@needs_framework
def test_a_task_backend_that_runs_outside_the_request_is_enough():
    worker = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with override_settings(TASKS=worker), voiceotp(POLL_ON_READ_INTERVAL=None):
        assert warned() == []


@needs_framework
def test_the_immediate_backend_is_no_worker_and_the_dummy_one_runs_nothing():
    with override_settings(TASKS=backend("immediate.ImmediateBackend")), voiceotp(POLL_ON_READ_INTERVAL=None):
        assert warned() == ["voiceotp.W004"]
    with override_settings(TASKS=backend("dummy.DummyBackend")):  # reads leave the checks to it
        [warning] = checks.check_call_outcomes()
    assert "DummyBackend" in warning.msg


def test_development_is_left_alone():
    with override_settings(DEBUG=True), voiceotp(POLL_ON_READ_INTERVAL=None):
        assert warned() == []


def test_a_site_that_polls_from_cron_silences_it():
    def check_output() -> str:
        out = io.StringIO()
        call_command("check", stdout=out, stderr=out)
        return out.getvalue()

    with voiceotp(POLL_ON_READ_INTERVAL=None):
        assert "voiceotp.W004" in check_output()
        with override_settings(SILENCED_SYSTEM_CHECKS=[*settings.SILENCED_SYSTEM_CHECKS, "voiceotp.W004"]):
            assert "voiceotp.W004" not in check_output()
