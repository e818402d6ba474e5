"""Client addresses: every client gets its own per-IP bucket, however its address is written."""

from __future__ import annotations

import pytest

from django_voiceotp import addresses, services
from django_voiceotp.exceptions import RateLimited
from django_voiceotp.models import OtpChallenge

from ..helpers import NO_LIMITS, PHONE, start, voiceotp

pytestmark = pytest.mark.django_db


def per_ip(rate: str = "1/h", **changes):
    return voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS={**NO_LIMITS, "request_per_ip": rate}, **changes)


@pytest.mark.parametrize(
    ("written", "address"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("203.0.113.7:51234", "203.0.113.7"),
        ("[2001:db8::7]:443", "2001:db8::7"),
        ("[2001:db8::7]", "2001:db8::7"),
        ("2001:DB8::7", "2001:db8::7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("[::ffff:203.0.113.7]:80", "203.0.113.7"),
        (' for="[2001:db8::7]:443"', "2001:db8::7"),
        ("for=203.0.113.7;proto=https", "203.0.113.7"),
        ("unknown", None),
        ("", None),
        ("999.1.1.1", None),
        ("203.0.113.7:port", None),
    ],
)
def test_every_spelling_of_an_address_is_read(written, address):
    assert addresses.parse(written) == address


def test_a_long_header_value_is_read_but_not_kept():
    """The address cache holds what an address can look like; a long value (a client's, behind a
    proxy set-up that passes it on) is read each time, so that clients cannot fill the cache."""
    addresses._parse_cached.cache_clear()
    written = 'for="[2001:db8::7]:443";proto=https;by=' + "x" * 8000
    assert addresses.parse(written) == "2001:db8::7"
    assert addresses._parse_cached.cache_info().currsize == 0
    assert addresses.parse("203.0.113.7") == "203.0.113.7"
    assert addresses._parse_cached.cache_info().currsize == 1


def test_ipv4_mapped_clients_are_keyed_as_their_ipv4_address(simulator, api):
    """A dual-stack socket shows IPv4 clients as ::ffff:a.b.c.d; their /64 would be one bucket."""
    with per_ip():
        assert start(api, phone="0361234561", REMOTE_ADDR="::ffff:203.0.113.7").status_code == 201
        assert start(api, phone="0361234562", REMOTE_ADDR="::ffff:203.0.113.8").status_code == 201
        assert start(api, phone="0361234563", REMOTE_ADDR="203.0.113.7").status_code == 429
    assert set(OtpChallenge.objects.values_list("client_ip", flat=True)) == {"203.0.113.7", "203.0.113.8"}


@pytest.mark.parametrize(
    ("first", "second", "same_client"),
    [
        ("203.0.113.7:51234", "203.0.113.8:51234", False),
        ("203.0.113.7:51234", "203.0.113.7:40000", True),
        ("[2001:db8:1::7]:443", "[2001:db8:2::7]:443", False),
        ("[2001:db8:1::7]:443", "2001:db8:1::8", True),
    ],
)
def test_a_trusted_proxy_header_with_ports_or_brackets_keeps_clients_apart(
    simulator, api, first, second, same_client
):
    with per_ip(TRUSTED_PROXY_HEADER="HTTP_X_FORWARDED_FOR"):
        assert start(api, phone="0361234561", HTTP_X_FORWARDED_FOR=f"10.0.0.1, {first}").status_code == 201
        answer = start(api, phone="0361234562", HTTP_X_FORWARDED_FOR=second)
    assert answer.status_code == (429 if same_client else 201)


def test_the_forwarded_header_is_read_too(simulator, api):
    with per_ip(TRUSTED_PROXY_HEADER="HTTP_FORWARDED"):
        assert start(api, phone="0361234561", HTTP_FORWARDED='for="[2001:db8:1::7]:443"').status_code == 201
        assert start(api, phone="0361234562", HTTP_FORWARDED="for=203.0.113.9").status_code == 201
        assert start(api, phone="0361234563", HTTP_FORWARDED="for=203.0.113.9;proto=https").status_code == 429


def test_requests_with_no_readable_address_share_one_bucket_and_say_so(simulator, api, caplog):
    """Fail closed: a proxy set-up that hides every address must not switch the per-IP limits off."""
    addresses._warned = False
    with per_ip(TRUSTED_PROXY_HEADER="HTTP_X_REAL_IP"):
        assert start(api, phone="0361234561", REMOTE_ADDR="", HTTP_X_REAL_IP="garbage").status_code == 201
        assert start(api, phone="0361234562", REMOTE_ADDR="").status_code == 429
    assert "TRUSTED_PROXY_HEADER" in caplog.text
    assert OtpChallenge.objects.get().client_ip is None


def test_python_callers_must_say_whether_there_is_a_client_address(simulator):
    with pytest.raises(TypeError):
        services.start_verification(PHONE)


def test_python_callers_without_an_address_skip_only_the_per_ip_limit(simulator):
    """None is explicit: no per-IP limit (there is no client to key it on); the number's limits hold."""
    rates = {**NO_LIMITS, "request_per_ip": "1/h", "request_per_phone": "2/h"}
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS=rates):
        services.start_verification("0361234561", client_ip=None)
        services.start_verification("0361234562", client_ip=None)
        services.start_verification("0361234561", client_ip=None)
        with pytest.raises(RateLimited):
            services.start_verification("0361234561", client_ip=None)  # request_per_phone
        services.start_verification("0361234563", client_ip="203.0.113.7")
        with pytest.raises(RateLimited):
            services.start_verification("0361234564", client_ip="::ffff:203.0.113.7")  # request_per_ip
