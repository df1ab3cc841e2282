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


# Characters people put around the digits of a number: spaces, brackets, hyphens (any dash), and
# invisible ones a copy and paste brings. Nothing else reaches phonenumbers, which would read
# letters as a keypad ("07911 1OO OO1" -> 07911 166 661) and stop at a separator, keeping the
# first of two numbers.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_WRITTEN_NUMBER = re.compile(r"\+?[0-9()\- ]+")
_TRUNK_ZERO = re.compile(r"^(\+|00)?(\d{1,3})\(0\)")  # +44 (0)7723: the 0 is not dialled
MAX_DIGITS = 15  # E.164
UK_COUNTRY_CODE = 44  # the UK and the Crown dependencies (Guernsey, Jersey, the Isle of Man)


def _written(raw: str) -> str:
    """The number as written, with spacing of every kind made one space; refused if it holds
    anything but digits, spaces, brackets, hyphens and one leading +."""
    text = " ".join(raw.translate(_INVISIBLE).translate(_DASHES).split())
    if not text:
        raise InvalidIdentifier("phone number is empty")
    if not _WRITTEN_NUMBER.fullmatch(text):
        raise InvalidIdentifier(
            "a phone number has only digits, spaces, brackets, hyphens and one leading +; "
            "no letters, other symbols or second number"
        )
    return text


def _parse(raw: str, region: str) -> phonenumbers.PhoneNumber:
    text = _written(raw)
    compact = _TRUNK_ZERO.sub(r"\1\2", text.replace(" ", "").replace("-", ""))
    digits = re.sub(r"\D", "", compact)
    if len(digits) > MAX_DIGITS + 2:  # 00 and 15 digits at most
        raise InvalidIdentifier("too many digits for one phone number")
    try:
        number = phonenumbers.parse(compact, region)
    except NumberParseException as error:
        raise InvalidIdentifier(f"not a phone number: {error}") from None
    if number.extension or not _every_digit_read(compact, digits, number):
        raise InvalidIdentifier("not one phone number: some digits would be dropped")
    return number


def _every_digit_read(compact: str, digits: str, number: phonenumbers.PhoneNumber) -> bool:
    """True when the parsed number is all the digits written, less a dialling prefix only."""
    national = phonenumbers.national_significant_number(number)
    code = str(number.country_code)
    if not digits.endswith(national):
        return False
    prefix = digits[: len(digits) - len(national)]
    if compact.startswith("+"):
        return prefix == code
    return prefix in {"", "0", code, f"00{code}"}


def parse_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """Any valid phone number (landline or mobile) as E.164."""
    number = _parse(raw, region)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if is_fictional_mobile(e164) or phonenumbers.is_valid_number(number):
        return e164
    raise InvalidIdentifier("not a valid phone number")


def parse_mobile(
    raw: str, region: str = DEFAULT_REGION, *, allow_international: bool = False
) -> str:
    """A number that can receive SMS, as E.164: a valid mobile, or Ofcom's fictional range.

    UK and Crown dependency mobiles only, unless the trust allows international ones; abroad
    some countries (the US, Canada) cannot be told apart from landlines, so a trust that allows
    them accepts that risk.
    """
    number = _parse(raw, region)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if is_fictional_mobile(e164):
        return e164
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentifier("not a valid phone number")
    if number.country_code != UK_COUNTRY_CODE and not allow_international:
        raise InvalidIdentifier(
            "not a UK mobile: this trust sends SMS to the UK, Guernsey, Jersey and the "
            "Isle of Man only (sms.allow_international)"
        )
    kind = phonenumbers.number_type(number)
    wanted = _MOBILE_TYPES if number.country_code != UK_COUNTRY_CODE else {PhoneNumberType.MOBILE}
    if kind not in wanted:
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
