"""``voiceotp_poll_calls`` over many open calls: status checks per second.

The calls are real to the simulator: they are placed through its own ``postSMS`` (loopback POSTs, so
``checkVoice`` knows every request id), then written as ``calling`` rows, one challenge and one call
each, the way a burst of sign-ups would leave them. The command then runs twice over the same rows,
in process so that interpreter start-up is not counted:

1. with a simulator fault that answers every ``checkVoice`` with 27 (still ringing): each check is one
   gateway POST and one conditional ``UPDATE`` (and a claim's transaction per batch of calls), and the
   calls stay open;
2. with the fault cleared (the simulator answers 1, answered), over the newest ``settled`` of them:
   each check also reads the call back, finds the challenge's latest call and updates the challenge:
   the full path of a call that settles.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from django_voiceotp.gateways import get_gateway
from django_voiceotp.models import OPEN_CALL_STATUSES, CallStatus, ChallengeStatus, OtpChallenge, VoiceCall
from django_voiceotp.simulator import endings

from . import cpu
from .launcher import Simulator
from .load import Call, Feed, run_load

_SUMMARY = re.compile(r"checked (\d+), changed (\d+), still open (\d+), errors (\d+)")


@dataclass(frozen=True)
class PollPass:
    label: str
    limit: int
    processes: int
    workers: int
    seconds: float
    checked: int
    changed: int
    still_open: int
    errors: int
    exit_status: int
    poller_cpu_ms: float | None = None
    """CPU per check of the command and the processes it forked."""
    gateway_cpu_ms: float | None = None
    """CPU per check of the simulator answering them, on the same cores."""

    @property
    def per_second(self) -> float:
        return self.checked / self.seconds if self.seconds > 0 else 0.0


def _ordinary_numbers() -> Iterator[str]:
    """``035xxxxxxx`` numbers, skipping the endings on which the simulator fails on purpose (``99NN``
    refuses, ``9802`` hangs, ``9701`` rings forever, ...): every call placed here is an ordinary one."""
    special = {ending for ending, _ in endings()}
    return (n for n in (f"035{i:07d}" for i in itertools.count()) if n[-4:] not in special)


def place_calls(sim: Simulator, count: int, *, threads: int) -> tuple[list[tuple[str, str]], float, int]:
    """``count`` calls placed on the simulator: [(local phone, request_id)], the placing rate, and how
    many POSTs had to be sent again (one that failed in transit on a busy machine took no call, so it
    is simply sent again, at most three more times)."""
    todo = list(itertools.islice(_ordinary_numbers(), count))
    placed: list[tuple[str, str]] = []
    retried, rates = 0, []
    for attempt in range(4):
        calls = [
            Call("POST", f"{sim.base_url}/postSMS", sim.post_sms_payload(n, "123456"), 200, keep=True)
            for n in todo
        ]
        result = run_load(Feed(calls), threads=threads, seconds=180)
        rates.append(result.rps)
        failed = []
        for index, number in enumerate(todo):
            answer = result.kept.get(index, "")
            if answer.startswith("1,"):
                placed.append((number, answer.rsplit(",", 1)[-1]))
            else:
                failed.append(number)
        if not failed or attempt == 3:
            break
        retried += len(failed)
        todo = failed
    return placed, rates[0], retried


def insert_open_calls(placed: list[tuple[str, str]]) -> float:
    """One pending challenge and one ``calling`` call row per placed call; the seconds it took."""
    begun = time.perf_counter()
    # Calls the load phases left open belong to a simulator that has been reset since: settle them,
    # so that the command sees exactly the calls placed here.
    VoiceCall.objects.filter(status__in=OPEN_CALL_STATUSES).update(status=CallStatus.ANSWERED)
    now = timezone.now()
    challenges = [
        OtpChallenge(
            phone="+84" + phone[1:],
            purpose="poll",
            code_hash="-",
            code_salt="-",
            status=ChallengeStatus.PENDING,
            call_status=CallStatus.CALLING,
            max_attempts=5,
            max_sends=3,
            sends=1,
            created_at=now,
            expires_at=now + timedelta(seconds=300),
            resend_available_at=now,
        )
        for phone, _ in placed
    ]
    OtpChallenge.objects.bulk_create(challenges, batch_size=500)
    gateway = get_gateway().label  # a call is asked about at the gateway that placed it
    VoiceCall.objects.bulk_create(
        [
            VoiceCall(
                challenge=challenge,
                phone=challenge.phone,
                sent_digest="-",
                request_id=request_id,
                gateway=gateway,
                status=CallStatus.CALLING,
                send_code=1,
                created_at=now,
            )
            for challenge, (_, request_id) in zip(challenges, placed, strict=True)
        ],
        batch_size=500,
    )
    return time.perf_counter() - begun


def _pollers_seconds() -> float:
    """This process's CPU and its waited-for children's (the command's forked processes)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def run_command(
    label: str, *, limit: int, processes: int, workers: int, gateway_pid: int | None = None
) -> PollPass:
    out, err = io.StringIO(), io.StringIO()
    exit_status = 0
    pollers_before = _pollers_seconds()
    gateway_before = cpu.process_seconds(gateway_pid) if gateway_pid else None
    begun = time.perf_counter()
    try:
        call_command(
            "voiceotp_poll_calls",
            f"--limit={limit}",
            f"--processes={processes}",
            f"--workers={workers}",
            stdout=out,
            stderr=err,
        )
    except SystemExit as exc:  # the command exits 1 when the gateway failed for any call
        exit_status = int(exc.code or 0)
    seconds = time.perf_counter() - begun
    pollers = _pollers_seconds() - pollers_before
    gateway_after = cpu.process_seconds(gateway_pid) if gateway_pid else None
    connections.close_all()
    match = _SUMMARY.search(out.getvalue())
    checked, changed, still_open, errors = (int(g) for g in match.groups()) if match else (0, 0, 0, -1)
    per_check = 1000 / checked if checked else 0.0
    gateway = None
    if gateway_before is not None and gateway_after is not None:
        gateway = (gateway_after - gateway_before) * per_check
    return PollPass(
        label,
        limit,
        processes,
        workers,
        seconds,
        checked,
        changed,
        still_open,
        errors,
        exit_status,
        poller_cpu_ms=pollers * per_check,
        gateway_cpu_ms=gateway,
    )


def run(
    sim: Simulator, *, count: int, settled: int, processes: int, workers: int, threads: int
) -> dict[str, Any]:
    sim.control("POST", "reset")
    placed, placing_rps, retried = place_calls(sim, count, threads=threads)
    inserted_s = insert_open_calls(placed)
    sim.control("POST", "faults", {"fault": "code", "code": 27, "endpoint": "checkVoice", "times": None})
    try:
        ringing = run_command(
            "still ringing (checkVoice 27)",
            limit=count,
            processes=processes,
            workers=workers,
            gateway_pid=sim.pid,
        )
    finally:
        sim.control("DELETE", "faults")
    # As if the poll interval had passed: the command asks no call it asked within POLL_TASK_INTERVAL.
    VoiceCall.objects.filter(status__in=OPEN_CALL_STATUSES).update(checked_at=None)
    answered = run_command(
        "settled (checkVoice 1)",
        limit=min(settled, count),
        processes=processes,
        workers=workers,
        gateway_pid=sim.pid,
    )
    return {
        "calls": len(placed),
        "placing_rps": placing_rps,
        "placing_retried": retried,
        "insert_seconds": inserted_s,
        "passes": [asdict(p) | {"per_second": p.per_second} for p in (ringing, answered)],
    }
