"""Numbers: the gateway's local form, extensions, and the quick Vietnamese path agreeing with phonenumbers."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from django_voiceotp.phones import (
    EXTENSION,
    UncallableNumber,
    mask,
    national_form,
    national_from_e164,
    parse_phone,
)


@settings(max_examples=400)
@given(st.from_regex(r"\+84[0-9]{8,10}", fullmatch=True))
def test_the_quick_vietnamese_form_is_the_one_phonenumbers_gives(e164):
    number = phonenumbers.parse(e164, None)
    if phonenumbers.is_valid_number(number):  # only valid numbers are ever stored
        assert national_from_e164(e164) == national_form(number)


def test_numbers_of_other_regions_are_their_international_digits():
    assert national_from_e164("+14155552671") == "14155552671"
    assert national_from_e164("not a number") == "not a number"


def test_masking_a_stored_number():
    assert mask(national_from_e164("+84361234567")) == "036****567"
    assert mask(national_from_e164("+842838123456")) == "028*****456"


# -- extensions and the local form ----------------------------------------------------------------

EXTENSION_SPELLINGS = [
    "0361234567 ext 12",
    "0361234567 ext. 12",
    "0361234567 x12",
    "0361234567;ext=12",
    "0361234567,12",
    "0361234567#12",
    "+84 36 123 4567 extension 5",
    "tel:+84-36-123-4567;ext=12",
]


@pytest.mark.parametrize("raw", EXTENSION_SPELLINGS)
def test_a_number_with_an_extension_is_refused_in_every_spelling(raw):
    assert phonenumbers.parse(raw, "VN").extension  # phonenumbers reads an extension in each
    with pytest.raises(UncallableNumber) as refused:
        parse_phone(raw, default_region="VN", allowed_regions=("VN",))
    assert refused.value.reason == EXTENSION


@pytest.mark.parametrize("raw", ["tel:+84361234567", "03612345\uff167", "٠٣٦١٢٣٤٥٦٧", "+84 (36) 123-4567"])
def test_other_spellings_give_the_national_significant_number_in_ascii(raw):
    assert parse_phone(raw, default_region="VN", allowed_regions=("VN",)).national == "0361234567"


@settings(max_examples=300)
@given(
    st.sampled_from(["VN", "US", "GB", "IT", "DE", "SG"]).flatmap(
        lambda region: st.tuples(st.just(region), st.from_regex(r"\+?[0-9]{6,15}", fullmatch=True))
    )
)
def test_the_local_form_is_digits_from_the_national_significant_number(pair):
    region, raw = pair
    try:
        number = parse_phone(raw, default_region=region, allowed_regions=("VN", "US", "GB", "IT", "DE", "SG"))
    except UncallableNumber:
        return
    parsed = phonenumbers.parse(number.e164, None)
    significant = phonenumbers.national_significant_number(parsed)
    assert number.national.isascii()
    assert number.national.isdigit()
    assert number.national == (
        "0" + significant if parsed.country_code == 84 else f"{parsed.country_code}{significant}"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("raw", EXTENSION_SPELLINGS)
def test_the_api_refuses_an_extension_and_dials_nothing(simulator, api, raw):
    response = api.post("/api/otp/challenges/", {"phone": raw}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_phone"
    assert "extension" in response.json()["detail"]
    assert simulator.count("postSMS") == 0


def test_the_old_vietnamese_rewrite_leaves_other_countries_numbers_alone():
    """0162 2823619 is a German mobile number where Germany is the default region, not a retired
    Viettel one (it was called as +84322823619)."""
    number = parse_phone("0162 2823619", default_region="DE", allowed_regions=("DE", "VN"))
    assert number.e164 == "+491622823619"
    # Written with Vietnam's country code, the old form is still Vietnam's, and converted.
    converted = parse_phone("+84 162 282 3619", default_region="DE", allowed_regions=("DE", "VN"))
    assert converted.e164 == "+84322823619"
