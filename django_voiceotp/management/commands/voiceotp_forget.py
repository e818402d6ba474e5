"""``manage.py voiceotp_forget NUMBER``: erase a number from every challenge, call and limit the app
keeps, for a person's request to be forgotten (the GDPR's Art. 17, Decree 13/2023's Art. 16).

The number is read as the API reads it (``DEFAULT_REGION``, any separators, the old 11-digit
Vietnamese forms), of any region: the site may have stopped calling the region since. Asks first
unless ``--yes`` (or ``--noinput``); ``--dry-run`` counts what would be forgotten and changes nothing.
Output and logs show the number masked. Exit status: 0 forgotten (or counted), 1 not a number or not
confirmed, 2 the rows were forgotten but the cache could not be reached (run it again).
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import conf
from ...operations.forget import CacheNotErased, Forgotten, forget_number
from ...phones import Phone, UncallableNumber, parse_any_number

REFUSED, CACHE_FAILED = 1, 2


class Command(BaseCommand):
    help = (
        "Erase a phone number from every challenge, call and rate limit (a person's request to be "
        "forgotten), keeping only what the spend cap counts. Exit 1 for a bad number or no "
        "confirmation, 2 when the cache could not be reached."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("number", metavar="NUMBER", help="the number, in any form the API accepts")
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be forgotten, change nothing"
        )
        parser.add_argument("--yes", action="store_true", help="forget without asking first")
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="never ask: forget without asking first",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        number = self._number(options["number"])
        if options["dry_run"]:
            self._count(number)
            return
        if not options["yes"] and options["interactive"]:
            self._confirm(number)
        try:
            done = forget_number(number)
        except CacheNotErased as exc:
            raise CommandError(
                f"{number.masked}: forgot {_counts(exc.forgotten, keys=False)}, but the cache could not "
                "be reached to erase its rate limits: run the command again",
                returncode=CACHE_FAILED,
            ) from None
        self.stdout.write(f"{number.masked}: forgot {_counts(done)}")
        if done.in_flight:
            self.stdout.write(f"{done.in_flight} of its calls were in flight: waited for, and forgotten too")

    def _count(self, number: Phone) -> None:
        try:
            found = forget_number(number, dry_run=True)
        except CacheNotErased as exc:
            raise CommandError(
                f"{number.masked}: would forget {_counts(exc.forgotten, keys=False)}; the cache could not "
                "be reached to count its rate limits; nothing was changed (--dry-run)",
                returncode=CACHE_FAILED,
            ) from None
        self.stdout.write(f"{number.masked}: would forget {_counts(found)}; nothing was changed (--dry-run)")

    def _number(self, typed: str) -> Phone:
        try:
            return parse_any_number(typed, default_region=conf.get_settings().DEFAULT_REGION)
        except UncallableNumber as exc:
            raise CommandError(
                f"not a phone number the app can have kept: {exc.reason}", returncode=REFUSED
            ) from None

    def _confirm(self, number: Phone) -> None:
        if not sys.stdin.isatty():
            raise CommandError(
                "nobody can confirm here: pass --yes (or --noinput) to forget without asking",
                returncode=REFUSED,
            )
        self.stdout.write(
            f"This erases {number.masked} from every challenge, call and rate limit; it cannot be undone."
        )
        if input("Type yes to forget it: ").strip().lower() != "yes":
            raise CommandError("nothing was forgotten", returncode=REFUSED)


def _counts(found: Forgotten, *, keys: bool = True) -> str:
    counted = [f"{found.challenges} challenges", f"{found.calls} calls"]
    if keys:
        counted.append(f"{found.cache_keys} rate-limit keys")
    return f"{', '.join(counted)} and {found.prefix_blocks} blocked prefixes"
