"""The README's "Install into a site" is a recipe that runs: a fresh ``startproject`` site, the package
from a wheel built from this checkout, the README's own code blocks (read from the README, not copied
here), the simulator, and one verified number.

It builds a virtual environment and installs from the package index, so it runs when asked:
``VOICEOTP_TEST_INSTALL=1`` (``make test-install``; ``.ci/run`` does).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASH = shutil.which("bash") or "/bin/bash"
README = ROOT / "README.md"

pytestmark = pytest.mark.skipif(
    not os.environ.get("VOICEOTP_TEST_INSTALL"), reason="builds a site from nothing: VOICEOTP_TEST_INSTALL=1"
)


def install_section() -> str:
    text = README.read_text()
    start = text.index("## Install into a site")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def blocks(section: str) -> list[tuple[str, str, str]]:
    """(the sentence before the block, its language, its code) for every fenced block, in order."""
    found = []
    for match in re.finditer(r"(?ms)^([^\n]*)\n*```(\w+)\n(.*?)```", section):
        found.append((match[1], match[2], match[3]))
    return found


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_the_install_section_gets_a_new_site_to_a_verified_number(tmp_path: Path):
    assert port_free(8000), "the recipe serves the site on port 8000"
    assert port_free(8765), "the recipe serves the simulator on port 8765"
    (tmp_path / "django-voiceotp").symlink_to(ROOT)  # the checkout, where the recipe builds the wheel
    site = tmp_path / "site"
    site.mkdir()
    setup, settings_block, urls_block, run, view = blocks(install_section())
    assert setup[1] == run[1] == "sh"
    assert "mysite/settings.py" in settings_block[0]
    assert "mysite/urls.py" in urls_block[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOICEOTP", "DJANGO_", "VIRTUAL_ENV"))}

    def bash(script: str, timeout: int) -> subprocess.CompletedProcess[str]:
        # The background jobs the recipe starts stop with it, whatever happens.
        wrapped = f"set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{script}"
        return subprocess.run(
            [BASH, "-c", wrapped], cwd=site, env=env, capture_output=True, text=True, timeout=timeout
        )

    built = bash(setup[2], timeout=900)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    with (site / "mysite" / "settings.py").open("a") as settings_file:
        settings_file.write("\n" + settings_block[2])
    with (site / "mysite" / "urls.py").open("a") as urls_file:
        urls_file.write("\n" + urls_block[2])

    verified = bash(". .venv/bin/activate\n" + run[2], timeout=300)
    output = verified.stdout + verified.stderr
    assert verified.returncode == 0, output[-4000:]
    assert "System check identified no issues" in output
    assert re.search(r'"verified":\s*true', verified.stdout), output[-4000:]
    compile(view[2], "README view snippet", "exec")  # the view's snippet is Python that parses
