"""Serializers are built once per thread, never shared between two threads at once."""

from __future__ import annotations

import threading

from django_voiceotp.api.serializers import CHALLENGE, VERIFY


def test_each_thread_has_its_own_serializer_and_keeps_it():
    seen: dict[str, list[int]] = {"main": [id(CHALLENGE.serializer), id(CHALLENGE.serializer)]}

    def other() -> None:
        seen["other"] = [id(CHALLENGE.serializer), id(CHALLENGE.serializer)]

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen["main"][0] == seen["main"][1]  # built once for this thread
    assert seen["other"][0] == seen["other"][1]
    assert seen["main"][0] != seen["other"][0]


def test_reading_keeps_nothing_of_a_request_on_the_serializer():
    assert VERIFY.read({"code": "12 34 56"}) == {"code": "123456"}
    assert VERIFY.read({"code": "654321"}) == {"code": "654321"}
