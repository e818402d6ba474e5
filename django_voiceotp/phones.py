"""Phone numbers: parsing, region rules, the national form people read, and masking.

``phonenumbers`` does the parsing. What is ours is the policy: which regions and number types may be
called (premium-rate and shared-cost numbers are what toll fraud pumps, so they are never called),
the pre-2018 Vietnamese 11-digit mobile numbers, and the national form people read
(``0361234567``), which masking and the prefix guard use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

MAX_INPUT_LENGTH = 32

# Vietnam moved its 11-digit mobile numbers to 10 digits in 2018 (Circular 22/2017/TT-BTTTT). The
# gateway answers 31 for the old form; we convert instead, so the person is called and not refused.
LEGACY_VN_PREFIXES = {
    "120": "70", "121": "79", "122": "77", "126": "76", "128": "78",  # MobiFone
    "123": "83", "124": "84", "125": "85", "127": "81", "129": "82",  # VinaPhone
    "162": "32", "163": "33", "164": "34", "165": "35", "166": "36",  # Viettel
    "167": "37", "168": "38", "169": "39",  # Viettel
    "186": "56", "188": "58",  # Vietnamobile
    "199": "59",  # Gmobile
}  # fmt: skip

CALLABLE_TYPES = frozenset(
    {
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }
)

_LEGACY_LOCAL = re.compile(r"0(1\d\d)(\d{7})")
_LEGACY_INTL = re.compile(r"(?:\+|00)84(1\d\d)(\d{7})")
_LEGACY_BARE = re.compile(r"84(1\d\d)(\d{7})")
_SEPARATORS = re.compile(r"[\s().\-/]")
_VN_E164 = re.compile(r"\+84[2-9][0-9]{8,9}")


RETIRED = "an 11-digit Vietnamese number that no longer exists"
EXTENSION = "a number with an extension cannot be called"
OTHER_REGION = "numbers in this region cannot be called"
NOT_CALLABLE = "this kind of number cannot be called"


class UncallableNumber(ValueError):
    """The input is not a number the gateway can call. ``reason`` is a fixed phrase, safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Phone:
    e164: str
    region: str
    national: str
    """The number as people in its country write it, digits only (``0361234567``): what masking and
    the prefix guard show. A gateway backend dials its own form of the E.164 number."""

    @property
    def masked(self) -> str:
        return mask(self.national)


def _convert_legacy(compact: str, *, local_forms: bool = True) -> str:
    """An old 11-digit Vietnamese mobile number in its 10-digit form. ``local_forms``: also the forms
    without a country code (``0168...``, ``84168...``), which are Vietnamese only where Vietnam is the
    default region: elsewhere ``0162 2823619`` is a German mobile number, not a retired Viettel one."""
    patterns = [(_LEGACY_INTL, "+84")]
    if local_forms:
        patterns += [(_LEGACY_LOCAL, "0"), (_LEGACY_BARE, "+84")]
    for pattern, prefix in patterns:
        match = pattern.fullmatch(compact)
        if match:
            new = LEGACY_VN_PREFIXES.get(match[1])
            if new is None:
                raise UncallableNumber(RETIRED)
            return f"{prefix}{new}{match[2]}"
    return compact


def _parse(raw: str, *, default_region: str, vn_legacy: bool) -> phonenumbers.PhoneNumber:
    """What a person typed as a valid number (an old Vietnamese form converted), whatever its region
    and kind, or raise :class:`UncallableNumber`."""
    if not isinstance(raw, str) or not raw.strip():
        raise UncallableNumber("no phone number given")
    if len(raw) > MAX_INPUT_LENGTH:
        raise UncallableNumber("too long to be a phone number")
    compact = _SEPARATORS.sub("", raw.strip())
    if vn_legacy:
        compact = _convert_legacy(compact, local_forms=default_region == "VN")
    try:
        number = phonenumbers.parse(compact, default_region)
    except NumberParseException:
        raise UncallableNumber("not a phone number") from None
    if number.extension:
        # The gateway dials digits, not a switchboard's menu: an extension would be dialled as part of
        # the number (``0361234567 ext 12`` as ``036123456712``), reaching someone else or no one.
        raise UncallableNumber(EXTENSION)
    if not phonenumbers.is_valid_number(number):
        raise UncallableNumber("not a valid phone number")
    return number


