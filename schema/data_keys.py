"""The `DATA_KEYS` setting's form: `kid:base64key,kid:base64key`, 32-byte AES keys, the first
encrypting. Apart from schema/encryption.py so the settings can check it without a cycle."""

from __future__ import annotations

import base64
import binascii
import re
import secrets

KEY_BYTES = 32
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


class DataKeyError(ValueError):
    """A key that is missing, malformed or wrong. The message names the setting, never a key."""


def parse_data_keys(value: str, source: str = "DATA_KEYS") -> dict[str, bytes]:
    """`kid:base64key,kid:base64key` (the first encrypts) as {kid: key}, in order."""
    keys: dict[str, bytes] = {}
    for entry in value.replace("\n", ",").split(","):
        entry = entry.strip()
        if not entry:
            continue
        kid, sep, encoded = entry.partition(":")
        if not sep or not _KEY_ID.match(kid):
            raise DataKeyError(
                f"{source}: each entry is KEY_ID:BASE64_KEY (an id of letters, digits, - or _,"
                " at most 16), separated by commas"
            )
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise DataKeyError(f"{source}: key {kid!r} is not base64") from None
        if len(key) != KEY_BYTES:
            raise DataKeyError(f"{source}: key {kid!r} must be {KEY_BYTES} bytes (AES-256)")
        if kid in keys:
            raise DataKeyError(f"{source}: key id {kid!r} is listed twice")
        keys[kid] = key
    if not keys:
        raise DataKeyError(f"{source} holds no key")
    return keys


def new_key_entry(kid: str) -> str:
    """A fresh `kid:base64key` entry (`safetynet keys new`)."""
    if not _KEY_ID.match(kid):
        raise DataKeyError("a key id is letters, digits, - or _, at most 16")
    return f"{kid}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"
