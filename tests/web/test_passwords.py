import pytest

from web.auth import passwords
from web.auth.passwords import (
    WeakPassword,
    check_strength,
    hash_password,
    needs_rehash,
    production_hasher,
    verify_password,
)


def test_production_hashes_are_argon2id_with_64_mib_and_three_passes() -> None:
    hasher = production_hasher()
    stored = hasher.hash("correct horse battery staple")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert hasher.verify(stored, "correct horse battery staple")


def test_a_hash_verifies_its_own_password_and_no_other() -> None:
    stored = hash_password("correct horse battery staple")
    assert "correct horse" not in stored
    assert verify_password(stored, "correct horse battery staple")
    assert not verify_password(stored, "correct horse battery stapler")
    assert not verify_password(stored, "")


def test_the_same_password_hashes_differently_each_time() -> None:
    assert hash_password("correct horse battery staple") != hash_password(
        "correct horse battery staple"
    )


def test_an_account_without_a_hash_or_with_a_broken_one_never_verifies() -> None:
    assert not verify_password(None, "not a password anybody has")
    assert not verify_password("$argon2id$garbage", "anything at all")


def test_an_overlong_password_is_refused_without_hashing_it() -> None:
    stored = hash_password("x" * 256)
    assert verify_password(stored, "x" * 256)
    assert not verify_password(stored, "x" * 257)


@pytest.mark.parametrize("weak", ["short", "eleven char", " " * 20, "x" * 257])
def test_short_blank_and_overlong_passwords_are_refused(weak: str) -> None:
    with pytest.raises(WeakPassword):
        check_strength(weak)


def test_a_long_passphrase_without_symbols_is_strong_enough() -> None:
    check_strength("correct horse battery staple")


def test_a_hash_made_with_weaker_parameters_asks_to_be_rehashed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    weak = hash_password("correct horse battery staple")  # the tests' quick parameters
    monkeypatch.setattr(passwords, "_hasher", production_hasher())
    assert needs_rehash(weak)
    assert not needs_rehash(hash_password("correct horse battery staple"))
