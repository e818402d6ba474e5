"""What a gateway said, made safe to keep: no NUL or other control character, and a bounded length.

A gateway's answer goes into call rows, log lines, admin pages and command output. A NUL byte is
refused by PostgreSQL's text columns (the request would fail with a server error and leave its call
unrecorded), a newline or an escape sequence forges log lines and terminal output, and bidirectional
overrides make an admin page show something else than what is there. So every answer is cleaned where
it is produced (the neutral results and errors of :mod:`.base` clean what they are given), and the rest
of the app never has to think about it.

Cleaning keeps the answer readable as it came: each C0 control character becomes its visible
picture from Unicode's Control Pictures block (NUL is ``␀``, CR ``␍``, LF ``␊``, DEL ``␡``), and the
other invisible or direction-changing characters (C1 controls, line and paragraph separators,
zero-width characters and the byte order mark, bidirectional controls, lone surrogates) are written
as ``<U+XXXX>``. An operator reading ``1,,,abc␍␊`` sees that the gateway ended its line with CRLF.
"""

from __future__ import annotations

import re

_C0_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)} | {0x7F: "\u2421"}
_INVISIBLE = re.compile(
    "[\x80-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb\ud800-\udfff]"
)


def _named(match: re.Match[str]) -> str:
    return f"<U+{ord(match.group()):04X}>"


def safe_text(text: str, limit: int | None = None) -> str:
    """``text`` with no control or invisible character left (see the module), cut to ``limit``."""
    cleaned = _INVISIBLE.sub(_named, text.translate(_C0_PICTURES))
    return cleaned if limit is None or len(cleaned) <= limit else cleaned[:limit]


def is_safe(text: str) -> bool:
    """Whether ``text`` holds nothing :func:`safe_text` would change (its length aside)."""
    return not _INVISIBLE.search(text) and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in text)
