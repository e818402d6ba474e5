"""docs/integrations.md's snippets, pasted as written on top of the README's install section, give new
sites whose flows run: phone sign-up and login by voice call in django-allauth (its pages and its
headless API), and a second factor with django-two-factor-auth on django-otp, each a fresh
``startproject`` site with the package from a wheel built from this checkout, against the gateway
simulator. The test kit's recipe (docs/testing.md) runs a site's own tests with no credentials set.

The snippets are read from the docs, not copied here; only the drivers (what a person does in a
browser, and the simulator's panel they read the code off) are the test's own. It builds virtual
environments and installs from the package index, so it runs when asked: ``VOICEOTP_TEST_INSTALL=1``
(``make test-install``; ``.ci/run`` does).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.docs.test_readme_install import blocks, install_section, port_free

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
BASH = shutil.which("bash") or "/bin/bash"

pytestmark = pytest.mark.skipif(
    not os.environ.get("VOICEOTP_TEST_INSTALL"), reason="builds sites from nothing: VOICEOTP_TEST_INSTALL=1"
)


def section(path: Path, heading: str) -> str:
    """The text under ``## heading`` (or ``### heading``) up to the next heading of its level."""
    text = path.read_text()
    level = "#" * (len(heading) - len(heading.lstrip("#")))
    start = text.index(heading + "\n")
    end = text.find(f"\n{level} ", start + len(heading))
    return text[start : end if end != -1 else None]


def fenced(text: str) -> list[tuple[str, str, str]]:
    """(the prose before the block, its language, its code) for every fenced block, in order."""
    found, position = [], 0
    for match in re.finditer(r"(?ms)^```(\w+)\n(.*?)^```", text):
        found.append((text[position : match.start()], match[1], match[2]))
        position = match.end()
    return found


def snippets(text: str) -> dict[str, list[str]]:
    """The blocks a newcomer runs or pastes: shell lines, and code for a file the prose names."""
    found: dict[str, list[str]] = {"sh": []}
    for prose, language, code in fenced(text):
        if language == "sh":
            found["sh"].append(code)
            continue
        named = re.findall(r"`(mysite/[a-z_]+\.py)`", prose.strip().rsplit("\n\n", 1)[-1])
        if language == "python" and named:
            found.setdefault(named[-1], []).append(code)
    return found


