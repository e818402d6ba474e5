"""The simulator's tests' way of speaking to it: its credentials, a fake clock, a server on it, and the
gateway's requests over HTTP."""

from __future__ import annotations

import json
import re
from typing import Any

import requests

from django_voiceotp.simulator import GatewaySimulator

PASSWORD = "s3cret-PASS-zq"
KEY = "k3y-XYZ-zq"
CREDS = {"username": "demo", "pass": PASSWORD, "key": KEY}
TAKEN = re.compile(r"1,,,([0-9a-f-]{36})")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make(clock: FakeClock, **kwargs: Any) -> GatewaySimulator:
    options: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "username": "demo",
        "password": PASSWORD,
        "key": KEY,
        "sender": "DAUSO1",
        "balance": 5,
        "price": 1,
        "repeat_window": 900.0,
        "answer_after": 2.0,
        "hang_seconds": 0.3,
        "drip_seconds": 0.002,
        "clock": clock,
    }
    return GatewaySimulator(**{**options, **kwargs})


def post(http: requests.Session, url: str, body: Any, timeout: float = 5) -> requests.Response:
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return http.post(url, data=data, timeout=timeout)


def send(sim: GatewaySimulator, http: requests.Session, **fields: Any) -> str:
    body = {**CREDS, "sender": "DAUSO1", "phonesend": "0361234567", "message": "123456", **fields}
    return post(http, f"{sim.base_url}/postSMS", body).text


def taken(answer: str) -> str:
    match = TAKEN.fullmatch(answer)
    assert match, answer
    return match[1]


def check(sim: GatewaySimulator, http: requests.Session, request_id: str, **fields: Any) -> str:
    body = {**CREDS, "request_id": request_id, **fields}
    return post(http, f"{sim.base_url}/checkVoice", body).text
