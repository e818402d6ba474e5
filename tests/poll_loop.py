"""``python -m tests.poll_loop SECONDS PAUSE [ARGS...]``: run ``voiceotp_poll_calls ARGS`` again and
again for SECONDS, PAUSE seconds apart, as cron would on a machine of its own, each run the whole
command; every run's summary line goes to stdout. The several-pollers test starts a few of these.
"""

from __future__ import annotations

import contextlib
import sys
import time


def main(argv: list[str]) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    seconds, pause, args = float(argv[0]), float(argv[1]), argv[2:]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(SystemExit):  # 1: the gateway failed for a call; the summary says which
            call_command("voiceotp_poll_calls", *args, stdout=sys.stdout, stderr=sys.stderr)
        sys.stdout.flush()
        connections.close_all()
        time.sleep(pause)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
