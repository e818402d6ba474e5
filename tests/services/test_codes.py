"""The code rules mutation testing found unguarded: the check compares digests in constant time, and a
resend never reads out a code the number was sent within the repeat window."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import crypto

from django_voiceotp import codes
from django_voiceotp.models import OtpChallenge

from ..helpers import resend, start, verify, voiceotp, wrong

pytestmark = pytest.mark.django_db


class Spy:
    """Wraps a function, keeping the arguments and the answer of every call."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func
        self.calls: list[tuple[tuple[Any, ...], Any]] = []

    def __call__(self, *args: Any) -> Any:
        answer = self.func(*args)
        self.calls.append((args, answer))
        return answer


def test_the_code_check_compares_the_digests_in_constant_time(simulator, api, monkeypatch):
    """``==`` on the digests would give the same answers, only in a time that leaks how much of the
    digest matched: the check must go through ``constant_time_compare``, with the digests."""
    spy = Spy(crypto.constant_time_compare)
    monkeypatch.setattr(codes, "constant_time_compare", spy)  # the name the code check calls
    challenge_id = start(api).json()["id"]
    code = simulator.calls[0].code
    challenge = OtpChallenge.objects.get()
    assert verify(api, challenge_id, wrong(code)).json()["code"] == "invalid_code"
    assert verify(api, challenge_id, code).status_code == 200
    assert spy.calls == [
        ((codes.hash_code(wrong(code), challenge.code_salt), challenge.code_hash), False),
        ((codes.hash_code(code, challenge.code_salt), challenge.code_hash), True),
    ]


def draws(*values: int) -> Callable[[int], int]:
    """A ``secrets.randbelow`` that answers ``values`` in turn, then counts on from 1."""
    answers: Iterator[int] = itertools.chain(values, itertools.count(1))
    return lambda bound: next(answers) % bound


def test_a_resend_that_draws_the_code_just_sent_draws_again_before_calling(simulator, api, monkeypatch):
    """The gateway refuses a code it read to the number within its repeat window; the app knows the
    codes it sent only by their digest (number, code), so the draw must be told apart by that digest
    and made again, and the gateway asked once per send."""
    monkeypatch.setattr(secrets, "randbelow", draws(123456, 123456, 654321))
    with voiceotp(RESEND_COOLDOWN=0):
        challenge_id = start(api).json()["id"]
        assert resend(api, challenge_id).status_code == 200
    assert [call.code for call in simulator.calls] == ["123456", "654321"]
    assert simulator.count("postSMS") == 2  # no repeat was sent, and so none refused
    assert verify(api, challenge_id, "654321").status_code == 200


def test_generate_code_skips_the_codes_whose_digest_for_the_number_was_sent(monkeypatch):
    monkeypatch.setattr(secrets, "randbelow", draws(42, 42, 7, 42))
    sent = {codes.sent_digest("+84361234567", "000042")}
    assert codes.generate_code(6, avoid=sent, phone="+84361234567") == "000007"
    # Another number's digest of the same code is another digest: that code is free for this one.
    assert codes.generate_code(6, avoid=sent, phone="+84361234568") == "000042"


# Known answers under the test settings' SECRET_KEY, worked out with ``hmac`` alone: a stored hash or
# sent digest outlives the release that wrote it (a live code, the repeat window), so the keying and
# the algorithm are part of the format, not a detail.
SALT = "0123456789abcdef0123456789abcdef"
CODE_HASH = "52d4b1a978d58961543cdc280eb062f56be7b573e4d2fbd9802804b4f58f27a0"
SENT_DIGEST = "370926b391b71903ad7f691b9cadfc9411bd595b54937b1f26dea71bc94ef83c"


def test_a_code_hash_is_the_challenge_keyed_hmac_sha256_of_salt_and_code():
    assert codes.hash_code("012345", SALT) == CODE_HASH
    assert codes.code_matches("012345", SALT, CODE_HASH)
    assert not codes.code_matches("012346", SALT, CODE_HASH)


def test_a_sent_digest_is_the_number_keyed_hmac_sha256_of_number_and_code():
    assert codes.sent_digest("+84361234567", "012345") == SENT_DIGEST


def test_a_salt_is_16_random_bytes_in_hex_the_width_of_its_column():
    salts = {codes.new_salt() for _ in range(20)}
    assert len(salts) == 20
    assert all(len(salt) == 32 and int(salt, 16) >= 0 for salt in salts)
    assert OtpChallenge._meta.get_field("code_salt").max_length == 32


def test_a_number_sent_every_code_within_the_window_is_told_so():
    """Past ``MAX_TRIES`` draws the caller gets an error that says why, not a code the gateway refuses."""
    every_code = {codes.sent_digest("+84361234567", str(digit)) for digit in range(10)}
    with pytest.raises(RuntimeError) as raised:
        codes.generate_code(1, avoid=every_code, phone="+84361234567")
    assert str(raised.value) == "no unused code left for this number within the repeat window"
