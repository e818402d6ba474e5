"""Forgetting a number (``voiceotp_forget``, :func:`forget_number`): no form of it is left in any text
column of any of the app's tables, nor in the cache; the spend cap and the prefix guard go on counting
its calls; the admin shows the rows; a dry run changes nothing; odd input is refused."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.core.management import CommandError, call_command
from django.db import models
from django.test import Client
from django.utils import timezone

from django_voiceotp import guards
from django_voiceotp.conf import get_settings
from django_voiceotp.gateways import CheckResult, SendResult, locmem
from django_voiceotp.gateways.locmem import LocMemGateway
from django_voiceotp.models import ChallengeStatus, OtpChallenge, PrefixBlock, VoiceCall
from django_voiceotp.operations.forget import forget_number
from django_voiceotp.phones import parse_any_number, stored_forms
from django_voiceotp.ratelimits import counters
from django_voiceotp.services import (
    InvalidCode,
    RateLimited,
    VoiceOtpError,
    check_code,
    refresh_call,
    start_verification,
)
from django_voiceotp.signals import number_forgotten

from ..admin.pages import staff
from ..helpers import cache_down, voiceotp, wrong

pytestmark = pytest.mark.django_db

NUMBER = parse_any_number("0361234567", default_region="VN")
OTHER = "0361234999"
FORMS = stored_forms(NUMBER)
GUARD = {"min_calls": 100, "window": 3600, "max_unverified_ratio": 0.9, "prefix_digits": 6}


@pytest.fixture
def echoing_gateway(voiceotp_gateway, monkeypatch):
    """The in-process gateway, its answers echoing the number the way some gateways do."""
    place, outcome = LocMemGateway.place_call, LocMemGateway.call_outcome

    def place_call(self: LocMemGateway, phone: str, code: str) -> SendResult:
        sent = place(self, phone, code)
        return SendResult(sent.kind, sent.code, sent.request_id, f"{sent.raw} to {phone}", 0)

    def call_outcome(self: LocMemGateway, request_id: str) -> CheckResult:
        heard = outcome(self, request_id)
        phone = next(call.phone for call in locmem.calls() if call.request_id == request_id)
        return CheckResult(heard.outcome, heard.code, f"{heard.raw} (0{phone[3:]})", 0)

    monkeypatch.setattr(LocMemGateway, "place_call", place_call)
    monkeypatch.setattr(LocMemGateway, "call_outcome", call_outcome)
    return voiceotp_gateway


@pytest.fixture
def written_keys(monkeypatch) -> set[str]:
    """Every rate-limit key the app computes for a value naming the number, as it computes it."""
    seen: set[str] = set()
    of = counters.Counter.of

    def recording(step: counters.Step, rate: str) -> counters.Counter:
        counter = of(step, rate)
        if NUMBER.e164 in step.value:
            seen.update(counter.recent_keys())
        return counter

    monkeypatch.setattr(counters.Counter, "of", staticmethod(recording))
    return seen


@pytest.fixture
def history(echoing_gateway, django_user_model) -> dict[str, Any]:
    """The number's life: a verified challenge of a signed-in user, a refused one, a live one, each
    call checked; and one call of another number."""
    user = django_user_model.objects.create_user("person", password="pw")
    with voiceotp(RESEND_COOLDOWN=0):
        verified = start_verification("036 123 4567", purpose="login", client_ip="203.0.113.9", user=user)
        check_code(verified.pk, echoing_gateway.last_code(NUMBER.national), client_ip="203.0.113.9")
        guessed = start_verification("+84 36 123 4567", purpose="signup", client_ip="203.0.113.9")
        with pytest.raises(InvalidCode):
            check_code(guessed.pk, wrong(echoing_gateway.last_code(NUMBER.national)), client_ip="203.0.113.9")
        start_verification(OTHER, purpose="login", client_ip="203.0.113.9")
    for call in VoiceCall.objects.all():
        refresh_call(call)
    VoiceCall.objects.filter(phone=NUMBER.e164).update(send_error=f"refused {NUMBER.masked}")
    return {"user": user, "verified": verified, "live": guessed}


def text_holding_the_number() -> list[tuple[str, str, str]]:
    """Every (table, column, form) where a text column of one of the app's models holds the number."""
    found = []
    for model in apps.get_app_config("django_voiceotp").get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, (models.CharField, models.TextField, models.GenericIPAddressField)):
                continue
            for form in FORMS:
                if model._default_manager.filter(**{f"{field.attname}__contains": form}).exists():
                    found.append((model._meta.db_table, str(field.column), form))
    return found


