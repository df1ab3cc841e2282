"""outcomes: a resolved alert records the trust's structured outcome and, when known, the MRI time

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import schema.types

revision: str = "0006"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("outcome", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("outcome_name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("mri_at", schema.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("mri_at")
        batch.drop_column("outcome_name")
        batch.drop_column("outcome")
