"""Networks as they are: an egress proxy (named, or the environment's when the site opts in), a CA
bundle for an HTTPS gateway, the deadline still cutting a request through a proxy, and the deploy
check on credentials that would travel over plain HTTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from django_voiceotp.checks import check_gateway_transport
from django_voiceotp.gateways import GatewayTimeout, GatewayUnavailable, Kind
from django_voiceotp.gateways.http.network import Network
from django_voiceotp.gateways.onsms import OnSmsGateway

from ..conftest import KEY, PASSWORD, USERNAME
from ..helpers import voiceotp
from .servers import ForwardProxy, HttpsGateway, make_certificates

PHONE = "+84361234567"


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    server = ForwardProxy()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _no_proxy_in_the_environment(monkeypatch):
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
    ):
        monkeypatch.delenv(name, raising=False)


def gateway(base_url: str, timeout: tuple[float, float] = (1.0, 2.0), **options: Any) -> OnSmsGateway:
    credentials = {"USERNAME": USERNAME, "PASSWORD": PASSWORD, "KEY": KEY}
    return OnSmsGateway(options={"BASE_URL": base_url, **credentials, **options}, timeout=timeout)


def test_a_named_proxy_carries_every_request(simulator, proxy):
    through = gateway(simulator.base_url, PROXY=proxy.url)
    taken = through.place_call(PHONE, "123456")
    assert taken.kind is Kind.TAKEN
    assert through.call_outcome(taken.request_id or "").code == "27"
    assert through.balance().ok
    assert proxy.seen == [
        f"POST {simulator.base_url}/{name}" for name in ("postSMS", "checkVoice", "checkBalance")
    ]
    assert simulator.count("postSMS") == 1


def test_the_environment_s_proxy_is_used_only_when_the_site_opts_in(simulator, proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    assert gateway(simulator.base_url).balance().ok
    assert proxy.seen == []  # the default: reached directly, whatever the environment says
    assert gateway(simulator.base_url, PROXY_FROM_ENV=True).balance().ok
    assert proxy.seen == [f"POST {simulator.base_url}/checkBalance"]


def test_no_proxy_in_the_environment_is_honoured(simulator, proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert gateway(simulator.base_url, PROXY_FROM_ENV=True).balance().ok
    assert proxy.seen == []


def test_a_socks_proxy_from_the_environment_is_ignored_rather_than_unwatched(monkeypatch):
    monkeypatch.setenv("ALL_PROXY", "socks5://127.0.0.1:1080")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    assert Network(proxy_from_env=True).proxies_for("https://gateway.example/x") == {
        "https": "http://proxy.internal:3128"
    }


def test_the_deadline_cuts_a_dripping_answer_through_the_proxy(simulator, proxy):
    simulator.set_fault("drip")
    with pytest.raises(GatewayTimeout) as info:
        gateway(simulator.base_url, (0.5, 1.0), PROXY=proxy.url).place_call(PHONE, "123456")
    assert info.value.message == "postSMS: no complete answer within 1.5 s"  # the deadline's, no read's
    assert info.value.may_have_reached
    assert simulator.count("postSMS") == 1
    assert proxy.seen == [f"POST {simulator.base_url}/postSMS"]


def test_a_proxy_that_refuses_the_connection_never_reached_the_gateway(simulator):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        nobody = f"http://127.0.0.1:{unused.getsockname()[1]}"  # bound, not listening: refused
        with pytest.raises(GatewayUnavailable) as info:
            gateway(simulator.base_url, PROXY=nobody).place_call(PHONE, "123456")
    assert not info.value.may_have_reached
    assert simulator.count("postSMS") == 0


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"PROXY": "socks5://127.0.0.1:1080"}, "PROXY must be an http:// or https:// proxy URL"),
        ({"PROXY": "http://"}, "PROXY must be an http:// or https:// proxy URL"),
        ({"PROXY_FROM_ENV": "yes"}, "PROXY_FROM_ENV must be True or False"),
        ({"CA_BUNDLE": "/nowhere/ca.pem"}, "CA_BUNDLE must be the path"),
    ],
)
def test_network_options_that_cannot_work_are_configuration_errors(options, problem):
    assert any(p.startswith(problem) for p in gateway("https://gateway.example", **options).problems())


def test_good_network_options_are_no_problem(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    options: dict[str, Any] = {"PROXY": "http://user:secret@proxy.internal:3128", "CA_BUNDLE": str(bundle)}
    assert gateway("https://gateway.example", **options).problems() == []
    network = gateway("https://gateway.example", **options).client.network
    assert network.describe("https://gateway.example/x") == (
        f"through the proxy http://proxy.internal:3128, certificates checked against {bundle}"
    )


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    made = make_certificates(tmp_path_factory.mktemp("tls"))
    if made is None:
        pytest.skip("needs the openssl command to make a CA")
    return made


def test_an_https_gateway_with_a_private_ca_is_checked_against_the_ca_bundle(certificates):
    ca, cert, key = certificates
    server = HttpsGateway(cert, key)
    try:
        with pytest.raises(GatewayUnavailable) as info:
            gateway(server.base_url).balance()  # the system's CAs do not know it
        assert not info.value.may_have_reached
        result = gateway(server.base_url, CA_BUNDLE=str(ca)).balance()
    finally:
        server.close()
    assert result.balance == 7


def test_an_https_gateway_through_the_proxy_s_tunnel(certificates, proxy):
    ca, cert, key = certificates
    server = HttpsGateway(cert, key)
    try:
        result = gateway(server.base_url, PROXY=proxy.url, CA_BUNDLE=str(ca)).balance()
    finally:
        server.close()
    assert result.balance == 7
    assert proxy.seen == [f"CONNECT {server.base_url.split('/')[2]}"]


def test_a_proxy_that_refuses_the_tunnel_never_reached_the_gateway(certificates, proxy):
    ca, cert, key = certificates
    proxy.refuse_tunnels = True
    server = HttpsGateway(cert, key)
    try:
        with pytest.raises(GatewayUnavailable) as info:
            gateway(
                server.base_url.replace("onsmsapivoice", "x"), PROXY=proxy.url, CA_BUNDLE=str(ca)
            ).place_call(PHONE, "123456")
    finally:
        server.close()
    assert not info.value.may_have_reached  # only the CONNECT left, to the proxy


# -- manage.py check --deploy -------------------------------------------------------------------------


def deploy_warnings(**changes: Any) -> list[str]:
    with voiceotp(**changes):
        return [f"{m.id}: {m.msg} {m.hint}" for m in check_gateway_transport()]


def test_credentials_over_plain_http_to_another_host_are_a_deploy_warning():
    [warning] = deploy_warnings(BASE_URL="http://210.211.108.20:8080/onsmsapivoice")
    assert warning.startswith("voiceotp.W006: VOICEOTP's gateway: the credentials (USERNAME, PASSWORD, KEY)")
    assert "plain HTTP to 210.211.108.20" in warning
    assert "documented address (http://210.211.108.20:8080/onsmsapivoice) is itself plain HTTP" in warning
    assert "SILENCED_SYSTEM_CHECKS = ['voiceotp.W006']" in warning
    assert PASSWORD not in warning


@pytest.mark.parametrize(
    "base_url",
    [
        "https://gateway.example/onsmsapivoice",
        "http://127.0.0.1:8765/x",
        "http://localhost/x",
        "http://[::1]:80/x",
    ],
)
def test_https_and_this_machine_are_no_deploy_warning(base_url):
    assert deploy_warnings(BASE_URL=base_url) == []


def test_the_warning_is_for_check_deploy_only_and_can_be_silenced():
    with voiceotp(BASE_URL="http://gateway.example/onsmsapivoice"):
        call_command("check")  # not a deploy check: nothing
        with pytest.raises(SystemCheckError, match=r"voiceotp\.W006"):
            call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "voiceotp")
        with override_settings(SILENCED_SYSTEM_CHECKS=[*settings.SILENCED_SYSTEM_CHECKS, "voiceotp.W006"]):
            call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "voiceotp")
