"""Where a call's time goes, in process and single-threaded: the server's own cost, without the load
loop, the other worker or the client competing for the same two cores.

The load figures say how far the app is from its floor; these say why. Each figure is the median of
``repeat`` runs: a whole request or verify through Django's test client (the app and the floor), and
the pieces the app's hot paths are made of: one ORM read by primary key and one conditional ORM
``UPDATE`` against one bare database round trip (the ORM's own cost per statement), the serializer
that shapes every challenge answer, and parsing a number.
"""

from __future__ import annotations

import itertools
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import Client

from django_voiceotp.api.serializers import ChallengeSerializer
from django_voiceotp.models import OtpChallenge
from django_voiceotp.phones import parse_phone

from .launcher import Simulator

_serial = itertools.count()


def _median_ms(func: Callable[[], Any], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        begun = time.perf_counter()
        func()
        samples.append((time.perf_counter() - begun) * 1000)
    return statistics.median(samples)


def measure(sim: Simulator, *, repeat: int = 60) -> dict[str, float]:
    client = Client(HTTP_HOST="127.0.0.1")
    numbers = (f"0359{n:06d}" for n in _serial)  # a range no other part of the run uses

    def start(path: str) -> str:
        response = client.post(
            path, data=json.dumps({"phone": next(numbers)}), content_type="application/json"
        )
        identifier: str = response.json()["id"]
        return identifier

    def verifier(path: str, ids: list[str]) -> Callable[[], Any]:
        pending = iter(ids)
        return lambda: client.post(
            path.format(next(pending)), data='{"code": "000000"}', content_type="application/json"
        )

    ours, floor = "/api/otp/challenges/", "/bench/floor/challenges/"
    figures = {
        "request": _median_ms(lambda: start(ours), repeat),
        "floor of the same guarantees request": _median_ms(
            lambda: start("/bench/floor-guarantees/challenges/"), repeat
        ),
        "floor request": _median_ms(lambda: start(floor), repeat),
    }
    ours_ids = [start(ours) for _ in range(repeat)]
    floor_ids = [start(floor) for _ in range(repeat)]
    figures["verify (wrong code)"] = _median_ms(verifier(ours + "{}/verify/", ours_ids), repeat)
    figures["floor verify (wrong code)"] = _median_ms(verifier(floor + "{}/verify/", floor_ids), repeat)
    challenge = OtpChallenge.objects.get(pk=ours_ids[0])
    figures["ChallengeSerializer(challenge).data"] = _median_ms(
        lambda: ChallengeSerializer(challenge).data, repeat
    )
    figures["ORM read by primary key"] = _median_ms(lambda: OtpChallenge.objects.get(pk=challenge.pk), repeat)
    figures["ORM conditional UPDATE by primary key"] = _median_ms(
        lambda: OtpChallenge.objects.filter(pk=challenge.pk, status="-").update(attempts=1), repeat
    )
    figures["phone number parse (phonenumbers, region rules)"] = _median_ms(
        lambda: parse_phone("036 123 4567", default_region="VN", allowed_regions=("VN",)), repeat
    )

    def round_trip() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    figures["bare database round trip (SELECT 1)"] = _median_ms(round_trip, repeat)
    return figures
