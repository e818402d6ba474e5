"""A site with two gateways: the admin shows each one's balance, health and calls, and refreshes the
one asked; ``voiceotp_balance`` asks them all and exits with the worst."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from django_voiceotp import health
from django_voiceotp.models import VoiceCall

from ..helpers import start

pytestmark = pytest.mark.django_db

CHALLENGES = "/admin/django_voiceotp/otpchallenge/"
GATEWAY = f"{CHALLENGES}gateway/"


def html_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    html: str = response.content.decode()
    return html


def test_each_gateway_s_balance_is_shown_under_its_name(admin_client, two_gateways):
    first, second = two_gateways
    second.set_balance(7)
    for url in (CHALLENGES, GATEWAY):
        html = html_of(admin_client, url)
        assert "first: Gateway balance: 1000000." in html, url
        assert "second: Gateway balance: 7." in html, url
    assert (first.count("checkBalance"), second.count("checkBalance")) == (1, 1)  # then the cache


def test_refresh_asks_only_the_gateway_named_in_the_form(admin_client, two_gateways):
    first, second = two_gateways
    html_of(admin_client, GATEWAY)
    answer = admin_client.post(f"{GATEWAY}balance/", {"gateway": "second", "next": GATEWAY}, follow=True)
    assert [str(m) for m in answer.context["messages"]] == ["second: Gateway balance: 1000000."]
    assert (first.count("checkBalance"), second.count("checkBalance")) == (1, 2)
    admin_client.post(f"{GATEWAY}balance/", {"gateway": "test", "next": GATEWAY})  # no such gateway: all
    assert (first.count("checkBalance"), second.count("checkBalance")) == (2, 3)


def test_the_gateways_table_shows_each_one_s_health_and_calls(api, admin_client, two_gateways):
    first, _second = two_gateways
    first.set_balance(0)  # 14: the first is paused at once and the call goes to the second
    assert start(api).status_code == 201
    html = html_of(admin_client, GATEWAY)
    table = html.split('id="voiceotp-gateways"', 1)[1].split("</table>", 1)[0]
    rows = {
        name: table.split(f'<th scope="row">{name}', 1)[1].split("</tr>", 1)[0]
        for name in ("first", "second")
    }
    assert "Skipped" in rows["first"]
    assert "calls go to the next gateway until" in rows["first"]
    assert "Answering" in rows["second"]
    cells = lambda row: [c.split("<", 1)[0] for c in row.split("<td>")[2:]]  # noqa: E731
    assert cells(rows["first"]) == ["1", "0", "1", "0"]  # asked, taken, refused, unknown
    assert cells(rows["second"]) == ["1", "1", "0", "0"]
    assert VoiceCall.objects.filter(gateway="first", send_code="14").exists()
    assert ">first</td>" in html  # the refusal names its gateway


def test_a_gateway_failing_but_not_yet_paused_says_how_many_times(admin_client, two_gateways):
    health.failed("second", certain=False)
    health.failed("second", certain=False)
    assert "2 failures in a row" in html_of(admin_client, GATEWAY)


def balance_command(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("voiceotp_balance", *args, stdout=out, stderr=err)
        status = 0
    except SystemExit as exit:
        status = int(exit.code or 0)
    return status, out.getvalue(), err.getvalue()


def test_voiceotp_balance_asks_every_gateway_and_exits_with_the_worst(two_gateways):
    _first, second = two_gateways
    assert balance_command() == (
        0,
        "first: Gateway balance: 1000000.\nsecond: Gateway balance: 1000000.\n",
        "",
    )
    second.set_fault("garbage", endpoint="checkBalance")
    status, out, err = balance_command()
    assert status == 2
    assert out == "first: Gateway balance: 1000000.\n"
    assert err.startswith("second: The gateway's balance answer could not be read.")
    assert balance_command("--gateway", "first")[0] == 0


def test_voiceotp_balance_names_the_gateways_when_asked_for_one_it_does_not_have(two_gateways):
    with pytest.raises(CommandError, match="no gateway is named 'third': the site has first, second"):
        call_command("voiceotp_balance", "--gateway", "third")
