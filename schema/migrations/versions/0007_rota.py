"""rota: one-off cover made on the admin page, the gaps beat has warned about, voice calls as
a channel and rota-gap notices as a kind of message

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The values as they are today, written out: a migration must not change when the code does.
CHANNELS_BEFORE = ("sms", "email")
CHANNELS = (*CHANNELS_BEFORE, "voice")
KINDS_BEFORE = ("planned", "reply", "alert", "unknown_sender", "fallback", "unreachable")
KINDS = (*KINDS_BEFORE, "rota_gap")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _checks(channels: tuple[str, ...], kinds: tuple[str, ...]) -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbound_messages_channel_valid"), type_="check")
        batch_op.drop_constraint(op.f("ck_outbound_messages_kind_valid"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_outbound_messages_channel_valid"), _in("channel", channels)
        )
        batch_op.create_check_constraint(
            op.f("ck_outbound_messages_kind_valid"), _in("kind", kinds)
        )


def upgrade() -> None:
    op.create_table(
        "rota_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trust_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_member_id", sa.Integer(), nullable=False),
        sa.Column("instead_of_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["trust_id"], ["trusts.id"], name=op.f("fk_rota_overrides_trust_id_trusts")
        ),
        sa.ForeignKeyConstraint(
            ["staff_member_id"],
            ["staff_members.id"],
            name=op.f("fk_rota_overrides_staff_member_id_staff_members"),
        ),
        sa.ForeignKeyConstraint(
            ["instead_of_id"],
            ["staff_members.id"],
            name=op.f("fk_rota_overrides_instead_of_id_staff_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rota_overrides")),
    )
    op.create_index(
        "ix_rota_overrides_trust_role", "rota_overrides", ["trust_id", "role", "ends_at"]
    )
    op.create_table(
        "rota_gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trust_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("warned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("open_warned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["trust_id"], ["trusts.id"], name=op.f("fk_rota_gaps_trust_id_trusts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rota_gaps")),
    )
    op.create_index("ix_rota_gaps_trust_open", "rota_gaps", ["trust_id", "closed_at"])
    _checks(CHANNELS, KINDS)


def downgrade() -> None:
    gone = "SELECT id FROM outbound_messages WHERE channel = 'voice' OR kind = 'rota_gap'"
    op.execute(f"DELETE FROM alert_notifications WHERE outbound_message_id IN ({gone})")
    op.execute(f"DELETE FROM outbound_messages WHERE id IN ({gone})")
    _checks(CHANNELS_BEFORE, KINDS_BEFORE)
    op.drop_index("ix_rota_gaps_trust_open", table_name="rota_gaps")
    op.drop_table("rota_gaps")
    op.drop_index("ix_rota_overrides_trust_role", table_name="rota_overrides")
    op.drop_table("rota_overrides")
