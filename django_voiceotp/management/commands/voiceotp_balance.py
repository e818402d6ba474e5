"""``manage.py voiceotp_balance``: the gateway balance for a person or a monitoring check.

Exit status: 0 when the balance is above ``LOW_BALANCE``, 1 at or below it, 2 when the gateway could
not say (timeout, HTTP error, unreadable answer, wrong credentials).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ...operations.balance import read_balance

OK, LOW, FAILED = 0, 1, 2


class Command(BaseCommand):
    help = "Print the gateway balance; exit 1 at or below VOICEOTP['LOW_BALANCE'], 2 when the gateway fails."

    def handle(self, *args: Any, **options: Any) -> None:
        reading = read_balance(refresh=True)
        if not reading.ok:
            self.stderr.write(reading.message)
            if reading.raw:
                self.stderr.write(f"The gateway answered: {reading.raw}")
            raise SystemExit(FAILED)
        if reading.low:
            self.stdout.write(self.style.WARNING(reading.message))
            raise SystemExit(LOW)
        self.stdout.write(reading.message)
