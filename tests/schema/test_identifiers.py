import pytest

from schema.identifiers import (
    InvalidIdentifier,
    check_email,
    check_nhs_number,
    display_phone,
    is_fictional_mobile,
    mask_phone,
    parse_mobile,
    parse_phone,
)


@pytest.mark.parametrize("raw", ["943 476 5919", "9434765919", "999-000-0018"])
def test_nhs_numbers_with_a_correct_check_digit_are_accepted(raw: str) -> None:
    assert len(check_nhs_number(raw)) == 10


@pytest.mark.parametrize("raw", ["943 476 5918", "123456789", "12345678901", "abcdefghij", ""])
def test_nhs_numbers_with_a_wrong_check_digit_or_length_are_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentifier):
        check_nhs_number(raw)


def test_an_nhs_number_whose_check_digit_would_be_ten_is_refused() -> None:
    # 1000000010: weights give 10*1 + 2*1 = 12 -> 11 - 1 = 10, never issued.
    with pytest.raises(InvalidIdentifier):
        check_nhs_number("1000000010")


def test_a_uk_mobile_is_parsed_to_e164() -> None:
    assert parse_mobile("07911 123456") == "+447911123456"


def test_the_ofcom_drama_range_counts_as_a_fictional_mobile() -> None:
    assert parse_mobile("07700 900123") == "+447700900123"
    assert is_fictional_mobile("+447700900999")
    assert not is_fictional_mobile("+447700901000")


def test_a_landline_cannot_receive_sms_so_is_refused_as_a_mobile() -> None:
    with pytest.raises(InvalidIdentifier, match="not a mobile"):
        parse_mobile("0113 496 0001")
    assert parse_phone("0113 496 0001") == "+441134960001"


@pytest.mark.parametrize("raw", ["", "hello", "0770", "07700 901000"])
def test_nonsense_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentifier):
        parse_mobile(raw)


def test_numbers_are_shown_as_a_uk_reader_writes_them() -> None:
    assert display_phone("+441134960001") == "0113 496 0001"
    assert display_phone("+447700900123") == "07700 900123"


def test_masked_numbers_keep_only_the_last_three_digits() -> None:
    assert mask_phone("+447700900123") == "***123"
    assert "900" not in mask_phone("+447700900123")


def test_email_addresses_are_checked_offline() -> None:
    assert check_email(" Ann@Example.com ") == "Ann@example.com"
    with pytest.raises(InvalidIdentifier):
        check_email("ann@")
