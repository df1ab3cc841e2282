"""Identifiers and bodies encrypted at rest (AES-256-GCM), and keyed hashes to find them by.

A column of type `EncryptedText` holds `v1:<key id>:<base64 of nonce and ciphertext>`. The first
key of `DATA_KEYS` encrypts; any key listed decrypts the rows made under it, so after a new key
is put first, old rows stay readable until `safetynet keys rotate` re-encrypts them. The empty
string and NULL are stored as they are: retention and erasure blank a value to '' and find what
is left to blank by comparing with ''.

A random nonce makes every ciphertext different, so the database cannot compare an encrypted
column with a value: the columns that are looked up (a phone number) have a keyed hash beside
them (`lookup_hmac`, key `LOOKUP_KEY`), written by schema/models.py whenever the number is set.
Comparing an encrypted column with anything but '' or NULL raises, so a look-up that would
silently find nothing cannot be written.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import operators
from sqlalchemy.types import TypeDecorator

from schema.data_keys import DataKeyError, new_key_entry, parse_data_keys
from schema.settings import Settings, get_settings

VERSION = "v1"
PREFIX = f"{VERSION}:"
NONCE_BYTES = 12
KEY_FILE = "data_keys"  # in the data folder, when DATA_KEYS is not set (embedded use)


@dataclass(frozen=True)
class Keyring:
    current: str  # the id of the key that encrypts
    ciphers: dict[str, AESGCM]
    lookup_key: bytes
    source: str  # "DATA_KEYS" or the key file's path, for messages

    @property
    def from_file(self) -> bool:
        return self.source != "DATA_KEYS"

    @property
    def key_ids(self) -> list[str]:
        return list(self.ciphers)


def _local_key_file(data_dir: Path) -> str:
    """The embedded default: one key made on first use, kept in the data folder (0600)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / KEY_FILE
    if not path.exists():
        # Written whole under another name, then linked: two processes starting at once keep
        # one key between them, and neither reads a half-written file.
        draft = data_dir / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(new_key_entry("local1") + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text()


def _lookup_key(settings: Settings) -> bytes:
    if settings.lookup_key:
        return settings.lookup_key.encode()
    # The embedded default follows the identifier key (itself kept in the data folder).
    return hashlib.sha256(
        b"safetynet phone lookup\0" + settings.resolved_identifier_hmac_key
    ).digest()


def build_keyring(settings: Settings) -> Keyring:
    if settings.data_keys:
        source = "DATA_KEYS"
        keys = parse_data_keys(settings.data_keys, source)
    else:
        data_dir = settings.data_dir.resolve()
        source = str(data_dir / KEY_FILE)
        keys = parse_data_keys(_local_key_file(data_dir), source)
    return Keyring(
        current=next(iter(keys)),
        ciphers={kid: AESGCM(key) for kid, key in keys.items()},
        lookup_key=_lookup_key(settings),
        source=source,
    )


_cache: tuple[Settings, Keyring] | None = None


def keyring() -> Keyring:
    """The keys of the current settings (built once per settings object)."""
    global _cache
    settings = get_settings()
    if _cache is None or _cache[0] is not settings:
        _cache = (settings, build_keyring(settings))
    return _cache[1]


def encrypt(plaintext: str, ring: Keyring | None = None) -> str:
    ring = ring or keyring()
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = ring.ciphers[ring.current].encrypt(nonce, plaintext.encode(), None)
    return f"{PREFIX}{ring.current}:{base64.b64encode(nonce + sealed).decode()}"


def is_encrypted(stored: str) -> bool:
    return stored.startswith(PREFIX)


def key_id_of(stored: str) -> str | None:
    """The id of the key a stored value is encrypted under; None for plain text."""
    if not is_encrypted(stored):
        return None
    return stored[len(PREFIX) :].partition(":")[0]


def decrypt(stored: str, ring: Keyring | None = None) -> str:
    """The plain text of a stored value. Plain text (a row written before migration 0017, or
    '') comes back as it is; `safetynet keys status` counts such rows."""
    if not is_encrypted(stored):
        return stored
    ring = ring or keyring()
    kid, _, encoded = stored[len(PREFIX) :].partition(":")
    cipher = ring.ciphers.get(kid)
    if cipher is None:
        raise DataKeyError(
            f"a row is encrypted under key {kid!r}, which {ring.source} does not hold"
            f" (it holds {', '.join(ring.key_ids)}): put the old key back in DATA_KEYS"
        )
    raw = base64.b64decode(encoded)
    try:
        return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None).decode()
    except InvalidTag:
        raise DataKeyError(
            f"key {kid!r} in {ring.source} does not decrypt a row made under that id:"
            " the key is wrong (DATA_KEYS)"
        ) from None


def lookup_hmac(value: str | None, ring: Keyring | None = None) -> str | None:
    """The keyed hash a number is found by; None for no number (a blanked one finds nothing)."""
    if not value:
        return None
    ring = ring or keyring()
    return hmac.new(ring.lookup_key, value.encode(), hashlib.sha256).hexdigest()


_COMPARISONS = frozenset(
    {
        operators.eq,
        operators.ne,
        operators.in_op,
        operators.not_in_op,
        operators.like_op,
        operators.ilike_op,
        operators.not_like_op,
        operators.not_ilike_op,
        operators.contains_op,
        operators.startswith_op,
        operators.endswith_op,
        operators.lt,
        operators.le,
        operators.gt,
        operators.ge,
    }
)


class EncryptedText(TypeDecorator[str]):
    """Text encrypted on the way in and decrypted on the way out; '' and NULL kept as they are."""

    impl = Text
    cache_ok = True

    class comparator_factory(Text.Comparator[str]):
        def operate(self, op: Any, *other: Any, **kwargs: Any) -> Any:
            if op in _COMPARISONS and not all(_is_blank(value) for value in other):
                raise TypeError(
                    "an encrypted column can only be compared with '' or NULL:"
                    " look a number up by its HMAC column"
                )
            return super().operate(op, *other, **kwargs)

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value == "":
            return value
        # schema/db.py replaces NUL in what reaches the database; here it would be sealed inside
        return encrypt(value.replace("\x00", "\ufffd"))

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)


class _Refusing(Text.Comparator[Any]):
    def operate(self, op: Any, *other: Any, **kwargs: Any) -> Any:
        if op in _COMPARISONS:
            raise TypeError("an encrypted JSON column cannot be compared in SQL")
        return super().operate(op, *other, **kwargs)


EMPTY_JSON = frozenset({"{}", "[]"})  # stored as they are: there is nothing in them to hide


def is_blank_stored(stored: str | None) -> bool:
    """A stored value with nothing to encrypt: NULL, '', or an empty JSON object or list."""
    return not stored or stored in EMPTY_JSON


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {key: _without_nul(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nul(item) for item in value]
    return value


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON object or list (an alert's context quoting a reply, triage evidence) encrypted
    whole; an empty one stored as `{}` or `[]`. Nothing in it can be queried in SQL."""

    impl = Text
    cache_ok = True
    comparator_factory = _Refusing

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not value:
            return json.dumps(value)
        return encrypt(json.dumps(_without_nul(value), separators=(",", ":")))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return json.loads(decrypt(value))


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value == "")
