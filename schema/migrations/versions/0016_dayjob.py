"""dayjob: one-time set-password links for staff (only a hash of each is stored), and
account messages (the link by SMS and email) as a kind of outbound message

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The values as they are today, written out: a migration must not change when the code does.
KINDS_BEFORE = (
    "planned",
    "reply",
    "alert",
    "unknown_sender",
    "fallback",
    "unreachable",
    "rota_gap",
    "integration",
    "review",  # 0012
)
KINDS = (*KINDS_BEFORE, "account")


def _kinds(values: tuple[str, ...]) -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbound_messages_kind_valid"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_outbound_messages_kind_valid"),
            f"kind IN ({', '.join(repr(v) for v in values)})",
        )


def upgrade() -> None:
    op.create_table(
        "password_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trust_id", sa.Integer(), nullable=False),
        sa.Column("staff_member_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["trust_id"], ["trusts.id"], name=op.f("fk_password_links_trust_id_trusts")
        ),
        sa.ForeignKeyConstraint(
            ["staff_member_id"],
            ["staff_members.id"],
            name=op.f("fk_password_links_staff_member_id_staff_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_links_token_hash")),
    )
    op.create_index(
        op.f("ix_password_links_staff_member_id"),
        "password_links",
        ["staff_member_id"],
        unique=False,
    )
    _kinds(KINDS)


def downgrade() -> None:
    op.execute("DELETE FROM outbound_messages WHERE kind = 'account'")
    _kinds(KINDS_BEFORE)
    op.drop_index(op.f("ix_password_links_staff_member_id"), table_name="password_links")
    op.drop_table("password_links")
