"""The proof of verification: a bearer token read many times, or consumed exactly once."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.utils import timezone

from django_voiceotp import tokens
from django_voiceotp.models import OtpChallenge
from django_voiceotp.tokens import (
    InvalidToken,
    TokenAlreadyUsed,
    TokenExpired,
    consume_token,
    make_token,
    read_token,
)

from ..helpers import start, verified_token, voiceotp

pytestmark = pytest.mark.django_db


def test_a_token_is_consumed_once_and_a_replay_is_refused(simulator, api):
    token = verified_token(api, simulator)
    assert consume_token(token, purpose="signup") == "+84361234567"
    with pytest.raises(TokenAlreadyUsed):
        consume_token(token, purpose="signup")
    assert OtpChallenge.objects.get().token_used_at is not None


def test_read_token_alone_is_a_bearer_proof_that_can_be_replayed(simulator, api):
    token = verified_token(api, simulator)
    assert read_token(token, purpose="signup") == "+84361234567"
    assert read_token(token, purpose="signup") == "+84361234567"  # a second read is no replay to it
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


def test_a_token_older_than_token_max_age_is_refused_and_a_younger_one_taken(simulator, api):
    """The age is the site's ``TOKEN_MAX_AGE`` (60 here, not the default 600) when the caller names none."""
    with voiceotp(TOKEN_MAX_AGE=60):
        token = verified_token(api, simulator)
        issued = timezone.now()
        with time_machine.travel(issued + timedelta(seconds=30), tick=False):
            assert read_token(token, purpose="signup") == "+84361234567"
        with time_machine.travel(issued + timedelta(seconds=62), tick=False):
            with pytest.raises(TokenExpired):
                read_token(token, purpose="signup")
            with pytest.raises(TokenExpired):
                consume_token(token, purpose="signup")
            assert read_token(token, purpose="signup", max_age=120) == "+84361234567"  # named, it wins
    assert OtpChallenge.objects.get().token_used_at is None  # a refused token spends nothing


def test_a_token_spends_its_own_challenge_or_nothing(simulator, api):
    """The ``UPDATE`` that spends a proof names the challenge, its number and its purpose: a proof this
    site signed for anything else (another challenge, number or purpose) spends nothing, the number's
    verified challenge included."""
    token = verified_token(api, simulator)
    verified = str(OtpChallenge.objects.get().pk)
    others = [
        make_token(phone="+84361234567", purpose="signup", challenge_id=str(uuid.uuid4())),
        make_token(phone="+84361234568", purpose="signup", challenge_id=verified),
        make_token(phone="+84361234567", purpose="login", challenge_id=verified),
    ]
    for other, purpose in zip(others, ["signup", "signup", "login"], strict=True):
        with pytest.raises(InvalidToken) as refused:
            consume_token(other, purpose=purpose)
        assert not isinstance(refused.value, TokenAlreadyUsed)
    assert OtpChallenge.objects.get().token_used_at is None
    assert consume_token(token, purpose="signup") == "+84361234567"


def test_a_spent_token_does_not_make_other_refusals_look_spent(simulator, api):
    """``TokenAlreadyUsed`` is this challenge's proof spent, not anyone's."""
    consume_token(verified_token(api, simulator), purpose="signup")
    pending = start(api, phone="0361234568", purpose="signup").json()["id"]
    forged_by_us = make_token(phone="+84361234568", purpose="signup", challenge_id=pending)
    with pytest.raises(InvalidToken) as refused:
        consume_token(forged_by_us, purpose="signup")
    assert not isinstance(refused.value, TokenAlreadyUsed)


@pytest.mark.parametrize(
    "payload",
    [
        {"p": "+84361234567", "u": "signup", "c": 7},
        {"p": 84361234567, "u": "signup", "c": "7"},
        {"p": None, "u": "signup", "c": None},
        ["+84361234567", "signup", "7"],
    ],
)
def test_a_signed_payload_of_the_wrong_shape_is_invalid(payload):
    """Signed by this site's key and salt, but not by :func:`make_token`: every field is checked."""
    token = signing.dumps(payload, salt=tokens.SALT, compress=True)
    with pytest.raises(InvalidToken):
        read_token(token, purpose="signup")
