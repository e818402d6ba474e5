"""django-two-factor-auth's own setup and login wizards with "call me", through their views."""

from __future__ import annotations

import html
import logging
import re
import secrets
from pathlib import Path

import pytest
from django.core import checks
from two_factor.plugins.registry import MethodBase, registry

from django_voiceotp import services
from django_voiceotp.contrib.otp.models import VoiceCallDevice
from django_voiceotp.contrib.two_factor.method import VoiceCallMethod
from django_voiceotp.models import ChallengeStatus, OtpChallenge

from ..helpers import wrong
from .conftest import E164, PASSWORD, PHONE, wizard_post

pytestmark = pytest.mark.django_db

SETUP = "/account/two_factor/setup/"
LOGIN = "/account/login/"


def text(response) -> str:
    """The page's words, without its markup."""
    return html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


def setup_step(client, step, data, **extra):
    return wizard_post(client, SETUP, "setup_view", step, data, **extra)


def login_step(client, step, data, **extra):
    return wizard_post(client, LOGIN, "login_view", step, data, **extra)


def start_setup(client, user, number, **extra):
    client.force_login(user)
    assert client.get(SETUP, **extra).status_code == 200
    methods = setup_step(client, "welcome", {}, **extra)
    setup_step(client, "method", {"method": "call"}, **extra)
    return methods, setup_step(client, "voice_call", {"number": number}, **extra)


# -- setup ------------------------------------------------------------------------------------------


def test_setup_offers_call_me_calls_the_number_and_confirms_the_device(
    client, user, voiceotp_gateway, caplog
):
    caplog.set_level(logging.DEBUG)
    methods, validation = start_setup(client, user, "0905 123 456")
    assert "Phone call: we call you and read out a code" in text(methods)
    assert validation.status_code == 200
    assert "We are calling 090****456. Type the verification code you hear." in text(validation)
    assert [call.phone for call in voiceotp_gateway.calls] == ["+84905123456"]
    code = voiceotp_gateway.last_code("0905123456")
    device = VoiceCallDevice.objects.get()
    assert (device.confirmed, device.number, device.name) == (False, "+84905123456", "default")

    refused = setup_step(client, "validation", {"token": wrong(code)})
    assert refused.status_code == 200
    assert "The verification code is not right: 4 attempts left." in text(refused)

    done = setup_step(client, "validation", {"token": code})
    assert done.status_code == 302
    assert done["Location"] == "/account/two_factor/setup/complete/"
    device.refresh_from_db()
    assert device.confirmed is True
    assert OtpChallenge.objects.get().status == ChallengeStatus.VERIFIED
    assert client.get("/signed-in/").content == f"verified=True device={device.persistent_id}".encode()
    assert client.get("/account/two_factor/").status_code == 200  # the profile shows the method
    assert code not in caplog.text
    assert not any(code in page.content.decode() for page in (methods, validation, refused, done))


def test_setup_keeps_a_code_that_starts_with_zero(client, user, voiceotp_gateway, monkeypatch):
    monkeypatch.setattr(secrets, "randbelow", lambda n: 12345)
    _methods, _validation = start_setup(client, user, PHONE)
    assert voiceotp_gateway.last_code(PHONE) == "012345"
    assert setup_step(client, "validation", {"token": "012345"}).status_code == 302


def test_setup_refuses_a_number_the_rules_never_call_at_the_number_step(client, user, voiceotp_gateway):
    _methods, page = start_setup(client, user, "+1 202 555 0143")
    assert page.status_code == 200
    assert "Numbers in this country cannot be called." in text(page)
    assert 'value="voice_call"' in page.content.decode()  # still the number step
    assert voiceotp_gateway.calls == []
    assert not VoiceCallDevice.objects.exists()


def test_setup_says_why_when_the_gateway_refuses_the_number(client, user, voiceotp_gateway):
    voiceotp_gateway.refuse(PHONE, "recipient_refused")
    _methods, page = start_setup(client, user, PHONE)
    assert page.status_code == 200
    assert "No call was placed. This number does not accept such calls. Enter another number." in text(page)
    assert "We are calling" not in text(page)
    assert setup_step(client, "validation", {"token": "123456"}).status_code == 200
    assert not VoiceCallDevice.objects.filter(confirmed=True).exists()


def test_setup_with_an_unreachable_gateway_says_so(client, user, voiceotp_gateway):
    voiceotp_gateway.fail(PHONE, "unavailable")
    _methods, page = start_setup(client, user, PHONE)
    assert page.status_code == 200
    assert "No call was placed. The call service is not answering. Try again in a moment." in text(page)


