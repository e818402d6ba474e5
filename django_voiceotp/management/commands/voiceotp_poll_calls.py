"""``manage.py voiceotp_poll_calls``: ask the gateway how calls still ``calling`` or ``unknown`` went.

Run it from cron when no task backend polls calls (``* * * * * manage.py voiceotp_poll_calls``). Each
call is claimed before it is asked: runs at once (cron on several machines, ``--processes``) and the
background task split the open calls, and a call asked within ``POLL_TASK_INTERVAL`` seconds is left
for a later run. Exit status 1 when the gateway failed for any call (no answer, or an answer that is
no outcome: checkVoice's -1 for wrong credentials, 11, an undocumented code), so cron's mail or a
monitor sees it; after a line per call, one line per reason says how many calls it stopped.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ... import conf
from ...operations.durations import format_duration, parse_duration
from ...operations.polling import (
    DEFAULT_LIMIT,
    DEFAULT_MAX_AGE,
    DEFAULT_WORKERS,
    MAX_PROCESSES,
    MAX_WORKERS,
    CallPool,
    fork_problem,
    poll_calls_in_processes,
)
from ...phones import mask, national_from_e164


def age(text: str) -> int:
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if seconds < 1:
        raise argparse.ArgumentTypeError("the age must be at least 1 second")
    return seconds


def bounded(low: int, high: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}")
        return value

    return parse


class Command(BaseCommand):
    help = "Ask the gateway about calls still calling or unknown; exit 1 when the gateway failed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-age",
            type=age,
            default=DEFAULT_MAX_AGE,
            help="only calls placed within this age: 3600, 3600s, 30m, 2h, 1d (default: 1h)",
        )
        parser.add_argument(
            "--workers",
            type=bounded(1, MAX_WORKERS),
            default=DEFAULT_WORKERS,
            help=f"calls asked about at once, 1 to {MAX_WORKERS} (default: {DEFAULT_WORKERS})",
        )
        parser.add_argument(
            "--processes",
            type=bounded(1, MAX_PROCESSES),
            default=1,
            help="processes to spread the calls over, each with --workers threads: one per core for "
            "thousands of calls; more than 1 needs the fork start method (Linux, macOS) (default: 1)",
        )
        parser.add_argument(
            "--limit",
            type=bounded(1, 1_000_000),
            default=DEFAULT_LIMIT,
            help=f"at most this many calls per run, newest first (default: {DEFAULT_LIMIT})",
        )
        parser.add_argument("--dry-run", action="store_true", help="list the calls, ask nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["processes"] > 1:
            # Refused before any call is read: the same check poll_calls_in_processes makes.
            problem = fork_problem(options["processes"], options["workers"])
            if problem:
                raise CommandError(problem)
        pool = CallPool(
            interval=conf.get_settings().POLL_TASK_INTERVAL,
            max_age=options["max_age"],
            limit=options["limit"],
        )
        if options["dry_run"]:
            calls = list(pool.due())
            for call in calls:
                placed = timezone.localtime(call.created_at).isoformat(timespec="seconds")
                self.stdout.write(
                    f"would ask: {mask(national_from_e164(call.phone))} {call.status} "
                    f"request {call.request_id} placed {placed}"
                )
            self.stdout.write(
                f"{len(calls)} open calls younger than {format_duration(options['max_age'])} due for a "
                "check; nothing was asked (--dry-run)"
            )
            return
        report = poll_calls_in_processes(pool, processes=options["processes"], workers=options["workers"])
        for change in report.changes:
            self.stdout.write(
                f"{change.masked_phone} {change.old_status} -> {change.new_status} "
                f"(request {change.request_id})"
            )
        for call_id, message in report.errors:
            self.stderr.write(f"call {call_id}: {message}")
        if len(report.errors) > 1:
            for message, count in Counter(message for _, message in report.errors).most_common():
                self.stderr.write(f"why ({count} call{'s' if count != 1 else ''}): {message}")
        summary = (
            f"checked {report.checked}, changed {len(report.changes)}, "
            f"still open {report.still_open}, errors {len(report.errors)}"
        )
        if report.not_asked:
            summary += f", not asked {report.not_asked} (the gateway stopped answering)"
        self.stdout.write(summary)
        if report.failed:
            sys.exit(1)
