"""The database itself refuses a word the vocabulary does not have, and migration 0003 gives every
message already stored the kind its idempotency key used to imply."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from schema.migrate import upgrade
from schema.models import InboundMessage, OutboundMessage, Trust
from schema.types import utcnow
from schema.vocabulary import MessageKind
from tests.schema.test_database import outbound


def inbound(**fields: str) -> InboundMessage:
    return InboundMessage(
        provider_message_id="SM1", from_address="+447700900201", to_address="+447700900000",
        body="hello", received_at=utcnow(), symptoms=[], evidence={}, **fields,
    )  # fmt: skip


@pytest.mark.parametrize(
    "fields",
    [{"label": "purple"}, {"sender_kind": "robot"}, {"review_state": "pending"}],
)
def test_the_database_refuses_a_reply_word_outside_the_vocabulary(
    session: Session, fields: dict[str, str]
) -> None:
    session.add(inbound(**fields))
    with pytest.raises(IntegrityError):
        session.commit()


def test_the_database_takes_every_word_of_the_vocabulary(session: Session) -> None:
    session.add(inbound(label="unclear", sender_kind="patient", review_state="open"))
    session.commit()


def test_the_database_refuses_an_outbound_message_of_no_known_kind(
    session: Session, trust: Trust
) -> None:
    message = outbound(trust, "k")
    message.kind = "gossip"
    session.add(message)
    with pytest.raises(IntegrityError):
        session.commit()


KEYS_AND_KINDS = [
    ("plan:1:g0:s0:o0:sms", MessageKind.PLANNED),
    ("reply:7:urgent_advice", MessageKind.REPLY),
    ("alert:3:alert:r0:s0::2:sms", MessageKind.ALERT),
    ("unknown:1:+447700900999:2026-12-01", MessageKind.UNKNOWN_SENDER),
    ("fallback:12", MessageKind.FALLBACK),
    ("unreachable:1:20261201T100000:2", MessageKind.UNREACHABLE),
]


def test_migration_0003_gives_stored_messages_the_kind_their_key_implied(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'before.db'}"
    upgrade(url, "0002")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO trusts (id, code, name, timezone, config, "
                                "config_version, created_at) VALUES (1, 'RXX', 'T', "
                                "'Europe/London', '{}', 1, '2026-12-01 10:00:00')"))  # fmt: skip
        for n, (key, _) in enumerate(KEYS_AND_KINDS):
            connection.execute(
                text(
                    "INSERT INTO outbound_messages (id, trust_id, channel, queue, template_key, "
                    "context, to_address, due_at, state, state_changed_at, attempts, "
                    "idempotency_key, created_at) VALUES (:id, 1, 'sms', 'messages', 'checkin', "
                    "'{}', '+447700900201', '2026-12-01 10:00:00', 'sent', "
                    "'2026-12-01 10:00:00', 1, :key, '2026-12-01 10:00:00')"
                ),
                {"id": n + 1, "key": key},
            )
    engine.dispose()

    upgrade(url, "0003")

    engine = create_engine(url)
    with engine.connect() as connection:
        stored = dict(
            connection.execute(text("SELECT idempotency_key, kind FROM outbound_messages")).all()
        )
    engine.dispose()
    assert stored == {key: kind.value for key, kind in KEYS_AND_KINDS}


# Kinds added after 0003, by later migrations: no message of theirs was stored before them.
LATER_KINDS = {
    MessageKind.ROTA_GAP,
    MessageKind.INTEGRATION,
    MessageKind.REVIEW,
    MessageKind.ACCOUNT,
}  # 0007, 0011, 0012, 0016


def test_every_message_kind_is_one_the_migration_knows() -> None:
    assert {kind for _, kind in KEYS_AND_KINDS} | LATER_KINDS == set(MessageKind)
    assert OutboundMessage.__table__.c.kind.nullable is False  # type: ignore[attr-defined]
