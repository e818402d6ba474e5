"""Ages as operators type them on a command line: ``3600``, ``3600s``, ``90m``, ``12h``, ``30d``."""

from __future__ import annotations

import re

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d{1,9})\s*([smhd]?)", re.IGNORECASE)


def parse_duration(text: str) -> int:
    """Seconds in ``text``; raises ``ValueError`` naming the accepted forms."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not an age like 3600, 3600s, 90m, 12h or 30d")
    return int(match[1]) * UNITS[(match[2] or "s").lower()]


def format_duration(seconds: int) -> str:
    """The largest whole unit: ``86400`` -> ``1d``, ``5400`` -> ``90m``."""
    for unit in ("d", "h", "m"):
        if seconds and seconds % UNITS[unit] == 0:
            return f"{seconds // UNITS[unit]}{unit}"
    return f"{seconds}s"
