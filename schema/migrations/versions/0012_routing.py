"""routing: one open alert per patient (a partial unique index); alerts from unknown senders;
a patient's contact numbers (their own and carers'); review deadlines and decisions

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import schema.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_ALERT = "state <> 'resolved'"
UNKNOWN_OPEN = f"patient_id IS NULL AND {OPEN_ALERT}"
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
)
KINDS = (*KINDS_BEFORE, "review")
SENDERS_BEFORE = ("staff", "patient", "unknown")
SENDERS = (*SENDERS_BEFORE, "carer")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _checks(kinds: tuple[str, ...], senders: tuple[str, ...]) -> None:
    with op.batch_alter_table("outbound_messages") as batch:
        batch.drop_constraint(op.f("ck_outbound_messages_kind_valid"), type_="check")
        batch.create_check_constraint(op.f("ck_outbound_messages_kind_valid"), _in("kind", kinds))
    with op.batch_alter_table("inbound_messages") as batch:
        batch.drop_constraint(op.f("ck_inbound_messages_sender_kind_valid"), type_="check")
        batch.create_check_constraint(
            op.f("ck_inbound_messages_sender_kind_valid"), _in("sender_kind", senders)
        )
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _fold_duplicate_open_alerts() -> None:
    """Before the index: a patient with two open alerts (the race this revision closes) keeps
    one, the red and newest, still escalating; the others are resolved with a note and audited."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            f"SELECT id, patient_id, trust_id FROM alerts WHERE {OPEN_ALERT} "
            "ORDER BY patient_id, CASE WHEN level = 'red' THEN 0 ELSE 1 END, id DESC"
        )
    ).all()
    kept: dict[int, int] = {}
    for alert_id, patient_id, trust_id in rows:
        if patient_id not in kept:
            kept[patient_id] = alert_id
            continue
        connection.execute(
            sa.text(
                "UPDATE alerts SET state = 'resolved', resolved_at = CURRENT_TIMESTAMP, "
                "next_escalation_at = NULL, outcome_note = :note WHERE id = :id"
            ),
            {"id": alert_id, "note": f"a duplicate of alert {kept[patient_id]}, which goes on"},
        )
        connection.execute(
            sa.text(
                "INSERT INTO audit_events (at, trust_id, actor, action, subject_type, "
                "subject_id, details) VALUES (CURRENT_TIMESTAMP, :trust, 'system', "
                "'alert.folded_as_duplicate', 'alert', :id, :details)"
            ).bindparams(sa.bindparam("details", type_=JSON)),
            {"trust": trust_id, "id": alert_id, "details": {"kept": kept[patient_id]}},
        )


def upgrade() -> None:
    _fold_duplicate_open_alerts()
    with op.batch_alter_table("alerts") as batch:
        batch.alter_column("patient_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("sender_e164", sa.String(length=20), nullable=True))
        batch.create_index(
            "uq_alerts_one_open_per_patient",
            ["patient_id"],
            unique=True,
            postgresql_where=sa.text(OPEN_ALERT),
            sqlite_where=sa.text(OPEN_ALERT),
        )
        batch.create_index(
            "uq_alerts_one_open_per_unknown_sender",
            ["trust_id", "sender_e164"],
            unique=True,
            postgresql_where=sa.text(UNKNOWN_OPEN),
            sqlite_where=sa.text(UNKNOWN_OPEN),
        )
    op.create_table(
        "patient_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trust_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("number_e164", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("created_at", schema.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("kind IN ('patient', 'carer')", name=op.f("ck_patient_contacts_kind_valid")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_patient_contacts_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["trust_id"], ["trusts.id"], name=op.f("fk_patient_contacts_trust_id_trusts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_contacts")),
        sa.UniqueConstraint(
            "trust_id", "number_e164", name=op.f("uq_patient_contacts_trust_id")
        ),
    )
    with op.batch_alter_table("patient_contacts") as batch:
        batch.create_index(batch.f("ix_patient_contacts_patient_id"), ["patient_id"], unique=False)
    with op.batch_alter_table("inbound_messages") as batch:
        batch.add_column(sa.Column("review_priority", sa.String(length=10), nullable=True))
        batch.add_column(
            sa.Column("review_due_at", schema.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("review_step", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("review_next_at", schema.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("review_decision", sa.String(length=20), nullable=True))
        batch.create_check_constraint(
            op.f("ck_inbound_messages_review_priority_valid"),
            "review_priority IN ('urgent', 'routine')",
        )
        batch.create_check_constraint(
            op.f("ck_inbound_messages_review_decision_valid"),
            "review_decision IN ('no_action', 'contacted', 'alert_raised', 'number_linked')",
        )
        batch.create_index("ix_inbound_review_due", ["review_state", "review_next_at"], unique=False)
    # Replies already on a review list are due now: read at once, as an urgent one would be.
    op.execute(
        "UPDATE inbound_messages SET review_priority = 'urgent', review_due_at = CURRENT_TIMESTAMP, "
        "review_next_at = CURRENT_TIMESTAMP WHERE review_state = 'open'"
    )
    _checks(KINDS, SENDERS)


def downgrade() -> None:
    _checks(KINDS_BEFORE, SENDERS_BEFORE)
    with op.batch_alter_table("inbound_messages") as batch:
        batch.drop_index("ix_inbound_review_due")
        batch.drop_constraint(op.f("ck_inbound_messages_review_decision_valid"), type_="check")
        batch.drop_constraint(op.f("ck_inbound_messages_review_priority_valid"), type_="check")
        for column in (
            "review_decision",
            "review_next_at",
            "review_step",
            "review_due_at",
            "review_priority",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("patient_contacts") as batch:
        batch.drop_index(batch.f("ix_patient_contacts_patient_id"))
    op.drop_table("patient_contacts")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index("uq_alerts_one_open_per_unknown_sender")
        batch.drop_index("uq_alerts_one_open_per_patient")
        batch.drop_column("sender_e164")
        batch.alter_column("patient_id", existing_type=sa.Integer(), nullable=False)
