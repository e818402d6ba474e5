"""Every message the app shows has its Vietnamese, and the compiled catalogue matches the source."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation

import django_voiceotp

LOCALE = Path(django_voiceotp.__file__).parent / "locale" / "vi" / "LC_MESSAGES"


def entries() -> list[tuple[str, str]]:
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    found = []
    for block in text.split("\n\n")[1:]:
        msgid = "".join(re.findall(r'^(?:msgid )?"(.*)"$', block.split("msgstr")[0], re.M))
        msgstr = "".join(re.findall(r'"(.*)"', block.split("msgstr", 1)[1]))
        found.append((msgid, msgstr))
    return found


def test_every_message_is_translated():
    missing = [msgid for msgid, msgstr in entries() if not msgstr]
    assert entries()
    assert missing == []


def test_the_compiled_catalogue_serves_every_translation():
    with translation.override("vi"):
        for msgid, msgstr in entries():
            assert translation.gettext(msgid.replace('\\"', '"')) == msgstr.replace('\\"', '"'), msgid
