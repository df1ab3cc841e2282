"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 14:30:11.119811
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import schema.types
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('heartbeats',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('at', schema.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_heartbeats'))
    )
    op.create_table('trusts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('config', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('config_version', sa.Integer(), nullable=False),
    sa.Column('created_at', schema.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trusts')),
    sa.UniqueConstraint('code', name=op.f('uq_trusts_code'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', schema.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', schema.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', schema.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_api_tokens_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_trust_id'), ['trust_id'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', schema.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_audit_events_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_subject', ['subject_type', 'subject_id'], unique=False)
        batch_op.create_index('ix_audit_trust_at', ['trust_id', 'at'], unique=False)

    op.create_table('patients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('cohort', sa.String(length=64), nullable=False),
    sa.Column('nhs_number', sa.String(length=10), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('phone_e164', sa.String(length=20), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('opted_out_at', schema.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('unreachable_since', schema.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('enrolled_at', schema.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('plan_generation', sa.Integer(), nullable=False),
    sa.Column('created_at', schema.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', schema.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('active', 'paused', 'discharged')", name=op.f('ck_patients_status_valid')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_patients_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patients')),
    sa.UniqueConstraint('trust_id', 'nhs_number', name=op.f('uq_patients_trust_id'))
    )
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.create_index('ix_patients_phone', ['phone_e164'], unique=False)
        batch_op.create_index('ix_patients_trust_phone', ['trust_id', 'phone_e164'], unique=False)

    op.create_table('staff_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('phone_e164', sa.String(length=20), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('from_config', sa.Boolean(), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('failed_sign_ins', sa.Integer(), nullable=False),
    sa.Column('locked_until', schema.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_sign_in_at', schema.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', schema.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('coordinator', 'admin', 'escalation')", name=op.f('ck_staff_members_role_valid')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_staff_members_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_members')),
    sa.UniqueConstraint('trust_id', 'key', name=op.f('uq_staff_members_trust_id'))
    )
    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_members_email'), ['email'], unique=False)
        batch_op.create_index('ix_staff_members_trust_phone', ['trust_id', 'phone_e164'], unique=False)

    op.create_table('trust_config_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('config', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('source_text', sa.Text(), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('loaded_at', schema.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('loaded_by', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_trust_config_versions_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trust_config_versions')),
    sa.UniqueConstraint('trust_id', 'version', name=op.f('uq_trust_config_versions_trust_id'))
    )
    op.create_table('trust_numbers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('number_e164', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_trust_numbers_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trust_numbers')),
    sa.UniqueConstraint('number_e164', name=op.f('uq_trust_numbers_number_e164'))
    )
    with op.batch_alter_table('trust_numbers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trust_numbers_trust_id'), ['trust_id'], unique=False)

    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('inbound_message_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('chain', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('current_step', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('next_escalation_at', schema.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('nobody_reachable_at', schema.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('raised_at', schema.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', schema.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('reminder_due_at', schema.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', schema.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('outcome_note', sa.Text(), nullable=True),
    sa.CheckConstraint("level IN ('red', 'amber')", name=op.f('ck_alerts_level_valid')),
    sa.CheckConstraint("state IN ('open', 'acknowledged', 'resolved')", name=op.f('ck_alerts_state_valid')),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['staff_members.id'], name=op.f('fk_alerts_acknowledged_by_id_staff_members')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_alerts_patient_id_patients')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['staff_members.id'], name=op.f('fk_alerts_resolved_by_id_staff_members')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_alerts_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    sa.UniqueConstraint('trust_id', 'code', name=op.f('uq_alerts_trust_id'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_escalation', ['state', 'next_escalation_at'], unique=False)
        batch_op.create_index('ix_alerts_patient', ['patient_id', 'state'], unique=False)

    op.create_table('inbound_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_message_id', sa.String(length=64), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=True),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('staff_member_id', sa.Integer(), nullable=True),
    sa.Column('alert_id', sa.Integer(), nullable=True),
    sa.Column('from_address', sa.String(length=40), nullable=False),
    sa.Column('to_address', sa.String(length=40), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('received_at', schema.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sender_kind', sa.String(length=10), nullable=True),
    sa.Column('label', sa.String(length=10), nullable=True),
    sa.Column('symptoms', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('evidence', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('handled_at', schema.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_state', sa.String(length=10), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', schema.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_inbound_messages_alert_id_alerts')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_inbound_messages_patient_id_patients')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['staff_members.id'], name=op.f('fk_inbound_messages_reviewed_by_id_staff_members')),
    sa.ForeignKeyConstraint(['staff_member_id'], ['staff_members.id'], name=op.f('fk_inbound_messages_staff_member_id_staff_members')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_inbound_messages_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_messages')),
    sa.UniqueConstraint('provider_message_id', name=op.f('uq_inbound_messages_provider_message_id'))
    )
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.create_index('ix_inbound_patient', ['patient_id', 'received_at'], unique=False)
        batch_op.create_index('ix_inbound_review', ['trust_id', 'review_state'], unique=False)
        batch_op.create_index('ix_inbound_unhandled', ['handled_at', 'received_at'], unique=False)

    # alerts and inbound_messages refer to each other: the second reference comes after both exist.
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_foreign_key(
            op.f('fk_alerts_inbound_message_id_inbound_messages'),
            'inbound_messages', ['inbound_message_id'], ['id'],
        )

    op.create_table('outbound_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('staff_member_id', sa.Integer(), nullable=True),
    sa.Column('alert_id', sa.Integer(), nullable=True),
    sa.Column('inbound_message_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('queue', sa.String(length=20), nullable=False),
    sa.Column('template_key', sa.String(length=64), nullable=False),
    sa.Column('context', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('due_at', schema.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('state_changed_at', schema.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=True),
    sa.Column('provider_message_id', sa.String(length=64), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error_code', sa.String(length=32), nullable=True),
    sa.Column('error_message', sa.String(length=500), nullable=True),
    sa.Column('segments', sa.Integer(), nullable=True),
    sa.Column('encoding', sa.String(length=10), nullable=True),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('created_at', schema.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', schema.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', schema.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("channel IN ('sms', 'email')", name=op.f('ck_outbound_messages_channel_valid')),
    sa.CheckConstraint("queue IN ('alerts', 'messages')", name=op.f('ck_outbound_messages_queue_valid')),
    sa.CheckConstraint("state IN ('scheduled', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'cancelled', 'suppressed')", name=op.f('ck_outbound_messages_state_valid')),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_outbound_messages_alert_id_alerts')),
    sa.ForeignKeyConstraint(['inbound_message_id'], ['inbound_messages.id'], name=op.f('fk_outbound_messages_inbound_message_id_inbound_messages')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_outbound_messages_patient_id_patients')),
    sa.ForeignKeyConstraint(['staff_member_id'], ['staff_members.id'], name=op.f('fk_outbound_messages_staff_member_id_staff_members')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_outbound_messages_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_messages')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_outbound_messages_idempotency_key'))
    )
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbound_alert', ['alert_id'], unique=False)
        batch_op.create_index('ix_outbound_due', ['state', 'queue', 'due_at'], unique=False)
        batch_op.create_index('ix_outbound_patient', ['patient_id', 'state'], unique=False)
        batch_op.create_index('ix_outbound_provider_id', ['provider_message_id'], unique=False)

    op.create_table('alert_notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('staff_member_id', sa.Integer(), nullable=False),
    sa.Column('outbound_message_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('created_at', schema.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_alert_notifications_alert_id_alerts')),
    sa.ForeignKeyConstraint(['outbound_message_id'], ['outbound_messages.id'], name=op.f('fk_alert_notifications_outbound_message_id_outbound_messages')),
    sa.ForeignKeyConstraint(['staff_member_id'], ['staff_members.id'], name=op.f('fk_alert_notifications_staff_member_id_staff_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_notifications')),
    sa.UniqueConstraint('outbound_message_id', name=op.f('uq_alert_notifications_outbound_message_id'))
    )
    with op.batch_alter_table('alert_notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_notifications_alert_id'), ['alert_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('alert_notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_notifications_alert_id'))

    op.drop_table('alert_notifications')
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbound_provider_id')
        batch_op.drop_index('ix_outbound_patient')
        batch_op.drop_index('ix_outbound_due')
        batch_op.drop_index('ix_outbound_alert')

    op.drop_table('outbound_messages')
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_unhandled')
        batch_op.drop_index('ix_inbound_review')
        batch_op.drop_index('ix_inbound_patient')

    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_alerts_inbound_message_id_inbound_messages'), type_='foreignkey')
    op.drop_table('inbound_messages')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_patient')
        batch_op.drop_index('ix_alerts_escalation')

    op.drop_table('alerts')
    with op.batch_alter_table('trust_numbers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trust_numbers_trust_id'))

    op.drop_table('trust_numbers')
    op.drop_table('trust_config_versions')
    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_members_trust_phone')
        batch_op.drop_index(batch_op.f('ix_staff_members_email'))

    op.drop_table('staff_members')
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_index('ix_patients_trust_phone')
        batch_op.drop_index('ix_patients_phone')

    op.drop_table('patients')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_trust_at')
        batch_op.drop_index('ix_audit_subject')

    op.drop_table('audit_events')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_trust_id'))

    op.drop_table('api_tokens')
    op.drop_table('trusts')
    op.drop_table('heartbeats')
