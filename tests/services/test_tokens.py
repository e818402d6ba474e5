"""The proof of verification: a bearer token read many times, or consumed exactly once."""

from __future__ import annotations

import pytest
from django.core import signing

from django_voiceotp.models import OtpChallenge
from django_voiceotp.tokens import InvalidToken, TokenAlreadyUsed, consume_token, make_token, read_token

from ..helpers import start, verify

pytestmark = pytest.mark.django_db


def verified_token(api, simulator, purpose: str = "signup") -> str:
    challenge_id = start(api, purpose=purpose).json()["id"]
    return str(verify(api, challenge_id, simulator.calls[-1].code).json()["token"])


def test_a_token_is_consumed_once_and_a_replay_is_refused(simulator, api):
    token = verified_token(api, simulator)
    assert consume_token(token, purpose="signup") == "+84361234567"
    with pytest.raises(TokenAlreadyUsed):
        consume_token(token, purpose="signup")
    assert OtpChallenge.objects.get().token_used_at is not None


def test_read_token_alone_is_a_bearer_proof_that_can_be_replayed(simulator, api):
    token = verified_token(api, simulator)
    assert read_token(token, purpose="signup") == read_token(token, purpose="signup")
    consume_token(token, purpose="signup")
    assert read_token(token, purpose="signup") == "+84361234567"  # read_token does not look


def test_consuming_checks_the_purpose_the_age_and_the_signature(simulator, api):
    token = verified_token(api, simulator)
    with pytest.raises(InvalidToken):
        consume_token(token, purpose="login")
    with pytest.raises(signing.SignatureExpired):
        consume_token(token, purpose="signup", max_age=-1)
    with pytest.raises(InvalidToken):
        consume_token(token[:-2] + "xx", purpose="signup")
    assert consume_token(token, purpose="signup")  # none of those spent it


def test_a_token_for_a_challenge_that_is_not_verified_or_gone_is_refused(simulator, api):
    challenge_id = start(api, purpose="signup").json()["id"]
    forged_by_us = make_token(phone="+84361234567", purpose="signup", challenge_id=challenge_id)
    with pytest.raises(InvalidToken) as refused:
        consume_token(forged_by_us, purpose="signup")  # signed, but the challenge is still pending
    assert not isinstance(refused.value, TokenAlreadyUsed)
    OtpChallenge.objects.all().delete()
    with pytest.raises(InvalidToken):
        consume_token(forged_by_us, purpose="signup")


@pytest.mark.parametrize("token", [None, 12, b"bytes", "", "x" * 5000])
def test_anything_that_is_not_a_token_is_invalid(token):
    with pytest.raises(InvalidToken):
        read_token(token, purpose="signup")
    with pytest.raises(InvalidToken):
        consume_token(token, purpose="signup")
