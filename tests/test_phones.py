"""The gateway's form of a stored number: the quick Vietnamese path must agree with phonenumbers."""

from __future__ import annotations

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from django_voiceotp.phones import gateway_form, local_from_e164, mask


@settings(max_examples=400)
@given(st.from_regex(r"\+84[0-9]{8,10}", fullmatch=True))
def test_the_quick_vietnamese_form_is_the_one_phonenumbers_gives(e164):
    number = phonenumbers.parse(e164, None)
    if phonenumbers.is_valid_number(number):  # only valid numbers are ever stored
        assert local_from_e164(e164) == gateway_form(number)


def test_numbers_of_other_regions_are_their_international_digits():
    assert local_from_e164("+14155552671") == "14155552671"
    assert local_from_e164("not a number") == "not a number"


def test_masking_a_stored_number():
    assert mask(local_from_e164("+84361234567")) == "036****567"
    assert mask(local_from_e164("+842838123456")) == "028*****456"
