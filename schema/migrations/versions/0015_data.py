"""data: a patient's language may be unrecorded (written to bilingually where Welsh is served),
a message may carry the language of the reply it answers, what retention blanked is marked, and
an erased patient leaves only a keyed hash of their NHS number

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-01 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import schema.types

UTC = schema.types.UTCDateTime(timezone=True)

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.alter_column("language", existing_type=sa.String(length=8), nullable=True)
        batch_op.add_column(sa.Column("contacts_purged_at", UTC, nullable=True))
        batch_op.add_column(sa.Column("erased_at", UTC, nullable=True))
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("content_purged_at", UTC, nullable=True))
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_purged_at", UTC, nullable=True))
        batch_op.add_column(sa.Column("evidence_purged_at", UTC, nullable=True))
    op.create_table(
        "erasure_tombstones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trust_id", sa.Integer(), nullable=False),
        sa.Column("nhs_number_hmac", sa.String(length=64), nullable=False),
        sa.Column("erased_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["trust_id"], ["trusts.id"], name=op.f("fk_erasure_tombstones_trust_id_trusts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_tombstones")),
        sa.UniqueConstraint(
            "trust_id", "nhs_number_hmac", name=op.f("uq_erasure_tombstones_trust_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("erasure_tombstones")
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_column("evidence_purged_at")
        batch_op.drop_column("body_purged_at")
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_column("content_purged_at")
        batch_op.drop_column("language")
    op.execute("UPDATE patients SET language = 'en' WHERE language IS NULL")
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
        batch_op.drop_column("contacts_purged_at")
        batch_op.alter_column("language", existing_type=sa.String(length=8), nullable=False)
