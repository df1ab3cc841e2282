"""Phone numbers, NHS numbers and email addresses: parsed, checked, and masked for logs."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import NumberParseException, PhoneNumberType

DEFAULT_REGION = "GB"

# Ofcom reserves 07700 900000 to 900999 for drama. phonenumbers calls them invalid, yet examples
# and tests need mobiles that belong to nobody, so exactly this range is accepted as fictional.
_FICTIONAL_MOBILE = re.compile(r"^\+447700900\d{3}$")
_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


class InvalidIdentifier(ValueError):
    """A phone number, NHS number or email address that cannot be used."""


def is_fictional_mobile(e164: str) -> bool:
    return bool(_FICTIONAL_MOBILE.match(e164))


def _parse(raw: str, region: str) -> phonenumbers.PhoneNumber:
    text = raw.strip()
    if not text:
        raise InvalidIdentifier("phone number is empty")
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException as error:
        raise InvalidIdentifier(f"not a phone number: {error}") from None


def parse_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """Any valid phone number (landline or mobile) as E.164."""
    number = _parse(raw, region)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if is_fictional_mobile(e164) or phonenumbers.is_valid_number(number):
        return e164
    raise InvalidIdentifier("not a valid phone number")


def parse_mobile(raw: str, region: str = DEFAULT_REGION) -> str:
    """A number that can receive SMS, as E.164: a valid mobile, or Ofcom's fictional range."""
    number = _parse(raw, region)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if is_fictional_mobile(e164):
        return e164
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentifier("not a valid phone number")
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise InvalidIdentifier("not a mobile number, so it cannot receive SMS")
    return e164


@lru_cache(maxsize=1024)
def display_phone(e164: str) -> str:
    """A number as a UK reader writes it (0113 496 0001), or international when foreign."""
    number = phonenumbers.parse(e164, DEFAULT_REGION)
    if number.country_code == 44:
        if is_fictional_mobile(e164):
            return f"07700 {e164[-6:]}"
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def mask_phone(value: str | None) -> str:
    """Safe for logs: keeps the last three digits only."""
    if not value:
        return "-"
    digits = re.sub(r"\D", "", value)
    return f"***{digits[-3:]}" if len(digits) >= 3 else "***"


def check_nhs_number(raw: str) -> str:
    """Ten digits whose last is the modulus-11 check digit of the first nine."""
    digits = re.sub(r"[\s-]", "", raw)
    if not re.fullmatch(r"\d{10}", digits):
        raise InvalidIdentifier("NHS number must be 10 digits")
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10 or check != int(digits[9]):
        raise InvalidIdentifier("NHS number fails its check digit")
    return digits


def check_email(raw: str) -> str:
    """A syntactically valid address, normalised (no DNS look-up: this runs offline)."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise InvalidIdentifier(f"not a valid email address: {error}") from None
