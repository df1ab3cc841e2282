"""vocabulary: every outbound message stores its kind; labels, senders, review states and
notification kinds are checked by the database

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The values as they are today, written out: a migration must not change when the code does.
MESSAGE_KINDS = ("planned", "reply", "alert", "unknown_sender", "fallback", "unreachable")
LABELS = ("red", "amber", "none", "unclear", "stop", "start", "help")
SENDER_KINDS = ("staff", "patient", "unknown")
REVIEW_STATES = ("open", "closed")
NOTIFICATION_KINDS = ("alert", "escalation", "renotify", "taken", "confirm", "reminder")

# Until now the idempotency key's prefix told the kinds apart.
KIND_FROM_KEY = """
    CASE
        WHEN idempotency_key LIKE 'plan:%' THEN 'planned'
        WHEN idempotency_key LIKE 'reply:%' THEN 'reply'
        WHEN idempotency_key LIKE 'alert:%' THEN 'alert'
        WHEN idempotency_key LIKE 'unknown:%' THEN 'unknown_sender'
        WHEN idempotency_key LIKE 'fallback:%' THEN 'fallback'
        WHEN idempotency_key LIKE 'unreachable:%' THEN 'unreachable'
        ELSE 'reply'
    END
"""


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), nullable=True))
    op.execute(f"UPDATE outbound_messages SET kind = {KIND_FROM_KEY}")
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=20), nullable=False)
        batch_op.create_check_constraint(
            op.f("ck_outbound_messages_kind_valid"), _in("kind", MESSAGE_KINDS)
        )
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_inbound_messages_label_valid"), _in("label", LABELS)
        )
        batch_op.create_check_constraint(
            op.f("ck_inbound_messages_sender_kind_valid"), _in("sender_kind", SENDER_KINDS)
        )
        batch_op.create_check_constraint(
            op.f("ck_inbound_messages_review_state_valid"), _in("review_state", REVIEW_STATES)
        )
    with op.batch_alter_table("alert_notifications", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_alert_notifications_kind_valid"), _in("kind", NOTIFICATION_KINDS)
        )


def downgrade() -> None:
    with op.batch_alter_table("alert_notifications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_alert_notifications_kind_valid"), type_="check")
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_inbound_messages_review_state_valid"), type_="check")
        batch_op.drop_constraint(op.f("ck_inbound_messages_sender_kind_valid"), type_="check")
        batch_op.drop_constraint(op.f("ck_inbound_messages_label_valid"), type_="check")
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbound_messages_kind_valid"), type_="check")
        batch_op.drop_column("kind")
