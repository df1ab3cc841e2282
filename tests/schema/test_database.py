from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy import text as sql_text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pathway import audit
from schema.db import get_engine
from schema.models import AppendOnlyError, AuditEvent, Base, Channel, OutboundMessage, Trust
from schema.types import utcnow
from schema.vocabulary import MessageKind


def test_the_migrations_build_exactly_the_models(database_url: str) -> None:
    with get_engine().connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def outbound(trust: Trust, key: str) -> OutboundMessage:
    return OutboundMessage(
        trust_id=trust.id,
        channel=Channel.SMS,
        template_key="checkin",
        to_address="+447700900201",
        due_at=utcnow() + timedelta(days=1),
        idempotency_key=key,
        kind=MessageKind.PLANNED,
    )


def test_the_database_refuses_a_second_message_with_the_same_idempotency_key(
    session: Session, trust: Trust
) -> None:
    session.add(outbound(trust, "plan:1:g0:s0:o0:sms"))
    session.commit()
    session.add(outbound(trust, "plan:1:g0:s0:o0:sms"))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    keys = session.scalars(select(OutboundMessage.idempotency_key)).all()
    assert keys == ["plan:1:g0:s0:o0:sms"]


def test_the_database_refuses_an_unknown_message_state(session: Session, trust: Trust) -> None:
    message = outbound(trust, "k")
    message.state = "lost"
    session.add(message)
    with pytest.raises(IntegrityError):
        session.commit()


def test_times_come_back_as_aware_utc(session: Session, trust: Trust) -> None:
    message = outbound(trust, "k")
    session.add(message)
    session.commit()
    session.expire_all()
    stored = session.scalars(select(OutboundMessage)).one()
    assert stored.due_at.utcoffset() == timedelta(0)
    assert abs(stored.due_at - message.due_at) < timedelta(milliseconds=1)


def test_audit_events_cannot_be_updated_or_deleted(session: Session, trust: Trust) -> None:
    event_id = audit.record(
        session, "test.done", "trust", trust.id, actor="test", trust_id=trust.id, now=utcnow()
    )
    session.commit()
    event = session.get(AuditEvent, event_id)
    assert event is not None and event.action == "test.done"
    event.action = "test.rewritten"
    with pytest.raises(AppendOnlyError):
        session.commit()
    session.rollback()
    session.delete(session.get(AuditEvent, event_id))
    with pytest.raises(AppendOnlyError):
        session.commit()


def test_text_with_a_nul_character_is_stored_with_a_replacement_on_every_database(
    session: Session, trust: Trust
) -> None:
    message = outbound(trust, "nul\x00key")
    message.body = "can't feel\x00 my legs"
    session.add(message)
    session.commit()
    session.expire_all()
    stored = session.scalars(select(OutboundMessage)).one()
    assert stored.body is not None and stored.body.startswith("can't feel")
    found = session.execute(
        sql_text("SELECT count(*) FROM outbound_messages WHERE to_address = :a"),
        {"a": "+447700900201\x00"},
    ).scalar_one()
    assert found == 0