class Site:
    """A new directory beside the checkout (the README builds the wheel from ``../django-voiceotp``)."""

    def __init__(self, parent: Path, name: str) -> None:
        self.path = parent / name
        self.path.mkdir()
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("VOICEOTP", "DJANGO_", "VIRTUAL_ENV"))
        }

    def bash(self, script: str, *, timeout: int = 900, env: dict[str, str] | None = None) -> str:
        # The background jobs a script starts stop with it, whatever happens.
        wrapped = f"set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{script}"
        done = subprocess.run(
            [BASH, "-c", wrapped],
            cwd=self.path,
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, output[-6000:]
        return output

    def paste(self, file: str, codes: list[str]) -> None:
        with (self.path / file).open("a") as target:
            for code in codes:
                target.write("\n" + code)


def readme() -> tuple[str, str, str, str]:
    """The README's setup (shell), settings, urls and run (shell) blocks."""
    setup, settings_block, urls_block, run, _view = blocks(install_section())
    return setup[2], settings_block[2], urls_block[2], run[2]


def new_site(parent: Path, name: str, *sections: str) -> Site:
    """A site from the README's install section, then each of ``sections``' snippets, as written."""
    setup, settings_block, urls_block, _run = readme()
    site = Site(parent, name)
    site.bash(setup)
    site.paste("mysite/settings.py", [settings_block])
    site.paste("mysite/urls.py", [urls_block])
    for text in sections:
        found = snippets(text)
        for shell in found.pop("sh"):
            site.bash(". .venv/bin/activate\n" + shell)
        for file, codes in found.items():
            site.paste(file, codes)
    return site


def exports() -> str:
    """The README's ``export`` line: the simulator's address and the site's credentials."""
    return next(line for line in readme()[3].splitlines() if line.startswith("export "))


def run_flows(site: Site, flows: str) -> str:
    """migrate and check as the docs say, the simulator as the README starts it, then ``flows``
    (a script driving the site's views with Django's test client, codes read off the simulator)."""
    (site.path / "flows.py").write_text(FLOW_PRELUDE + textwrap.dedent(flows))
    return site.bash(
        f"""
        . .venv/bin/activate
        {exports()}
        python manage.py migrate --no-input
        python manage.py check
        python manage.py voiceotp_simulator &
        for _ in $(seq 50); do curl -sf localhost:8765/_control/state >/dev/null && break; sleep 0.2; done
        python flows.py
        """,
        timeout=300,
    )


FLOW_PRELUDE = '''
import json
import os
import urllib.request

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
django.setup()

from django.test import Client
from django.test.utils import setup_test_environment

setup_test_environment()  # the test client's host, "testserver"


def latest_code():
    """What a person reads off the simulator's panel: /_control/calls lists the newest first."""
    with urllib.request.urlopen("http://127.0.0.1:8765/_control/calls") as answer:
        return json.load(answer)["calls"][0]["code"]


def pending(answer):
    return [flow["id"] for flow in answer.json()["data"]["flows"] if flow.get("is_pending")]


def the_readme_s_urls_still_answer():
    """The snippets added URLs and kept the site's: the admin's, and the README's API."""
    assert Client().get("/admin/login/").status_code in (200, 302)
    answer = Client().get("/api/otp/challenges/00000000-0000-0000-0000-000000000000/")
    assert (answer.status_code, answer.json()["code"]) == (404, "not_found"), answer.content
    print("the admin and the API still answer")

'''

ALLAUTH_FLOWS = """
browser = Client()
answer = browser.post("/accounts/signup/", {"phone": "0905 123 456"})
assert (answer.status_code, answer["Location"]) == (302, "/accounts/phone/verify/"), answer.content[-2000:]
page = browser.get("/accounts/phone/verify/").content.decode()
assert "The code is read out in a call to 090****456." in page, page
assert "+84905123456" not in page
answer = browser.post("/accounts/phone/verify/", {"code": latest_code()})
assert answer.status_code == 302, answer.content[-2000:]
assert browser.get("/").wsgi_request.user.is_authenticated
print("allauth sign-up: verified and signed in")

refused = Client().post("/accounts/signup/", {"phone": "1900 1234"}, HTTP_ACCEPT_LANGUAGE="vi")
assert "Không thể gọi đến loại số này" in refused.content.decode()
print("allauth sign-up: a refusal in Vietnamese")

app, HEADLESS = Client(), "/_allauth/browser/v1/auth/code/"
answer = app.post(HEADLESS + "request", {"phone": "0905 123 456"}, content_type="application/json")
assert (answer.status_code, pending(answer)) == (401, ["login_by_code"]), answer.content
answer = app.post(HEADLESS + "confirm", {"code": latest_code()}, content_type="application/json")
assert answer.status_code == 200 and answer.json()["meta"]["is_authenticated"], answer.content
print("allauth headless login by code: signed in")
the_readme_s_urls_still_answer()
"""

TWO_FACTOR_FLOWS = """
from django.contrib.auth import get_user_model

User = get_user_model()
User.objects.create_user("ana", password="correct-horse-battery")
SETUP, LOGIN = "/account/two_factor/setup/", "/account/login/"


def step(client, url, wizard, name, data):
    return client.post(url, {f"{wizard}-current_step": name, **{f"{name}-{k}": v for k, v in data.items()}})


person = Client()
step(person, LOGIN, "login_view", "auth", {"username": "ana", "password": "correct-horse-battery"})
assert person.get(SETUP).status_code == 200
step(person, SETUP, "setup_view", "welcome", {})
step(person, SETUP, "setup_view", "method", {"method": "call"})
page = step(person, SETUP, "setup_view", "voice_call", {"number": "0905 123 456"}).content.decode()
assert "We are calling 090****456." in page, page[-2000:]
answer = step(person, SETUP, "setup_view", "validation", {"token": latest_code()})
assert (answer.status_code, answer["Location"]) == (302, SETUP + "complete/"), answer.content
print("two-factor setup: the device confirmed")

person.logout()
page = step(person, LOGIN, "login_view", "auth", {"username": "ana", "password": "correct-horse-battery"})
assert "We are calling 090****456." in page.content.decode(), page.content[-2000:]
answer = step(person, LOGIN, "login_view", "token", {"otp_token": latest_code()})
assert answer.status_code == 302, answer.content[-2000:]
assert person.get("/").wsgi_request.user.is_verified()
print("two-factor login right after the setup: called, verified")
the_readme_s_urls_still_answer()
"""


@pytest.fixture
def beside_the_checkout(tmp_path: Path) -> Path:
    for port in (8000, 8765):
        assert port_free(port), f"the recipes serve on port {port}"
    (tmp_path / "django-voiceotp").symlink_to(ROOT)
    return tmp_path


@pytest.mark.skipif(sys.version_info < (3, 11), reason="django-allauth needs Python 3.11+")
def test_the_allauth_section_gives_a_site_whose_sign_up_and_login_by_call_work(beside_the_checkout: Path):
    allauth = section(DOCS / "integrations.md", "## django-allauth")
    site = new_site(beside_the_checkout, "allauth-site", allauth)
    output = run_flows(site, ALLAUTH_FLOWS)
    assert "System check identified no issues" in output, output[-4000:]
    for done in ("verified and signed in", "a refusal in Vietnamese", "headless login by code: signed in"):
        assert done in output, output[-4000:]
    assert "the admin and the API still answer" in output, output[-4000:]


def test_the_two_factor_sections_give_a_site_whose_setup_and_login_by_call_work(beside_the_checkout: Path):
    otp = section(DOCS / "integrations.md", "## django-otp")
    two_factor = section(DOCS / "integrations.md", "## django-two-factor-auth")
    site = new_site(beside_the_checkout, "two-factor-site", otp, two_factor)
    output = run_flows(site, TWO_FACTOR_FLOWS)
    assert "System check identified no issues" in output, output[-4000:]
    assert "the device confirmed" in output, output[-4000:]
    assert "two-factor login right after the setup: called, verified" in output, output[-4000:]
    assert "the admin and the API still answer" in output, output[-4000:]


def test_the_test_kit_s_recipe_runs_a_site_s_own_tests_with_no_credentials_set(beside_the_checkout: Path):
    site = new_site(beside_the_checkout, "kit-site", (DOCS / "testing.md").read_text())
    assert (site.path / "mysite" / "test_settings.py").exists()
    assert (site.path / "mysite" / "tests.py").exists()
    output = site.bash(". .venv/bin/activate\npython manage.py test mysite --settings=mysite.test_settings")
    assert re.search(r"Ran [1-9]\d* tests?", output), output[-4000:]
    assert "\nOK" in output, output[-4000:]
