"""Every message the app shows has its Vietnamese, and the compiled catalogue matches the source."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation

import django_voiceotp

LOCALE = Path(django_voiceotp.__file__).parent / "locale" / "vi" / "LC_MESSAGES"


def _text(chunk: str) -> str:
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', chunk)).replace('\\"', '"').replace("\\n", "\n")


def entries() -> list[tuple[str, str | None, str]]:
    """(msgid, msgid_plural or None, msgstr or msgstr[0]) for every entry but the header."""
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    found = []
    for block in text.split("\n\n")[1:]:
        body = "\n".join(line for line in block.splitlines() if not line.startswith("#"))
        parts = re.split(r"^(msgid_plural|msgid|msgstr\[0\]|msgstr\[\d+\]|msgstr) ", body, flags=re.M)
        fields = dict(zip(parts[1::2], (_text(p) for p in parts[2::2]), strict=True))
        found.append(
            (fields["msgid"], fields.get("msgid_plural"), fields.get("msgstr", fields.get("msgstr[0]", "")))
        )
    return found


def test_every_message_is_translated():
    assert entries()
    assert [msgid for msgid, _plural, msgstr in entries() if not msgstr] == []


def test_no_translation_is_left_fuzzy():
    assert "#, fuzzy" not in (LOCALE / "django.po").read_text(encoding="utf-8")


def test_the_compiled_catalogue_serves_every_translation():
    with translation.override("vi"):
        for msgid, plural, msgstr in entries():
            served = translation.ngettext(msgid, plural, 1) if plural else translation.gettext(msgid)
            assert served == msgstr, msgid


def test_the_catalogue_holds_every_message_of_the_source(tmp_path):
    """``makemessages`` over a copy of the package finds no message the catalogue lacks: a new
    string without its Vietnamese fails here, not in front of a Vietnamese reader."""
    if shutil.which("xgettext") is None:
        pytest.skip("GNU gettext (xgettext) is not installed")
    copy = tmp_path / "django_voiceotp"
    shutil.copytree(LOCALE.parents[2], copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "vi", "--no-obsolete", "--verbosity", "0"],
        cwd=copy,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": ""},
    )
    fresh = (copy / "locale" / "vi" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    kept = {msgid for msgid, _plural, _msgstr in entries()}
    found = set(re.findall(r'^msgid "(.+)"$', fresh, flags=re.M)) | {
        _text(chunk) for chunk in re.findall(r'^msgid ""\n((?:".*"\n)+)', fresh, flags=re.M)
    }
    assert sorted(found - kept - {""}) == []