def test_setup_going_back_to_another_number_verifies_that_number(client, user, voiceotp_gateway):
    _methods, _validation = start_setup(client, user, "0905 123 456")
    first = voiceotp_gateway.last_code("0905123456")
    client.post(SETUP, {"setup_view-current_step": "validation", "wizard_goto_step": "voice_call"})
    setup_step(client, "voice_call", {"number": PHONE})
    second = voiceotp_gateway.last_code(PHONE)
    assert setup_step(client, "validation", {"token": first}).status_code == 200  # the old number's code
    assert setup_step(client, "validation", {"token": second}).status_code == 302
    device = VoiceCallDevice.objects.get()
    assert (device.number, device.confirmed) == (E164, True)


def test_setup_going_back_to_another_number_cancels_the_first_number_s_challenge(
    client, user, voiceotp_gateway
):
    """The wizard's "Back" tells the device nothing; its next call, to the other number, does."""
    start_setup(client, user, "0905 123 456")
    client.post(SETUP, {"setup_view-current_step": "validation", "wizard_goto_step": "voice_call"})
    first = OtpChallenge.objects.get()
    assert first.status == ChallengeStatus.PENDING  # going back alone cancels nothing
    setup_step(client, "voice_call", {"number": PHONE})
    first.refresh_from_db()
    assert first.status == ChallengeStatus.CANCELED
    assert OtpChallenge.objects.exclude(pk=first.pk).get().status == ChallengeStatus.PENDING


def test_setup_speaks_vietnamese(client, user, voiceotp_gateway):
    _methods, page = start_setup(client, user, PHONE, HTTP_ACCEPT_LANGUAGE="vi")
    assert "Chúng tôi đang gọi 036****567." in text(page)
    code = voiceotp_gateway.last_code(PHONE)
    refused = setup_step(client, "validation", {"token": wrong(code)}, HTTP_ACCEPT_LANGUAGE="vi")
    assert "Mã xác minh không đúng: còn 4 lần thử." in text(refused)


# -- login ------------------------------------------------------------------------------------------


def test_the_login_wizard_calls_at_the_token_step_and_checks_the_code(client, user, device, voiceotp_gateway):
    token_step = login_step(client, "auth", {"username": "ana", "password": PASSWORD})
    assert token_step.status_code == 200
    assert "We are calling 036****567. Type the verification code you hear." in text(token_step)
    code = voiceotp_gateway.last_code(PHONE)
    challenge = OtpChallenge.objects.get()
    assert (challenge.purpose, challenge.user) == (f"django_otp:{device.persistent_id}", user)

    refused = login_step(client, "token", {"otp_token": wrong(code)})
    assert refused.status_code == 200
    assert "The verification code is not right: 4 attempts left." in text(refused)
    assert len(voiceotp_gateway.calls) == 1  # a wrong code places no new call

    signed_in = login_step(client, "token", {"otp_token": code})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/signed-in/"
    assert client.get("/signed-in/").content == f"verified=True device={device.persistent_id}".encode()


def test_the_login_wizard_tells_a_locked_code_and_an_expired_one(client, user, device, voiceotp_gateway):
    login_step(client, "auth", {"username": "ana", "password": PASSWORD})
    code = voiceotp_gateway.last_code(PHONE)
    for _attempt in range(5):
        login_step(client, "token", {"otp_token": wrong(code)})
    locked = login_step(client, "token", {"otp_token": code})
    assert "Too many wrong codes. Ask for a new call." in text(locked)
    assert client.get("/signed-in/").content == b"verified=False device="


@pytest.mark.parametrize(
    ("arrange", "reason"),
    [
        (lambda gateway: gateway.fail(PHONE, "unavailable"), "The call service is not answering."),
        (
            lambda gateway: gateway.refuse(PHONE, "recipient_refused"),
            "This number does not accept such calls. Enter another number.",
        ),
        (lambda gateway: gateway.refuse(PHONE, "account"), "The call service refused the call."),
    ],
    ids=["unreachable-gateway", "refused-number", "account"],
)
def test_the_login_wizard_says_why_no_call_came(client, user, device, voiceotp_gateway, arrange, reason):
    arrange(voiceotp_gateway)
    page = login_step(client, "auth", {"username": "ana", "password": PASSWORD})
    assert page.status_code == 200
    assert f"No call was placed. {reason}" in text(page)
    assert login_step(client, "token", {"otp_token": "123456"}).status_code == 200


