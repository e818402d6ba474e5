"""``manage.py voiceotp_balance``: each gateway's balance for a person or a monitoring check.

Exit status: 0 when every balance asked is above ``LOW_BALANCE``, 1 when one is at or below it, 2 when
a gateway could not say (timeout, HTTP error, unreadable answer, wrong credentials): the worst of the
gateways asked, so that one check watches them all.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...gateways import get_gateways
from ...operations.balance import BalanceReading, read_balance

OK, LOW, FAILED = 0, 1, 2


class Command(BaseCommand):
    help = (
        "Print each gateway's balance; exit 1 when one is at or below VOICEOTP['LOW_BALANCE'], 2 when "
        "a gateway fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--gateway", metavar="NAME", help="ask only this gateway (its NAME in GATEWAYS)")

    def handle(self, *args: Any, **options: Any) -> None:
        gateways = get_gateways()
        if options["gateway"] is not None:
            gateways = [g for g in gateways if g.label == options["gateway"]]
            if not gateways:
                names = ", ".join(g.label for g in get_gateways())
                raise CommandError(f"no gateway is named {options['gateway']!r}: the site has {names}")
        named = len(get_gateways()) > 1
        status = max(self._show(read_balance(gateway, refresh=True), named) for gateway in gateways)
        if status != OK:
            raise SystemExit(status)

    def _show(self, reading: BalanceReading, named: bool) -> int:
        message = reading.named_message if named else reading.message
        if not reading.ok:
            self.stderr.write(message)
            if reading.raw:
                self.stderr.write(f"The gateway answered: {reading.raw}")
            return FAILED
        if reading.low:
            self.stdout.write(self.style.WARNING(message))
            return LOW
        self.stdout.write(message)
        return OK
