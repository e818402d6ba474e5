"""``manage.py voiceotp_simulator``: serve the gateway simulator with this site's credentials.

The same flags as ``python -m django_voiceotp.simulator``; the defaults come from the gateway's options
in ``VOICEOTP`` (username, password, key, sender) and, when ``BASE_URL`` points at this machine, its
host and port, so
``runserver`` in one terminal and this in another make a working pair with no flag at all. It listens
on loopback unless ``--host`` says otherwise: a ``BASE_URL`` of ``0.0.0.0`` (which reaches loopback)
must not open the calls page, and its codes, to the network.
"""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandParser

from ...conf import get_settings
from ...gateways.onsms.backend import DEFAULT_BASE_URL, DEFAULT_SENDER
from ...simulator import GatewaySimulator, build_parser, serve

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})  # noqa: S104 (only compared)
ANY_ADDRESS = "0.0.0.0"  # noqa: S104 (only compared: it is served on loopback)


def site_defaults() -> dict[str, Any]:
    """Flag defaults taken from ``settings.VOICEOTP``; none when the settings do not validate."""
    try:
        options = get_settings().GATEWAY.OPTIONS
    except ImproperlyConfigured:
        return {}
    defaults: dict[str, Any] = {"sender": options.get("SENDER") or DEFAULT_SENDER}
    for flag in ("username", "password", "key"):
        if options.get(flag.upper()):
            defaults[flag] = options[flag.upper()]
    url = urlsplit(str(options.get("BASE_URL") or DEFAULT_BASE_URL))
    if url.hostname in LOCAL_HOSTS:
        defaults["host"] = "127.0.0.1" if url.hostname == ANY_ADDRESS else url.hostname
        if url.port:
            defaults["port"] = url.port
    return defaults


class Command(BaseCommand):
    help = "Serve the voice gateway simulator, with this site's VOICEOTP credentials as defaults."
    requires_system_checks: list[str] = []  # it serves the gateway, not the site

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        return super().create_parser(prog_name, subcommand, parents=[build_parser()], **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.set_defaults(**site_defaults())

    def handle(self, *args: Any, **options: Any) -> None:
        simulator = GatewaySimulator.from_args(argparse.Namespace(**options))
        self.stdout.ending = ""  # serve() prints whole lines itself
        code = serve(simulator, out=self.stdout)  # type: ignore[arg-type]  # a file-like wrapper
        if code:
            raise SystemExit(code)