def test_logging_in_again_within_the_cooldown_places_no_second_call(client, user, device, voiceotp_gateway):
    login_step(client, "auth", {"username": "ana", "password": PASSWORD})
    code = voiceotp_gateway.last_code(PHONE)
    client.post(LOGIN, {"login_view-current_step": "token", "wizard_goto_step": "auth"})
    again = login_step(client, "auth", {"username": "ana", "password": PASSWORD})
    assert "No call was placed. Ask for another call in " in text(again)
    assert len(voiceotp_gateway.calls) == 1
    assert login_step(client, "token", {"otp_token": code}).status_code == 302  # its code still works


def test_the_login_wizard_speaks_vietnamese(client, user, device, voiceotp_gateway):
    page = login_step(client, "auth", {"username": "ana", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="vi")
    assert "Chúng tôi đang gọi 036****567. Hãy nhập mã xác minh bạn nghe được." in text(page)
    refused = login_step(client, "token", {"otp_token": "12"}, HTTP_ACCEPT_LANGUAGE="vi")
    assert "Mã xác minh không đúng: còn 4 lần thử." in text(refused)


def test_the_login_wizard_over_loopback_against_the_simulator(client, user, device, simulator):
    page = login_step(client, "auth", {"username": "ana", "password": PASSWORD})
    assert "We are calling 036****567." in text(page)
    [call] = simulator.calls
    assert call.phone == PHONE
    assert login_step(client, "token", {"otp_token": call.code}).status_code == 302
    assert client.get("/signed-in/").content == f"verified=True device={device.persistent_id}".encode()


def test_the_setup_wizard_over_loopback_against_the_simulator(client, user, simulator):
    _methods, page = start_setup(client, user, "0905 123 456")
    assert "We are calling 090****456." in text(page)
    [call] = simulator.calls
    assert setup_step(client, "validation", {"token": call.code}).status_code == 302
    assert VoiceCallDevice.objects.get().confirmed is True


# -- what the pages say after a refusal, and right after setup ---------------------------------------


def top_line(response) -> str:
    """The sentence the wizard's page shows above the code's input (the device's verbose action)."""
    found = re.search(r"<p>\s*(We are calling[^<]*|No call was placed[^<]*)</p>", response.content.decode())
    return html.unescape(found[1].strip()) if found else ""


def test_after_a_wrong_code_the_login_page_still_says_the_call_is_on_its_way(
    client, user, device, voiceotp_gateway
):
    login_step(client, "auth", {"username": "ana", "password": PASSWORD})
    refused = login_step(client, "token", {"otp_token": wrong(voiceotp_gateway.last_code(PHONE))})
    assert top_line(refused) == "We are calling 036****567. Type the verification code you hear."
    assert text(refused).count("The verification code is not right: 4 attempts left.") == 1


def test_after_a_wrong_code_the_setup_page_says_the_wrong_code_once(client, user, voiceotp_gateway):
    start_setup(client, user, PHONE)
    refused = setup_step(client, "validation", {"token": wrong(voiceotp_gateway.last_code(PHONE))})
    assert "No call was placed" not in text(refused)
    assert text(refused).count("The verification code is not right: 4 attempts left.") == 1
    assert "We are calling 036****567. Type the verification code you hear." in text(refused)


def test_logging_in_right_after_setting_up_the_device_calls_and_signs_in(client, user, voiceotp_gateway):
    start_setup(client, user, PHONE)
    assert setup_step(client, "validation", {"token": voiceotp_gateway.last_code(PHONE)}).status_code == 302
    client.logout()
    token_step = login_step(client, "auth", {"username": "ana", "password": PASSWORD})
    assert top_line(token_step) == "We are calling 036****567. Type the verification code you hear."
    assert len(voiceotp_gateway.calls) == 2
    signed_in = login_step(client, "token", {"otp_token": voiceotp_gateway.last_code(PHONE)})
    assert signed_in.status_code == 302
    assert client.get("/signed-in/").content.startswith(b"verified=True")


def test_logging_in_again_right_after_a_login_calls_and_signs_in(client, user, device, voiceotp_gateway):
    login_step(client, "auth", {"username": "ana", "password": PASSWORD})
    assert login_step(client, "token", {"otp_token": voiceotp_gateway.last_code(PHONE)}).status_code == 302
    client.logout()
    token_step = login_step(client, "auth", {"username": "ana", "password": PASSWORD})
    assert top_line(token_step) == "We are calling 036****567. Type the verification code you hear."
    assert login_step(client, "token", {"otp_token": voiceotp_gateway.last_code(PHONE)}).status_code == 302


def test_after_a_call_that_could_not_be_placed_a_typed_code_keeps_the_page_honest(
    client, user, device, voiceotp_gateway
):
    voiceotp_gateway.fail(PHONE, "unavailable")
    page = login_step(client, "auth", {"username": "ana", "password": PASSWORD})
    assert top_line(page) == "No call was placed. The call service is not answering. Try again in a moment."
    typed = login_step(client, "token", {"otp_token": "123456"})
    assert top_line(typed) == "No call was placed. Ask for a new call."  # not "We are calling"
    assert "No call could be placed for this code. Ask for a new call." in text(typed)


def test_a_used_code_typed_again_says_to_ask_for_a_new_call(client, user, device, voiceotp_gateway):
    """The rules may still refuse the login's call (here: the number was just called for something
    else); the device's latest call is then the verified one, and its code is not 'wrong'."""
    device.generate_challenge()
    code = voiceotp_gateway.last_code(PHONE)
    assert device.verify_token(code) is True
    # The same account's cooldown for the number (a stranger's would be in a lane of its own).
    services.start_verification(PHONE, purpose="elsewhere", client_ip=None, user=user)
    page = login_step(client, "auth", {"username": "ana", "password": PASSWORD})
    assert top_line(page).startswith("No call was placed. A call to this number was placed moments ago")
    used = login_step(client, "token", {"otp_token": code})
    assert "That call's code was already used. Ask for a new call." in text(used)


DOCS = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"


def documented_two_factor_errors() -> dict[str, tuple[str, str]]:
    """The two-factor section's error table: what -> (the setup page's words, the login page's)."""
    section = DOCS.read_text().split("## django-two-factor-auth", 1)[1]
    table = section.split("**The errors**", 1)[1].split("\n\n", 2)[1]
    found = {}
    for row in table.splitlines()[2:]:
        what, setup, login = (cell.strip() for cell in row.strip("|").split("|"))
        quoted = re.findall(r"`([^`]+)`", setup)
        found[what] = (quoted[0] if quoted else setup, quoted[0] if login.startswith("the same") else login)
    return found


def test_the_lock_is_told_in_the_docs_words_at_setup_and_at_login(client, user, voiceotp_gateway):
    setup_words, login_words = documented_two_factor_errors()["the last attempt used"]
    start_setup(client, user, PHONE)
    code = voiceotp_gateway.last_code(PHONE)
    for _attempt in range(5):
        locked = setup_step(client, "validation", {"token": wrong(code)})
    assert setup_words in text(locked)
    assert setup_words in text(setup_step(client, "validation", {"token": code}))

    device = VoiceCallDevice.objects.get()
    VoiceCallDevice.objects.filter(pk=device.pk).update(confirmed=True)
    client.logout()
    voiceotp_rules_allow_another_call(voiceotp_gateway)
    login_step(client, "auth", {"username": "ana", "password": PASSWORD})
    code = voiceotp_gateway.last_code(PHONE)
    for _attempt in range(5):
        login_step(client, "token", {"otp_token": wrong(code)})
    assert login_words in text(login_step(client, "token", {"otp_token": code}))


def voiceotp_rules_allow_another_call(gateway) -> None:
    gateway.skip_cooldown(PHONE)


@pytest.mark.parametrize("what", ["a wrong code", "an expired code"])
def test_the_login_page_tells_a_refused_code_in_the_docs_words(client, user, device, voiceotp_gateway, what):
    _setup_words, login_words = documented_two_factor_errors()[what]
    login_step(client, "auth", {"username": "ana", "password": PASSWORD})
    code = voiceotp_gateway.last_code(PHONE)
    if what == "an expired code":
        voiceotp_gateway.expire_code(PHONE)
    else:
        code = wrong(code)
    assert login_words in text(login_step(client, "token", {"otp_token": code}))


# -- the registry -----------------------------------------------------------------------------------


def test_the_call_method_is_this_apps_and_the_check_says_when_it_is_not():
    assert isinstance(registry.get_method("call"), VoiceCallMethod)
    assert [m.id for m in checks.run_checks() if (m.id or "").startswith("voiceotp_two_factor")] == []

    class OtherCall(MethodBase):  # type: ignore[misc]
        code = "call"

    registry.unregister("call")
    registry.register(OtherCall())
    try:
        found = [m.id for m in checks.run_checks() if (m.id or "").startswith("voiceotp_two_factor")]
    finally:
        registry.unregister("call")
        registry.register(VoiceCallMethod())
    assert found == ["voiceotp_two_factor.E002"]
