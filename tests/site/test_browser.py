"""The demo in a real browser: `make demo`'s own launcher, Debian's Chromium driven by Playwright.

The page is used as a person would: type a number, press "Call me", read the code off the simulator
panel, type it, see it verified. A screenshot is kept in ``artifacts/``. Without Chromium (a fresh
laptop) the test is skipped and says why; ``.ci/run`` installs Chromium and runs it.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..helpers import free_port

CHROMIUM = os.environ.get("VOICEOTP_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = [
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)",
    ),
]


@pytest.fixture
def demo_site(tmp_path):
    port, sim_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOICEOTP_", "DJANGO_SETTINGS"))}
    env.update(
        PORT=str(port),
        SIMULATOR_PORT=str(sim_port),
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        PYTHONUNBUFFERED="1",
    )
    log = (tmp_path / "demo.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "example_project.demo"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    log.seek(0)
    output = log.read()
    if process.poll() is not None:
        pytest.fail(f"the demo did not start:\n{output}")
    assert re.search(r"login: admin / \S+", output), output
    yield url
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def test_the_whole_flow_in_a_browser(demo_site):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=LAUNCH_ARGS,
        )
        page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone's screen
        page.goto(demo_site + "/")
        page.fill("#phone", "036 123 4567")
        page.click("#call-me")
        page.wait_for_selector("#step-verify:not(.hidden)")
        assert page.text_content("#masked") == "036****567"
        code_cell = page.wait_for_selector("#sim-calls td.code", timeout=10_000)
        code = code_cell.text_content().strip()
        assert re.fullmatch(r"\d{6}", code)

        wrong = "".join(str((int(d) + 1) % 10) for d in code)
        page.fill("#code", wrong)
        page.click("#verify")
        page.wait_for_selector("#error:not(.hidden)")
        assert page.get_attribute("#error", "data-code") == "invalid_code"
        assert page.text_content("#attempts") == "4"

        # The demo's task worker asks the gateway how the call went: the badge follows the call.
        page.wait_for_function(
            "document.querySelector('#call-status').dataset.status === 'answered'", timeout=15_000
        )
        page.fill("#code", code)
        page.click("#verify")
        page.wait_for_selector("#step-done:not(.hidden)")
        assert page.text_content("#token")
        page.screenshot(path=str(ARTIFACTS / "demo-verified.png"), full_page=True)

        # The same page in Vietnamese, with an error explained.
        page.click("#again")
        page.click("#lang-vi")
        assert page.text_content("#call-me") == "Gọi cho tôi"
        page.fill("#phone", "0361239907")
        page.click("#call-me")
        page.wait_for_selector("#error:not(.hidden)")
        assert page.get_attribute("#error", "data-code") == "recipient_refused"
        assert "không nhận" in page.text_content("#error")
        page.screenshot(path=str(ARTIFACTS / "demo-refused-vi.png"), full_page=True)
        browser.close()
