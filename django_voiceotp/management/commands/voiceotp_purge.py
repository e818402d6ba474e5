"""``manage.py voiceotp_purge --older-than 30d``: delete finished challenges and their calls.

Keeps what a live code needs: pending challenges whose code has not expired are never deleted, and
ages under an hour are refused outright, as are ages under the window of any guard that counts the
call rows (``DAILY_CALL_LIMIT``'s 24 hours, ``PREFIX_GUARD``'s window, ``REPEAT_WINDOW``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ...operations import purge
from ...operations.durations import format_duration, parse_duration


class Command(BaseCommand):
    help = "Delete finished challenges (and their calls) created longer ago than --older-than."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            required=True,
            help="an age of at least 1h (24h with DAILY_CALL_LIMIT, and at least PREFIX_GUARD's window and "
            "REPEAT_WINDOW): 30d, 12h, 90m, 3600s or plain seconds",
        )
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            seconds = parse_duration(options["older_than"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        floor = purge.youngest_age()
        if seconds < floor.seconds:
            raise CommandError(
                f"--older-than {options['older_than']} is under {format_duration(floor.seconds)}: "
                f"{floor.reason}, so rows that young are never purged"
            )
        cutoff = timezone.localtime(timezone.now() - timedelta(seconds=seconds)).isoformat(timespec="seconds")
        age = format_duration(seconds)
        if options["dry_run"]:
            found = purge.count(seconds)
            self.stdout.write(
                f"would delete {found.challenges} challenges and {found.calls} calls "
                f"older than {age} (created before {cutoff}); nothing was deleted (--dry-run)"
            )
            return
        done = purge.purge(seconds)
        self.stdout.write(
            f"deleted {done.challenges} challenges and {done.calls} calls "
            f"older than {age} (created before {cutoff})"
        )
