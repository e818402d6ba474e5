"""Sign-up by voice call in a real browser: the example site's django-allauth pages, as `make demo`
serves them, in Debian's Chromium driven by Playwright (the launch of tests/site/test_browser.py). The
code is read off the demo's simulator panel, as a person trying the demo reads it."""

from __future__ import annotations

import re

import pytest

from tests.site.test_browser import ARTIFACTS, CHROMIUM, LAUNCH_ARGS, demo_site, pytestmark  # noqa: F401


def test_sign_up_by_a_call_and_land_signed_in(demo_site):  # noqa: F811
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(demo_site + "/")
        page.click("#signup-by-call")
        page.wait_for_url("**/accounts/signup/")
        page.fill("input[name=phone]", "036 123 4567")
        page.click("form button[type=submit]")
        page.wait_for_url("**/accounts/phone/verify/")
        assert "We are calling 036****567." in page.content()

        panel = browser.new_page()
        panel.goto(demo_site + "/")
        code = panel.wait_for_selector("#sim-calls td.code", timeout=10_000).text_content().strip()
        assert re.fullmatch(r"\d{6}", code)

        page.fill("input[name=code]", code)
        page.click("button[type=submit]:has-text('Confirm')")
        page.wait_for_url(demo_site + "/")
        assert page.text_content("#account-phone") == "036****567"
        page.screenshot(path=str(ARTIFACTS / "allauth-signed-in.png"), full_page=True)
        browser.close()
