"""``python -m django_voiceotp.simulator``: the flags, and serving until Ctrl-C or SIGTERM.

``manage.py voiceotp_simulator`` takes the same flags through :func:`build_parser` and serves through
:func:`serve`, so the two never drift apart.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType
from typing import Any, TextIO

from .answers import ANSWER_STYLES, BALANCE_FORMATS
from .server import GatewaySimulator, is_loopback_address
from .state import DEMO


def build_parser() -> argparse.ArgumentParser:
    """The flags, without ``-h``, so ``voiceotp_simulator`` can take them via ``parents``."""
    parser = argparse.ArgumentParser(
        prog="python -m django_voiceotp.simulator",
        description="Serve a stand-in for the voice OTP gateway (postSMS, checkVoice, ...).",
        add_help=False,
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    add("--port", type=int, default=8765, help="port, 0 for any free one (default: %(default)s)")
    add("--username", default=DEMO["username"], help="gateway username (default: %(default)s)")
    add("--password", default=DEMO["password"], help="gateway password (default: %(default)s)")
    add("--key", default=DEMO["key"], help="gateway key (default: %(default)s)")
    add("--sender", default="DAUSO1", help="the only sender accepted (default: %(default)s)")
    add("--balance", type=int, default=1000, help="starting balance (default: %(default)s)")
    add("--price", type=int, default=1, help="charged per taken call (default: %(default)s)")
    add("--repeat-window", type=float, default=900.0, help="code 6 window, s (default: 900)")
    add("--answer-after", type=float, default=2.0, help="s before a call settles (default: 2)")
    add(
        "--answer-style",
        choices=ANSWER_STYLES,
        default="plain",
        help="plain '1,,,id' and '6', prefixed 'RESULT: 1,,,id', full '6,,,', json "
        '\'{"code":"1","request_id":...}\', quoted \'"1,,,id"\' (default: plain)',
    )
    add(
        "--balance-format",
        choices=BALANCE_FORMATS,
        default="number",
        help='the balance as 1000, "1000", "1.000" (vi) or "1,000.00" (en) (default: number)',
    )
    add("--hang-seconds", type=float, default=30.0, help="how long a hang lasts (default: 30)")
    add("--drip-seconds", type=float, default=0.5, help="pause between a drip's bytes (default: 0.5)")
    add("--keep-alive", action="store_true", help="HTTP/1.1, one connection for many requests")
    add("--verbose", action="store_true", help="log one line per request (never a password or key)")
    return parser


def exposed_warning(host: str) -> str:
    """Said when listening beyond loopback: the calls page then shows codes to the whole network."""
    return (
        f"warning: listening on {host}, not loopback: anyone who can reach this port can read "
        "the codes on /calls and /_control/calls"
    )


def serve(sim: GatewaySimulator, *, out: TextIO | None = None) -> int:
    """Start ``sim``, say where, serve until Ctrl-C or SIGTERM, stop cleanly; the exit status."""
    out = out or sys.stdout
    try:
        sim.start()
    except OSError as exc:
        print(f"cannot listen on {sim.host}:{sim.port}: {exc}", file=sys.stderr)
        return 1
    line = f"Gateway simulator: BASE_URL={sim.base_url}  calls page: {sim.url}/calls"
    print(line, file=out, flush=True)
    if not is_loopback_address(sim.host):
        print(exposed_warning(sim.host), file=sys.stderr, flush=True)
    done = threading.Event()
    previous: Any = None
    in_main = threading.current_thread() is threading.main_thread()

    def on_term(signum: int, frame: FrameType | None) -> None:
        done.set()

    if in_main:
        previous = signal.signal(signal.SIGTERM, on_term)
    try:
        while not done.wait(0.5):  # a timed wait keeps Ctrl-C responsive on every platform
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
        sim.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    flags = build_parser()
    parser = argparse.ArgumentParser(parents=[flags], prog=flags.prog, description=flags.description)
    return serve(GatewaySimulator.from_args(parser.parse_args(argv)))
