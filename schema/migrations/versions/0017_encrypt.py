"""encrypt: identifiers and bodies encrypted at rest (AES-GCM), with a keyed hash beside each
phone number that is looked up

Existing rows are encrypted in batches under the first key of DATA_KEYS (or the data folder's
key file); a value already encrypted is left alone, so an interrupted upgrade can be run again.
The downgrade decrypts every row (it needs the keys) and drops the hashes.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 15:30:00
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from schema.encryption import decrypt, encrypt, is_blank_stored, is_encrypted, lookup_hmac

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
JSON_BEFORE = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
JSON_COLUMNS = {"context", "evidence"}  # JSON before, encrypted whole as text now

# (table, {column: its type before}, the hashed column and its hash, if any)
ENCRYPTED: tuple[tuple[str, dict[str, sa.types.TypeEngine[Any]], tuple[str, str] | None], ...] = (
    (
        "patients",
        {
            "given_name": sa.String(100),
            "family_name": sa.String(100),
            "phone_e164": sa.String(20),
            "email": sa.String(254),
        },
        ("phone_e164", "phone_hmac"),
    ),
    ("patient_contacts", {"number_e164": sa.String(20)}, ("number_e164", "number_hmac")),
    (
        "outbound_messages",
        {
            "to_address": sa.String(254),
            "subject": sa.String(300),
            "body": sa.Text(),
            "context": JSON_BEFORE,
        },
        None,
    ),
    (
        "inbound_messages",
        {"from_address": sa.String(40), "body": sa.Text(), "evidence": JSON_BEFORE},
        ("from_address", "from_hmac"),
    ),
    ("integration_messages", {"raw": sa.Text()}, None),  # raw HL7 and FHIR bodies
)


def _rewrite(
    table: str,
    columns: list[str],
    hashed: tuple[str, str] | None,
    change: Callable[[str], str],
    *,
    hashes: bool,
) -> None:
    """Every row's columns through `change`, in batches by id (and the hash, when `hashes`)."""
    bind = op.get_bind()
    names = ", ".join(columns)
    last = 0
    while True:
        rows = bind.execute(
            sa.text(f"SELECT id, {names} FROM {table} WHERE id > :last ORDER BY id LIMIT {BATCH}"),
            {"last": last},
        ).all()
        if not rows:
            return
        updates = []
        for row in rows:
            values = dict(zip(columns, row[1:], strict=True))
            new = {
                name: value if is_blank_stored(value) else change(value)
                for name, value in values.items()
            }
            if hashes and hashed is not None:
                plain = values[hashed[0]]
                plain = decrypt(plain) if plain and is_encrypted(plain) else plain
                new[hashed[1]] = lookup_hmac(plain)
            if new != values or hashes:
                updates.append({"row_id": row[0], **new})
        if updates:
            assignments = ", ".join(f"{name} = :{name}" for name in updates[0] if name != "row_id")
            bind.execute(sa.text(f"UPDATE {table} SET {assignments} WHERE id = :row_id"), updates)
        last = rows[-1][0]


def _encrypted(value: str) -> str:
    return value if is_encrypted(value) else encrypt(value)


def upgrade() -> None:
    for table, before, hashed in ENCRYPTED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, old_type in before.items():
                batch_op.alter_column(
                    column,
                    existing_type=old_type,
                    type_=sa.Text(),
                    postgresql_using=f"{column}::text" if column in JSON_COLUMNS else None,
                )
            if hashed is not None:
                batch_op.add_column(sa.Column(hashed[1], sa.String(length=64), nullable=True))
        _rewrite(table, list(before), hashed, _encrypted, hashes=True)

    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index("ix_patients_trust_phone")
        batch_op.drop_index("ix_patients_phone")
        batch_op.create_index("ix_patients_trust_phone", ["trust_id", "phone_hmac"], unique=False)
        batch_op.create_index("ix_patients_phone", ["phone_hmac"], unique=False)
    with op.batch_alter_table("patient_contacts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_patient_contacts_trust_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_patient_contacts_trust_id", ["trust_id", "number_hmac"]
        )
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.create_index("ix_inbound_trust_from", ["trust_id", "from_hmac"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_trust_from")
    with op.batch_alter_table("patient_contacts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_patient_contacts_trust_id", type_="unique")
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index("ix_patients_trust_phone")
        batch_op.drop_index("ix_patients_phone")

    for table, before, hashed in ENCRYPTED:
        _rewrite(table, list(before), None, decrypt, hashes=False)
        with op.batch_alter_table(table, schema=None) as batch_op:
            if hashed is not None:
                batch_op.drop_column(hashed[1])
            for column, old_type in before.items():
                batch_op.alter_column(
                    column,
                    existing_type=sa.Text(),
                    type_=old_type,
                    postgresql_using=f"{column}::jsonb" if column in JSON_COLUMNS else None,
                )

    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.create_index("ix_patients_trust_phone", ["trust_id", "phone_e164"], unique=False)
        batch_op.create_index("ix_patients_phone", ["phone_e164"], unique=False)
    with op.batch_alter_table("patient_contacts", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            "uq_patient_contacts_trust_id", ["trust_id", "number_e164"]
        )
