"""Why a number cannot be called, told to the person in words they can act on (mutation testing
found the words unheld), under the region rules the caller passes."""

from __future__ import annotations

import dataclasses

import pytest

from django_voiceotp.conf import get_settings
from django_voiceotp.exceptions import InvalidPhone
from django_voiceotp.services import normalize_phone

from ..helpers import start

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "detail"),
    [
        (
            "01001234567",
            "This 11-digit number was retired in 2018 and has no 10-digit form. Enter the number in use now.",
        ),
        (
            "+14155552671",
            "Numbers in this country cannot be called. Enter a number of a country this site calls.",
        ),
        (
            "19001234",
            "This kind of number (premium-rate, toll-free) cannot be called. "
            "Enter a mobile or landline number.",
        ),
        ("0361234567 ext. 12", "Numbers with an extension cannot be called. Enter the number without it."),
    ],
)
def test_an_uncallable_number_is_refused_saying_why(simulator, api, typed, detail):
    answer = start(api, phone=typed)
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_phone"
    assert answer.json()["detail"] == detail
    assert simulator.count("postSMS") == 0


def test_the_region_rules_passed_are_the_ones_used():
    american = dataclasses.replace(get_settings(), DEFAULT_REGION="US", ALLOWED_REGIONS=("US",))
    assert normalize_phone("4155552671", american).e164 == "+14155552671"
    with pytest.raises(InvalidPhone):
        normalize_phone("4155552671")
