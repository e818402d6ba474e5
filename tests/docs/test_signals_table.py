"""Every signal a site can listen to is in the API page's table, and the table names no other."""

from __future__ import annotations

import re
from pathlib import Path

from django.dispatch import Signal

from django_voiceotp import signals

API = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_the_api_page_names_every_signal_and_no_other():
    table = API.read_text(encoding="utf-8").split("## Signals", 1)[1]
    named = set(re.findall(r"^\| `([a-z_]+)` \|", table, re.MULTILINE))
    sent = {name for name, value in vars(signals).items() if isinstance(value, Signal)}
    assert named == sent
