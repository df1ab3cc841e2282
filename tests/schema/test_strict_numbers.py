"""Phone numbers are read strictly: letters, stray punctuation and a second number are refused
before phonenumbers sees the text (it reads letters as a keypad and stops at a separator), and
mobiles abroad need the trust's consent. The UK mobile cases are GOV.UK Notify's."""

from __future__ import annotations

import pytest

from messages.sms import normalise
from schema.config_file import ConfigError, parse_config_text
from schema.identifiers import InvalidIdentifier, parse_mobile, parse_phone
from tests.conftest import EXAMPLE_TRUST

# GOV.UK Notify's valid UK mobiles (notifications-utils, tests/recipient_validation).
NOTIFY_UK_MOBILES = [
    "7723456789",
    "07723456789",
    "07723 456789",
    "07723-456-789",
    "00447723456789",
    "00 44 7723456789",
    "+447723456789",
    "+44 7723 456 789",
    "+44 (0)7723 456 789",
    "\u200b\t\t+44 (0)7723 456 789\ufeff \r\n",
]


@pytest.mark.parametrize("raw", NOTIFY_UK_MOBILES)
def test_every_way_notify_accepts_of_writing_a_uk_mobile_is_accepted(raw: str) -> None:
    assert parse_mobile(raw) == "+447723456789"


@pytest.mark.parametrize("raw", ["+447797292290", "07797 800123", "07624 123456", "07781 123456"])
def test_mobiles_of_jersey_guernsey_and_the_isle_of_man_count_as_uk(raw: str) -> None:
    assert parse_mobile(raw).startswith("+447")


LETTERS_OR_SYMBOLS = {
    "a letter O for a zero": "07911 1OO OO1",
    "words a keypad would turn into digits": "07723 CALL ME",
    "two numbers with a semicolon": "07723456789;07911123456",
    "two numbers with a slash": "07723456789/07911123456",
    "two numbers with a comma": "07723456789, 07911123456",
    "two numbers with 'or'": "07723456789 or 07911123456",
    "an extension": "07890x32109",
    "trailing dots": "07723 456789...",
    "symbols": "07723 ☟☜⬇⬆☞☝",
    "SQL": '07";DROP TABLE;"',
    "letters after the code": "+44 07ab cde fgh",
    "letters and digits": "ALPHANUM3R1C",
    "a plus in the middle": "07723+456789",
    "a tel: link": "tel:07723456789",
}


@pytest.mark.parametrize("case", sorted(LETTERS_OR_SYMBOLS))
def test_letters_punctuation_and_second_numbers_are_refused_before_parsing(case: str) -> None:
    with pytest.raises(InvalidIdentifier, match="only digits, spaces, brackets, hyphens"):
        parse_mobile(LETTERS_OR_SYMBOLS[case])
    with pytest.raises(InvalidIdentifier):
        parse_phone(LETTERS_OR_SYMBOLS[case])


@pytest.mark.parametrize(
    "raw",
    [
        "07723456789 07911123456",  # two numbers separated by a space: too many digits
        "07723 456789 0791",
        "+44 (0)7723 456 789 10",
        "0772345678910",
        "0044772345678910",
        "+44 (0)7723 456 78",
        "0772345678",
        "00447723456",
    ],
)
def test_too_many_or_too_few_digits_are_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentifier):
        parse_mobile(raw)


@pytest.mark.parametrize("raw", ["+1 202 555 0104", "+33 6 12 34 56 78", "0033612345678"])
def test_a_mobile_abroad_is_refused_unless_the_trust_allows_international(raw: str) -> None:
    with pytest.raises(InvalidIdentifier, match="allow_international"):
        parse_mobile(raw)
    assert parse_mobile(raw, allow_international=True).startswith(("+1", "+33"))


def test_a_uk_landline_is_never_a_mobile_even_when_international_is_allowed() -> None:
    with pytest.raises(InvalidIdentifier, match="not a mobile"):
        parse_mobile("0113 496 0001", allow_international=True)


def test_line_breaks_of_every_kind_become_one_kind_in_an_sms() -> None:
    assert normalise("a\rb") == "a\nb"
    assert normalise("a\r\nb") == "a\nb"
    assert normalise("a\r\r\nb") == "a\n\nb"  # a blank line stays a blank line


TRUST = EXAMPLE_TRUST.read_text()


def test_a_staff_phone_abroad_is_refused_in_a_trust_file_naming_the_field() -> None:
    text = TRUST.replace('phone: "07700 900101"', 'phone: "+33 6 12 34 56 78"', 1)
    with pytest.raises(ConfigError) as refused:
        parse_config_text(text)
    assert "staff[0].phone" in refused.value.report()
    assert "allow_international" in refused.value.report()


def test_a_trust_that_allows_international_takes_a_staff_phone_abroad() -> None:
    text = TRUST.replace('phone: "07700 900101"', 'phone: "+33 6 12 34 56 78"', 1).replace(
        "sms:\n", "sms:\n  allow_international: true\n", 1
    )
    config = parse_config_text(text)
    assert config.sms.allow_international
    assert config.staff[0].phone == "+33612345678"


def test_a_keypad_number_for_a_staff_phone_is_refused_in_a_trust_file() -> None:
    text = TRUST.replace('phone: "07700 900101"', 'phone: "07911 1OO OO1"', 1)
    with pytest.raises(ConfigError) as refused:
        parse_config_text(text)
    assert "staff[0].phone" in refused.value.report()