def _phone(number: phonenumbers.PhoneNumber) -> Phone:
    return Phone(
        e164=phonenumbers.format_number(number, PhoneNumberFormat.E164),
        region=phonenumbers.region_code_for_number(number) or "",
        national=national_form(number),
    )


def parse_phone(raw: str, *, default_region: str, allowed_regions: tuple[str, ...]) -> Phone:
    """Parse what a person typed into a callable number, or raise :class:`UncallableNumber`."""
    vn_legacy = default_region == "VN" or "VN" in allowed_regions
    number = _parse(raw, default_region=default_region, vn_legacy=vn_legacy)
    region = phonenumbers.region_code_for_number(number) or ""
    if region not in allowed_regions:
        raise UncallableNumber(OTHER_REGION)
    if phonenumbers.number_type(number) not in CALLABLE_TYPES:
        raise UncallableNumber(NOT_CALLABLE)
    return _phone(number)


def parse_any_number(raw: str, *, default_region: str) -> Phone:
    """What :func:`parse_phone` reads (the same forms, the same default region), of any region and
    kind: a number the site called once may be of a region or kind it no longer calls, and it must
    still be found (to be forgotten, say)."""
    return _phone(_parse(raw, default_region=default_region, vn_legacy=True))


def stored_forms(number: Phone) -> tuple[str, ...]:
    """Every form of ``number`` that text the app keeps may hold: E.164 with and without ``+``, the
    national form and its significant digits (which every other digit-only form contains), the
    national and international display forms, and the masked form."""
    parsed = phonenumbers.parse(number.e164, None)
    forms = {
        number.e164,
        number.e164.lstrip("+"),
        number.national,
        phonenumbers.national_significant_number(parsed),
        phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL),
        phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL),
        number.masked,
    }
    return tuple(sorted(forms, key=len, reverse=True))


def mask(number: str) -> str:
    """``0361234567`` -> ``036****567``: enough for a person to recognise, too little to reuse."""
    digits = number.lstrip("+")
    if len(digits) <= 6:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 6)}{digits[-3:]}"


def national_form(number: phonenumbers.PhoneNumber) -> str:
    """Vietnamese numbers with their trunk 0 (``0361234567``); a number of another region (a site may
    allow some) as its international digits without ``+``, the only unambiguous form.

    Built from the national significant number, never from a formatted string: formatting carries
    whatever else the number holds (an extension, a carrier code) into the digits.
    """
    significant = phonenumbers.national_significant_number(number)
    if number.country_code == 84:
        return "0" + significant
    return f"{number.country_code}{significant}"


def national_of_e164(e164: str) -> str:
    """The national form of an E.164 number; ``NumberParseException`` if it is none."""
    if _VN_E164.fullmatch(e164):
        # A Vietnamese landline or mobile number is its trunk 0 and the digits after +84 (service
        # numbers such as 1800 have no trunk 0, and no 1 after +84 matches): no parse on the paths
        # that mask a number for every answer, or dial the number the rules have just parsed.
        return "0" + e164[3:]
    return national_form(phonenumbers.parse(e164, None))


def national_from_e164(e164: str) -> str:
    """The national form of a stored E.164 number (the E.164 text itself if it does not parse)."""
    try:
        return national_of_e164(e164)
    except NumberParseException:
        return e164


def search_forms(text: str, default_region: str) -> list[str]:
    """Every stored form a person may have meant by ``text``: used by the admin's search box."""
    try:
        compact = _convert_legacy(_SEPARATORS.sub("", text.strip()), local_forms=default_region == "VN")
        number = phonenumbers.parse(compact, default_region)
    except (NumberParseException, UncallableNumber):
        return []
    return [phonenumbers.format_number(number, PhoneNumberFormat.E164)]
