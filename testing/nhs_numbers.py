"""NHS numbers for tests: valid check digits, in the range NHS England keeps for testing (999)."""

from __future__ import annotations


def check_digit(nine: str) -> int | None:
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    digit = 11 - total % 11
    if digit == 11:
        return 0
    return None if digit == 10 else digit


def fake_nhs_number(index: int) -> str:
    """The `index`th valid NHS number from 999 000 0000 upwards (about 10 of every 11 qualify)."""
    found = -1
    for body in range(999_000_000, 1_000_000_000):
        digit = check_digit(str(body))
        if digit is None:
            continue
        found += 1
        if found == index:
            return f"{body}{digit}"
    raise ValueError(index)


def with_wrong_check_digit(number: str) -> str:
    return number[:9] + str((int(number[9]) + 1) % 10)
