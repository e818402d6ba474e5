"""``manage.py voiceotp_gateway``: ask the configured gateway one question and see what it says.

``--balance`` (checkBalance), ``--call NUMBER [--code 123456]`` (postSMS: a real call, which costs
money), ``--check REQUEST_ID`` (checkVoice). Prints the gateway and how it is reached, the HTTP status,
the time taken, the answer as it came (password, key and code replaced by ``[password]``, ``[key]``,
``[code]``) and how the app read it. ``--gateway NAME`` asks that one of the site's ``GATEWAYS``
(default: the first). Exit status: 0 read as a success or an outcome, 1 read as a
refusal or an error code, 2 an answer the app cannot read, 3 no answer, 4 nothing asked (not
configured, a number it cannot call, a call not confirmed).
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import codes, conf
from ...gateways import VoiceGateway, get_gateways
from ...operations.probe import EXIT_CODES, NOT_ASKED, Probe, ask_balance, ask_call, ask_check
from ...phones import Phone, UncallableNumber, parse_phone

NOT_ASKED_EXIT = EXIT_CODES[NOT_ASKED]


def code(text: str) -> str:
    if not re.fullmatch(r"[0-9]{4,6}", text):
        raise argparse.ArgumentTypeError("the code is 4 to 6 digits (0-9)")
    return text


class Command(BaseCommand):
    help = (
        "Ask the gateway once (--balance, --call NUMBER, --check REQUEST_ID) and show its answer as it "
        "came, the HTTP status, the time and how the app read it. Exit 0 read, 1 refused or an error "
        "code, 2 unreadable, 3 no answer, 4 nothing asked."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        question = parser.add_mutually_exclusive_group(required=True)
        question.add_argument("--balance", action="store_true", help="ask checkBalance")
        question.add_argument("--call", metavar="NUMBER", help="place a real call to NUMBER (costs money)")
        question.add_argument("--check", metavar="REQUEST_ID", help="ask checkVoice how a call went")
        parser.add_argument("--gateway", metavar="NAME", help="ask this gateway (its NAME in GATEWAYS)")
        parser.add_argument("--code", type=code, help="the code --call reads out (default: a random one)")
        parser.add_argument("--yes", action="store_true", help="place the call without asking first")
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="never ask: a --call without --yes is refused",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["code"] and not options["call"]:
            raise CommandError("--code goes with --call", returncode=NOT_ASKED_EXIT)
        gateway = self._gateway(options["gateway"])
        if options["balance"]:
            probe = ask_balance(gateway)
        elif options["check"]:
            probe = ask_check(options["check"][:100], gateway)
        else:
            phone = self._number(options["call"])
            self._confirm(phone, gateway, yes=options["yes"], interactive=options["interactive"])
            length = conf.get_settings().CODE_LENGTH
            probe = ask_call(phone, options["code"] or codes.generate_code(length), gateway)
        self._show(probe)
        if probe.exit_code:
            raise SystemExit(probe.exit_code)

    def _gateway(self, name: str | None) -> VoiceGateway:
        gateways = get_gateways()
        if name is None:
            return gateways[0]
        found = next((gateway for gateway in gateways if gateway.label == name), None)
        if found is None:
            names = ", ".join(gateway.label for gateway in gateways)
            raise CommandError(
                f"no gateway is named {name[:40]!r}: the site has {names}", returncode=NOT_ASKED_EXIT
            )
        return found

    def _number(self, typed: str) -> Phone:
        values = conf.get_settings()
        try:
            return parse_phone(
                typed, default_region=values.DEFAULT_REGION, allowed_regions=values.ALLOWED_REGIONS
            )
        except UncallableNumber as exc:
            raise CommandError(
                f"not a number the site calls: {exc.reason}", returncode=NOT_ASKED_EXIT
            ) from None

    def _confirm(self, phone: Phone, gateway: VoiceGateway, *, yes: bool, interactive: bool) -> None:
        """A call costs money: asked for unless ``--yes``; refused where nobody can answer."""
        if yes:
            return
        if not interactive or not sys.stdin.isatty():
            raise CommandError(
                "placing a call costs money: pass --yes to place it without asking", returncode=NOT_ASKED_EXIT
            )
        self.stdout.write(
            f"This places a real call to {phone.masked} through the gateway {gateway.label}, and costs money."
        )
        if input("Type yes to place it: ").strip().lower() != "yes":
            raise CommandError("no call placed", returncode=NOT_ASKED_EXIT)

    def _show(self, probe: Probe) -> None:
        lines = [("gateway", probe.gateway)]
        lines += [("warning", warning) for warning in probe.warnings]
        lines.append(("asked", f"{probe.asked}, once, with no retry"))
        if probe.status_code is not None:
            lines.append(("HTTP", str(probe.status_code)))
        if probe.elapsed_ms is not None:
            lines.append(("time", f"{probe.elapsed_ms} ms"))
        if probe.outcome != NOT_ASKED:
            lines.append(("answer", probe.raw if probe.raw else "(empty)"))
        lines.append(("read as", probe.reading))
        if probe.hint:
            lines.append(("what to do", probe.hint))
        for label, text in lines:
            self.stdout.write(f"{label + ':':<12}{text}")