def cache_keys() -> set[str]:
    """Every key of the caches the limits and the cooldowns live in (local memory, or Redis)."""
    keys: set[str] = set()
    for alias in {get_settings().CACHE, getattr(settings, "RATELIMIT_USE_CACHE", "default")}:
        cache: Any = caches[alias]
        if isinstance(getattr(cache, "_cache", None), dict):  # local memory
            keys |= {str(key) for key in cache._cache}
        else:  # Django's RedisCache
            keys |= {key.decode() for key in cache._cache.get_client(None, write=False).scan_iter()}
    return keys


def test_the_fixture_left_the_number_everywhere_the_forget_must_reach(history, written_keys):
    places = {column for _, column, _ in text_holding_the_number()}
    assert {"phone", "send_raw", "check_raw", "send_error"} <= places


def test_a_forget_leaves_no_form_of_the_number_in_any_text_column(history):
    forget_number(NUMBER)
    assert text_holding_the_number() == []


def test_a_forget_erases_the_account_address_owner_code_and_gateway_id_of_each_row(history):
    forget_number(NUMBER)
    challenges = OtpChallenge.objects.exclude(phone__startswith="+84361234999")
    assert {(c.phone, c.user_id, c.client_ip, c.code_hash) for c in challenges} == {("", None, None, "")}
    assert set(challenges.values_list("owner", flat=True)) <= {"member", "holder", "anyone"}
    forgotten = VoiceCall.objects.exclude(phone__startswith="+84361234999")
    assert {(c.request_id, c.sent_digest, c.send_raw, c.check_raw) for c in forgotten} == {(None, "", "", "")}


def test_a_forget_leaves_other_numbers_alone(history):
    before = list(VoiceCall.objects.filter(phone="+84361234999").values())
    forget_number(NUMBER)
    assert list(VoiceCall.objects.filter(phone="+84361234999").values()) == before
    assert OtpChallenge.objects.filter(phone="+84361234999").count() == 1


def test_a_forget_erases_every_limit_key_the_number_spent(simulator, written_keys, django_user_model):
    user = django_user_model.objects.create_user("person", password="pw")
    start_verification(NUMBER.national, purpose="login", client_ip="203.0.113.9")
    challenge = start_verification(NUMBER.national, purpose="login", client_ip="203.0.113.9", user=user)
    with pytest.raises(InvalidCode):
        check_code(challenge.pk, "000000", client_ip="203.0.113.9")
    assert any(NUMBER.e164 in key for key in cache_keys()), cache_keys()  # the cooldown names the number
    limits = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    counted = {limits.make_key(key) for key in written_keys} & cache_keys()
    assert len(counted) >= 4  # each principal's requests and calls, the lane's failures
    done = forget_number(NUMBER)
    assert done.cache_keys >= len(counted) + 2  # and a cooldown for each principal
    assert not any(form in key for key in cache_keys() for form in FORMS)
    assert not counted & cache_keys()


def test_a_live_code_dies_with_the_forget(history, echoing_gateway):
    code = echoing_gateway.last_code(NUMBER.national)
    forget_number(NUMBER)
    live = OtpChallenge.objects.get(pk=history["live"].pk)
    assert live.status == ChallengeStatus.CANCELED
    with pytest.raises(VoiceOtpError) as refused:
        check_code(live.pk, code, client_ip="203.0.113.9")
    assert refused.value.status_code in (404, 409, 410)


def test_the_spend_cap_still_counts_the_forgotten_calls(history, echoing_gateway):
    counted = guards.calls_in_last_day()
    forget_number(NUMBER)
    assert guards.calls_in_last_day() == counted == 3
    with voiceotp(DAILY_CALL_LIMIT=3), pytest.raises(RateLimited, match="all the calls"):
        start_verification("0361234001", purpose="login", client_ip="198.51.100.1")


def test_the_prefix_guard_still_counts_the_forgotten_calls_of_its_window_by_their_prefix_only(history):
    with voiceotp(PREFIX_GUARD=GUARD):
        forget_number(NUMBER)
    forgotten = VoiceCall.objects.exclude(phone="+84361234999")
    assert set(forgotten.values_list("phone", flat=True)) == {"+8436123*"}
    assert VoiceCall.objects.filter(phone__startswith="+8436123").count() == 3
    assert text_holding_the_number() == []


