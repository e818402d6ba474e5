"""Background polling of placed calls, with Django's tasks framework.

``django.tasks`` on Django 6, the ``django-tasks`` backport on Django 5.2 when it is installed. A site
opts in by setting ``TASKS`` to a backend that runs tasks outside the request (a database or queue
worker). Without one this module still imports and :func:`schedule_poll` does nothing: outcomes then
come from ``voiceotp_poll_calls`` on a cron, or from API reads (``POLL_ON_READ_INTERVAL``).

The rules do not import this module: :meth:`django_voiceotp.apps.VoiceOtpConfig.ready` connects
:func:`schedule_poll` to the ``call_placed`` signal they send.

Each open call has one chain of tasks: each run queues the next check before it asks the gateway, so
a worker killed in the middle of a check (or a task the backend loses while it runs) leaves the next
one queued, and the chain ends only when the call is settled or past the give-up age. A run claims
its call first (:mod:`django_voiceotp.operations.claims`), like ``voiceotp_poll_calls`` does, so a
call is asked by one poller at a time and at most once per ``POLL_TASK_INTERVAL`` whoever asks.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import conf, services
from .gateways import GatewayError
from .models import OPEN_CALL_STATUSES, VoiceCall
from .operations import claims
from .operations.polling import DEFAULT_MAX_AGE

logger = logging.getLogger("django_voiceotp.tasks")

GIVE_UP_AFTER = DEFAULT_MAX_AGE
"""Seconds after placing a call that its task stops asking; ``voiceotp_poll_calls`` uses the same age."""
CHAIN_SLACK = 1
"""Seconds the next check is queued after the call falls due. A check's time is stamped when the
gateway answers, after the run that queued the next one began: without this the next run would come
a moment early and have to queue itself again."""


def _framework() -> ModuleType | None:
    name = conf.tasks_framework()
    try:
        return importlib.import_module(name) if name else None
    except ImportError:
        return None


FRAMEWORK = _framework()


def _as_task(func: Callable[[int], str]) -> Any:
    """``func`` as a task of the framework, or as itself when there is none or it refuses the task."""
    if FRAMEWORK is None:
        return func
    try:
        return FRAMEWORK.task(func)
    except Exception:
        logger.exception("could not declare the voice OTP polling task; polling by task is off")
        return func


@_as_task
def poll_call(call_id: int) -> str:
    """Ask the gateway how call ``call_id`` went; while it is still open, ask again later."""
    return run_poll(call_id)


def run_poll(call_id: int) -> str:
    """One check of one call (the task's body); returns what became of it, for the task's result."""
    now = timezone.now()
    call = VoiceCall.objects.filter(pk=call_id).first()
    if call is None:
        return "gone"
    if call.status not in OPEN_CALL_STATUSES or not call.request_id:
        return call.status
    if now - call.created_at > timedelta(seconds=GIVE_UP_AFTER):
        return "given up"
    interval = conf.get_settings().POLL_TASK_INTERVAL
    due = claims.next_check_at(call, interval=interval, now=now)
    if due > now:
        # Checked since this run was queued, or another poller holds it: come back when it falls
        # due, as the one next run of this call's chain.
        enqueue(call_id, run_after=due, again=True)
        return "not due"
    enqueue(call_id, run_after=now + timedelta(seconds=interval + CHAIN_SLACK), again=True)
    candidates = claims.claimable(now, interval=interval, max_age=GIVE_UP_AFTER).filter(pk=call_id)
    claimed = claims.claim(candidates, count=1, now=now)
    if not claimed:
        return "claimed by another poller"
    call = claimed[0]  # as it was when claimed: another poller may have settled it since it was read
    try:
        services.refresh_call(call)
    except GatewayError as exc:
        held = claims.hold_after_failure(call, exc, interval=interval)
        logger.warning("checkVoice for call %s failed: %s (asked again in %d s)", call_id, exc.message, held)
    return call.status


def schedule_poll(call: VoiceCall, **signal: Any) -> None:
    """Have the task framework check ``call`` once the placing transaction commits (if it polls): the
    ``call_placed`` receiver."""
    if conf.polls_in_background() and hasattr(poll_call, "enqueue"):
        call_id = call.pk
        transaction.on_commit(lambda: enqueue(call_id))


def enqueue(call_id: int, *, run_after: datetime | None = None, again: bool = False) -> bool:
    """Queue a check of the call at ``run_after`` (``POLL_TASK_INTERVAL`` seconds from now by default);
    False if it was not queued.

    A backend that cannot defer gets the first check at once and no later ones (``again``). Any error
    is logged, never raised: the call is placed, and a broken task backend must not fail its request.
    """
    try:
        task = poll_call
        if task.get_backend().supports_defer:
            delay = timedelta(seconds=conf.get_settings().POLL_TASK_INTERVAL)
            task = task.using(run_after=run_after or timezone.now() + delay)
        elif again:
            return False
        task.enqueue(call_id)
    except Exception:
        logger.exception("could not queue a status check of call %s", call_id)
        return False
    return True
