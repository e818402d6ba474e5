"""The demo's list of the simulator's calls relays every code: only to this machine."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory

from example_project.views import simulator_calls


@pytest.mark.parametrize(
    ("address", "host", "served"),
    [
        ("127.0.0.1", "127.0.0.1:8000", True),
        ("::1", "localhost:8000", True),
        ("203.0.113.7", "127.0.0.1:8000", False),  # another machine
        ("127.0.0.1", "demo.example.com", False),  # a proxy in front, or a DNS-rebinding page
    ],
)
def test_the_demos_calls_list_answers_only_this_machine(simulator, settings, address, host, served):
    settings.VOICEOTP_DEMO_SIMULATORS = {"main": simulator.url}
    settings.ALLOWED_HOSTS = ["*"]
    request = RequestFactory().get("/demo/calls.json", REMOTE_ADDR=address, HTTP_HOST=host)
    answer = simulator_calls(request)
    assert (answer.status_code == 200) is served
    assert ("calls" in json.loads(answer.content)) is served
