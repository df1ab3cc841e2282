"""delivery: an index on outbound messages' sent time, for the slow-delivery rule that decides
which SMS provider bulk uses (worker/providers/health.py)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 12:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbound_sent", "outbound_messages", ["sent_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbound_sent", table_name="outbound_messages")
