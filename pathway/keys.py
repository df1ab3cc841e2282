"""Data keys in use: what each encrypted row is under, and rotation to the first key.

Rotation reads each row's stored value (not through the column type), re-encrypts whatever is
not under the first key of DATA_KEYS (plain text too), and recomputes each number's keyed hash
under the current LOOKUP_KEY. Each batch is committed on its own: an interrupted rotation has
lost nothing and, run again, carries on where it stopped; run twice, the second changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, Text, select, type_coerce, update
from sqlalchemy.orm import Session

from pathway import audit
from schema.data_keys import DataKeyError
from schema.encryption import (
    Keyring,
    decrypt,
    encrypt,
    is_blank_stored,
    key_id_of,
    keyring,
    lookup_hmac,
)
from schema.models import (
    Base,
    InboundMessage,
    IntegrationMessage,
    OutboundMessage,
    Patient,
    PatientContact,
)

BATCH = 500
PLAIN = "plain text"


@dataclass(frozen=True)
class Encrypted:
    model: type[Base]
    columns: tuple[str, ...]
    hashed: tuple[str, str] | None = None  # (the number's column, its hash's column)

    @property
    def table(self) -> Table:
        return cast(Table, self.model.__table__)


ENCRYPTED = (
    Encrypted(
        Patient, ("given_name", "family_name", "phone_e164", "email"), ("phone_e164", "phone_hmac")
    ),
    Encrypted(PatientContact, ("number_e164",), ("number_e164", "number_hmac")),
    Encrypted(OutboundMessage, ("to_address", "subject", "body", "context")),
    Encrypted(InboundMessage, ("from_address", "body", "evidence"), ("from_address", "from_hmac")),
    Encrypted(IntegrationMessage, ("raw",)),  # raw HL7 and FHIR bodies
)


@dataclass
class Rotation:
    key_id: str
    rows: Counter[str] = field(default_factory=Counter)  # rows changed, per table
    values: int = 0  # values re-encrypted
    hashes: int = 0  # hashes recomputed


def _stored_rows(session: Session, spec: Encrypted, after: int) -> list[Any]:
    """A batch of rows as stored: the column type would decrypt them."""
    table = spec.table
    extra = [table.c[spec.hashed[1]]] if spec.hashed else []
    raw = [type_coerce(table.c[name], Text).label(name) for name in spec.columns]
    return list(
        session.execute(
            select(table.c.id, *raw, *extra)
            .where(table.c.id > after)
            .order_by(table.c.id)
            .limit(BATCH)
        )
    )


def usage(session: Session) -> dict[str, Counter[str]]:
    """Per table, how many non-empty values are under each key id (or plain text)."""
    found: dict[str, Counter[str]] = {}
    for spec in ENCRYPTED:
        counts: Counter[str] = Counter()
        after = 0
        while rows := _stored_rows(session, spec, after):
            for row in rows:
                for name in spec.columns:
                    value = getattr(row, name)
                    if not is_blank_stored(value):
                        counts[key_id_of(value) or PLAIN] += 1
            after = rows[-1].id
        found[spec.table.name] = counts
    return found


def _rotated_row(spec: Encrypted, row: Any, ring: Keyring, rotation: Rotation) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in spec.columns:
        value = getattr(row, name)
        if not is_blank_stored(value) and key_id_of(value) != ring.current:
            changes[name] = encrypt(decrypt(value, ring), ring)
            rotation.values += 1
    if spec.hashed is not None:
        number, hash_column = spec.hashed
        stored = getattr(row, number)
        digest = lookup_hmac(decrypt(stored, ring) if stored else stored, ring)
        if digest != getattr(row, hash_column):
            changes[hash_column] = digest
            rotation.hashes += 1
    return changes


def rotate(
    session_factory: Callable[[], Session],
    *,
    actor: str,
    on_batch: Callable[[str, int], None],
    clock: Callable[[], datetime],
) -> Rotation:
    """Re-encrypt every value not under the first key, a committed batch at a time. `clock`
    stamps its start and its end, which may be far apart."""
    ring = keyring()
    rotation = Rotation(ring.current)
    with session_factory() as session, session.begin():
        audit.record(
            session, "keys.rotation_started", "data_keys", None,
            actor=actor, trust_id=None, now=clock(), key_id=ring.current,
        )  # fmt: skip
    for spec in ENCRYPTED:
        table = spec.table
        after = 0
        while True:
            with session_factory() as session, session.begin():
                rows = _stored_rows(session, spec, after)
                if not rows:
                    break
                for row in rows:
                    changes = _rotated_row(spec, row, ring, rotation)
                    if changes:
                        # Text, not the column type: the values are encrypted already
                        values = {
                            table.c[name]: (
                                type_coerce(value, Text) if name in spec.columns else value
                            )
                            for name, value in changes.items()
                        }
                        session.execute(update(table).where(table.c.id == row.id).values(values))
                        rotation.rows[table.name] += 1
                after = rows[-1].id
            on_batch(table.name, after)
    with session_factory() as session, session.begin():
        audit.record(
            session, "keys.rotated", "data_keys", None,
            actor=actor, trust_id=None, now=clock(), key_id=ring.current, rows=dict(rotation.rows),
            values=rotation.values, hashes=rotation.hashes,
        )  # fmt: skip
    return rotation


def key_findings(session: Session) -> tuple[list[str], list[str]]:
    """(problems, warnings) for `safetynet status`: the keys must open the newest rows, and an
    embedded key file must be backed up, since losing the key loses the data (hazard H26)."""
    try:
        ring = keyring()
    except DataKeyError as error:
        return [str(error)], []
    problems: list[str] = []
    for spec in ENCRYPTED:
        table = spec.table
        newest = session.execute(
            select(*(type_coerce(table.c[name], Text).label(name) for name in spec.columns))
            .order_by(table.c.id.desc())
            .limit(1)
        ).first()
        for value in newest or ():
            try:
                decrypt(value, ring) if value else None
            except DataKeyError as error:
                problems.append(f"{table.name}: {error}")
                break
    warnings = []
    if ring.from_file:
        warnings.append(
            f"identifiers are encrypted under the key file {ring.source}: keep a copy apart from"
            " the database backups (without it the data cannot be read), or set DATA_KEYS"
        )
    return problems, warnings