def test_a_prefix_guard_whose_prefix_would_name_the_number_keeps_no_prefix(history):
    with voiceotp(PREFIX_GUARD={**GUARD, "prefix_digits": 7}):
        forget_number(NUMBER)
    assert set(VoiceCall.objects.exclude(phone="+84361234999").values_list("phone", flat=True)) == {""}


def test_a_blocked_prefix_that_hides_too_few_digits_is_deleted_and_a_range_is_kept(history):
    now = timezone.now()
    for prefix in ("036123", "0361234", "036123456"):
        PrefixBlock.objects.create(prefix=prefix, blocked_until=now)
    done = forget_number(NUMBER)
    assert done.prefix_blocks == 2
    assert list(PrefixBlock.objects.values_list("prefix", flat=True)) == ["036123"]


def test_a_check_read_before_the_forget_writes_nothing_after_it(echoing_gateway):
    start_verification(NUMBER.national, purpose="login", client_ip=None)
    read_before = VoiceCall.objects.get(phone=NUMBER.e164)  # a poller's copy, its answer to come
    forget_number(NUMBER)
    refresh_call(read_before)
    assert VoiceCall.objects.get(pk=read_before.pk).check_raw == ""
    assert text_holding_the_number() == []


def test_the_site_hears_which_number_was_forgotten_to_erase_its_own_copies(history):
    heard: list[str] = []

    def receiver(sender: Any, phone: str, **kwargs: Any) -> None:
        heard.append(phone)

    number_forgotten.connect(receiver)
    try:
        forget_number(NUMBER)
    finally:
        number_forgotten.disconnect(receiver)
    assert heard == [NUMBER.e164]


def test_the_number_can_be_verified_again_at_once_after_a_forget(history, echoing_gateway):
    forget_number(NUMBER)
    with voiceotp(RESEND_COOLDOWN=60):
        again = start_verification(NUMBER.national, purpose="login", client_ip="203.0.113.9")
        verified = check_code(again.pk, echoing_gateway.last_code(NUMBER.national), client_ip="203.0.113.9")
    assert verified.challenge.status == ChallengeStatus.VERIFIED


def test_a_second_forget_finds_nothing(history):
    forget_number("+84 36 123 4567")  # text, read as the API reads it
    assert text_holding_the_number() == []
    again = forget_number(NUMBER)
    assert (again.challenges, again.calls) == (0, 0)


def test_a_number_of_a_region_the_site_no_longer_calls_can_still_be_forgotten(echoing_gateway):
    with voiceotp(ALLOWED_REGIONS=["VN", "TH"]):
        start_verification("+66 81 234 5678", purpose="login", client_ip=None)
    thai = parse_any_number("+66812345678", default_region="VN")
    assert forget_number(thai).challenges == 1
    assert not OtpChallenge.objects.filter(phone="+66812345678").exists()


def test_the_admin_shows_the_forgotten_rows(history, admin_client):
    forget_number(NUMBER)
    for model in ("otpchallenge", "voicecall"):
        listing = admin_client.get(f"/admin/django_voiceotp/{model}/")
        assert listing.status_code == 200
        assert "forgotten" in listing.content.decode()
    for challenge in OtpChallenge.objects.all():
        assert (
            admin_client.get(f"/admin/django_voiceotp/otpchallenge/{challenge.pk}/change/").status_code == 200
        )
    for call in VoiceCall.objects.all():
        page = admin_client.get(f"/admin/django_voiceotp/voicecall/{call.pk}/change/")
        assert page.status_code == 200
        assert not any(form in page.content.decode() for form in FORMS)


def test_the_admin_shows_the_prefix_kept_only_to_staff_who_may_see_whole_numbers(
    history, admin_client, django_user_model
):
    with voiceotp(PREFIX_GUARD=GUARD):
        forget_number(NUMBER)
    masked_only = staff(django_user_model, "view_voicecall")
    listing = masked_only.get("/admin/django_voiceotp/voicecall/").content.decode()
    assert "forgotten" in listing
    assert "+8436123" not in listing
    assert "+8436123…" in admin_client.get("/admin/django_voiceotp/voicecall/").content.decode()


