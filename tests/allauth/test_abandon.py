"""A flow the person leaves, through allauth's own views: where allauth tells us (a logout, the
headless API's DELETE of the session, a new call of the same flow), the flow's challenge is
canceled; where it does not (the code page's "Cancel" before anyone is signed in), the challenge
lives on until its time is over or a new call of the flow replaces it (docs/integrations.md)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from django_voiceotp.contrib.allauth.models import AccountPhone
from django_voiceotp.models import ChallengeStatus, OtpChallenge
from django_voiceotp.signals import challenge_canceled

from .flows import CHANGE_PHONE, CONFIRM_LOGIN_CODE, E164, OTHER, PHONE, cancel, change_to, log_in, sign_up
from .headless_flows import HeadlessClient, error, pending_flow

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def member(db):
    user = User.objects.create(username="member")
    AccountPhone.objects.create(user=user, phone=E164, verified=True)
    return user


def statuses() -> list[str]:
    return list(OtpChallenge.objects.order_by("created_at").values_list("status", flat=True))


@pytest.fixture(params=["browser", "app"])
def api(request):
    return HeadlessClient(request.param)


def test_deleting_the_headless_session_cancels_a_pending_login_by_code(api, voiceotp_gateway, member):
    answer = api.post_json("auth/code/request", {"phone": PHONE})
    assert pending_flow(answer) == "login_by_code"
    code = voiceotp_gateway.last_code(PHONE)
    heard: list[object] = []
    challenge_canceled.connect(lambda **kw: heard.append(kw), weak=False, dispatch_uid="abandon")
    try:
        assert api.call("DELETE", "auth/session").status_code == 401
    finally:
        challenge_canceled.disconnect(dispatch_uid="abandon")
    assert statuses() == [ChallengeStatus.CANCELED]
    assert len(heard) == 1
    # The flow is gone with the session, and the code with it: nothing signs in.
    assert api.post_json("auth/code/confirm", {"code": code}).status_code in (400, 409, 410)


def test_deleting_the_headless_session_cancels_a_pending_sign_up_verification(api, voiceotp_gateway):
    answer = api.post_json("auth/signup", {"phone": PHONE})
    assert pending_flow(answer) == "verify_phone"
    api.call("DELETE", "auth/session")
    assert statuses() == [ChallengeStatus.CANCELED]


def test_a_headless_logout_leaves_a_finished_verification_as_it_is(api, voiceotp_gateway, member):
    api.post_json("auth/code/request", {"phone": PHONE})
    assert api.post_json("auth/code/confirm", {"code": voiceotp_gateway.last_code(PHONE)}).status_code == 200
    api.call("DELETE", "auth/session")
    assert statuses() == [ChallengeStatus.VERIFIED]


def test_logging_in_with_another_number_cancels_the_first_number_s_login(client, voiceotp_gateway, member):
    assert log_in(client).status_code == 302
    cancel(client)  # allauth's "Cancel": the login stage ends, and allauth tells us nothing
    assert statuses() == [ChallengeStatus.PENDING]
    assert log_in(client, OTHER).status_code == 302  # the person starts over with another number
    assert statuses() == [ChallengeStatus.CANCELED, ChallengeStatus.PENDING]


def test_the_code_page_s_cancel_alone_leaves_the_challenge_to_its_time(client, voiceotp_gateway, member):
    """allauth's "Cancel" posts to its logout, which for a person not signed in yet clears its login
    state and calls no adapter method: there is no hook to cancel the call's challenge."""
    log_in(client)
    assert cancel(client).status_code == 302
    assert client.get(CONFIRM_LOGIN_CODE).status_code == 302  # the stage is gone
    assert statuses() == [ChallengeStatus.PENDING]


def test_a_new_number_at_the_sign_up_stage_cancels_the_old_number_s_challenge(
    client, voiceotp_gateway, settings
):
    settings.ACCOUNT_PREVENT_ENUMERATION = False
    settings.ACCOUNT_PHONE_VERIFICATION_SUPPORTS_CHANGE = True
    sign_up(client)
    assert change_to(client, OTHER).status_code == 302
    assert statuses() == [ChallengeStatus.CANCELED, ChallengeStatus.PENDING]


def test_logging_out_cancels_a_pending_change_of_number(client, voiceotp_gateway, member):
    client.force_login(member)
    assert client.post(CHANGE_PHONE, {"phone": OTHER}).status_code == 302
    assert statuses() == [ChallengeStatus.PENDING]
    client.post("/accounts/logout/")
    assert statuses() == [ChallengeStatus.CANCELED]


def test_a_cancel_gives_no_call_back(api, voiceotp_gateway, member):
    """Abandoned and started again at once: the number's cooldown still holds."""
    api.post_json("auth/code/request", {"phone": PHONE})
    api.call("DELETE", "auth/session")
    again = HeadlessClient(api.kind).post_json("auth/code/request", {"phone": PHONE})
    assert again.status_code == 400
    assert error(again)["code"] == "rate_limited"
    assert len(voiceotp_gateway.calls_to(PHONE)) == 1
