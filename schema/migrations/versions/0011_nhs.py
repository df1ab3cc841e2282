"""nhs: PDS checks and what they found on each patient, notices a coordinator decides, messages
received from the trust's systems (HL7v2 ADT, FHIR), and write-back callbacks to its record

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import schema.types

revision: str = "0011"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
# The values as they are today, written out: a migration must not change when the code does.
MESSAGE_KINDS = (
    "planned",
    "reply",
    "alert",
    "unknown_sender",
    "fallback",
    "unreachable",
    "rota_gap",
)
WITH_INTEGRATION = (*MESSAGE_KINDS, "integration")


def _kinds(values: tuple[str, ...]) -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbound_messages_kind_valid"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_outbound_messages_kind_valid"),
            f"kind IN ({', '.join(repr(v) for v in values)})",
        )


def upgrade() -> None:
    op.create_table('callbacks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('event_type', sa.String(length=30), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('resource_type', sa.String(length=20), nullable=False),
    sa.Column('record', JSON, nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', schema.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.Column('created_at', schema.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', schema.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failed_at', schema.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('pending', 'delivered', 'failed', 'pull_only')", name=op.f('ck_callbacks_state_valid')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_callbacks_patient_id_patients')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_callbacks_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callbacks')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_callbacks_idempotency_key'))
    )
    with op.batch_alter_table('callbacks', schema=None) as batch_op:
        batch_op.create_index('ix_callbacks_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_callbacks_trust_feed', ['trust_id', 'id'], unique=False)

    op.create_table('integration_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('sender', sa.String(length=200), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('body_sha256', sa.String(length=64), nullable=False),
    sa.Column('raw', sa.Text(), nullable=True),
    sa.Column('response', sa.Text(), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=200), nullable=True),
    sa.Column('received_at', schema.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('processed_at', schema.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('raw_purged_at', schema.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("source IN ('hl7v2', 'fhir')", name=op.f('ck_integration_messages_source_valid')),
    sa.CheckConstraint("status IN ('applied', 'ignored', 'failed')", name=op.f('ck_integration_messages_status_valid')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_integration_messages_patient_id_patients')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_integration_messages_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integration_messages')),
    sa.UniqueConstraint('trust_id', 'source', 'sender', 'message_id', name=op.f('uq_integration_messages_trust_id'))
    )
    with op.batch_alter_table('integration_messages', schema=None) as batch_op:
        batch_op.create_index('ix_integration_messages_patient', ['patient_id'], unique=False)
        batch_op.create_index('ix_integration_messages_received', ['received_at'], unique=False)

    op.create_table('patient_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('details', JSON, nullable=False),
    sa.Column('created_at', schema.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', schema.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('deceased', 'mobile_differs', 'nhs_number_superseded', 'nhs_number_unverified', 'records_merged')", name=op.f('ck_patient_notices_kind_valid')),
    sa.CheckConstraint("state IN ('open', 'confirmed', 'dismissed')", name=op.f('ck_patient_notices_state_valid')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['staff_members.id'], name=op.f('fk_patient_notices_decided_by_id_staff_members')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_patient_notices_patient_id_patients')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_patient_notices_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_notices')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_patient_notices_dedupe_key'))
    )
    with op.batch_alter_table('patient_notices', schema=None) as batch_op:
        batch_op.create_index('ix_patient_notices_open', ['trust_id', 'state'], unique=False)
        batch_op.create_index('ix_patient_notices_patient', ['patient_id', 'state'], unique=False)

    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deceased_at', schema.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('restricted', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('nhs_number_verified_at', schema.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('pds_checked_at', schema.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('pds_next_check_at', schema.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('pds_failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_patients_pds_due', ['pds_next_check_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_patients_merged_into_id_patients'), 'patients', ['merged_into_id'], ['id'])

    # Everyone still in the safety net owes a first PDS check (made once PDS is switched on).
    op.execute(
        "UPDATE patients SET pds_next_check_at = CURRENT_TIMESTAMP WHERE status <> 'discharged'"
    )
    # Admins are told when the trust's record is missing write-backs.
    _kinds(WITH_INTEGRATION)



def downgrade() -> None:
    op.execute("DELETE FROM outbound_messages WHERE kind = 'integration'")
    _kinds(MESSAGE_KINDS)
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_patients_merged_into_id_patients'), type_='foreignkey')
        batch_op.drop_index('ix_patients_pds_due')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('pds_failures')
        batch_op.drop_column('pds_next_check_at')
        batch_op.drop_column('pds_checked_at')
        batch_op.drop_column('nhs_number_verified_at')
        batch_op.drop_column('restricted')
        batch_op.drop_column('deceased_at')

    with op.batch_alter_table('patient_notices', schema=None) as batch_op:
        batch_op.drop_index('ix_patient_notices_patient')
        batch_op.drop_index('ix_patient_notices_open')

    op.drop_table('patient_notices')
    with op.batch_alter_table('integration_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_integration_messages_received')
        batch_op.drop_index('ix_integration_messages_patient')

    op.drop_table('integration_messages')
    with op.batch_alter_table('callbacks', schema=None) as batch_op:
        batch_op.drop_index('ix_callbacks_trust_feed')
        batch_op.drop_index('ix_callbacks_due')

    op.drop_table('callbacks')