def test_the_api_reads_a_forgotten_challenge_without_error(history):
    forget_number(NUMBER)
    answer = Client().get(f"/api/otp/challenges/{history['live'].pk}/")
    assert answer.status_code in (200, 404)
    assert not any(form in answer.content.decode() for form in FORMS)


# -- voiceotp_forget -------------------------------------------------------------------------------


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("voiceotp_forget", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def rows() -> list[Any]:
    """Every challenge and call as the database holds it."""
    return list(OtpChallenge.objects.order_by("pk").values()) + list(
        VoiceCall.objects.order_by("pk").values()
    )


def test_the_command_forgets_the_number_and_says_so_masked(history):
    status, out, _ = run("0361234567", "--yes")
    assert status == 0
    assert out.startswith("036****567: forgot 2 challenges, 2 calls, ")
    assert text_holding_the_number() == []


@pytest.mark.parametrize("typed", ["+84 36 123 4567", "0084361234567", "(036) 123-4567", "01661234567"])
def test_the_command_reads_every_form_the_api_reads(history, typed):
    assert run(typed, "--noinput")[0] == 0
    assert text_holding_the_number() == []


def test_a_dry_run_counts_and_changes_nothing(history):
    before, keys = rows(), cache_keys()
    status, out, _ = run("0361234567", "--dry-run")
    assert status == 0
    assert out.startswith("036****567: would forget 2 challenges, 2 calls, ")
    assert out.endswith("; nothing was changed (--dry-run)\n")
    assert rows() == before
    assert cache_keys() == keys


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "no phone number given"),
        ("not a number", "not a phone number"),
        ("0361234567 ext 12", "extension"),
        ("12345", "not a valid phone number"),
        ("0" * 40, "too long"),
        ("01201234567'; DROP TABLE x", "not a phone number"),
    ],
)
def test_odd_input_is_refused_with_a_reason_and_exit_1(history, typed, reason):
    before = rows()
    status, message = refusal(typed, "--yes")
    assert (status, reason in message) == (1, True)
    assert rows() == before


def refusal(*args: str) -> tuple[int, str]:
    """The exit status and message of a command that refuses (``manage.py`` exits with a
    ``CommandError``'s ``returncode``; run so, it would also close the test's database connection)."""
    with pytest.raises(CommandError) as refused:
        call_command("voiceotp_forget", *args, stdout=io.StringIO(), stderr=io.StringIO())
    return refused.value.returncode, str(refused.value)


def test_without_a_terminal_and_without_yes_nothing_is_forgotten(history):
    before = rows()
    status, message = refusal("0361234567")
    assert (status, "--yes" in message) == (1, True)
    assert rows() == before


@pytest.mark.parametrize(("typed", "forgotten"), [("yes", True), ("no", False), ("", False)])
def test_at_a_terminal_it_forgets_only_once_yes_is_typed(history, monkeypatch, typed: str, forgotten: bool):
    asked: list[str] = []

    def answer(prompt: str) -> str:
        asked.append(prompt)
        return typed

    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", answer)
    if forgotten:
        assert run("0361234567")[0] == 0
    else:
        assert refusal("0361234567") == (1, "nothing was forgotten")
    assert asked == ["Type yes to forget it: "]
    assert (text_holding_the_number() == []) is forgotten


def test_a_cache_that_fails_exits_2_after_the_rows_are_forgotten(history):
    with cache_down():
        status, message = refusal("0361234567", "--yes")
    assert (status, "run the command again" in message) == (2, True)
    assert text_holding_the_number() == []


def test_a_dry_run_with_the_cache_down_says_so_exits_2_and_changes_nothing(history):
    before = rows()
    with cache_down():
        status, message = refusal("0361234567", "--dry-run")
    assert status == 2
    assert message.startswith(
        "036****567: would forget 2 challenges, 2 calls and 0 blocked prefixes; the cache"
    )
    assert rows() == before


def test_the_logs_name_the_number_masked_only(history, caplog):
    caplog.set_level(logging.DEBUG)
    run("0361234567", "--yes")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert NUMBER.masked in logged
    assert not any(form in logged for form in FORMS if form != NUMBER.masked)


@pytest.fixture
def admin_client(django_user_model) -> Client:
    user = django_user_model.objects.create_superuser("root", password="pw")
    client = Client()
    client.force_login(user)
    return client
