"""Creating outbound messages (once per idempotency key, whoever asks and however often), and
what a decision hands back to be published after commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from schema.models import Channel, MessageState, OutboundMessage, Queue, StaffMember
from schema.vocabulary import MessageKind


@dataclass(frozen=True)
class Claimed:
    """A message ready to be published: its id and the queue its send task goes on."""

    message_id: int
    queue: str


def create_message(
    session: Session,
    *,
    idempotency_key: str,
    kind: MessageKind,
    trust_id: int,
    channel: str,
    template_key: str,
    to_address: str,
    due_at: datetime,
    queue: Queue = Queue.MESSAGES,
    patient_id: int | None = None,
    staff_member_id: int | None = None,
    alert_id: int | None = None,
    inbound_message_id: int | None = None,
    context: dict[str, Any] | None = None,
    language: str | None = None,
    now: datetime,
) -> tuple[OutboundMessage, bool]:
    """The message with this key, inserted now if it did not exist. Returns (message, created)."""
    values = {
        "idempotency_key": idempotency_key,
        "kind": kind.value,
        "trust_id": trust_id,
        "channel": channel,
        "queue": queue.value,
        "template_key": template_key,
        "to_address": to_address,
        "due_at": due_at,
        "state": MessageState.SCHEDULED.value,
        "state_changed_at": now,
        "attempts": 0,
        "patient_id": patient_id,
        "staff_member_id": staff_member_id,
        "alert_id": alert_id,
        "inbound_message_id": inbound_message_id,
        "context": context or {},
        "language": language,
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(OutboundMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(OutboundMessage)
    )
    created = session.scalars(statement).one_or_none()  # the new row itself: no second query
    if created is not None:
        return created, True
    message = session.scalars(
        select(OutboundMessage).where(OutboundMessage.idempotency_key == idempotency_key)
    ).one()
    return message, False


def message_staff_now(
    session: Session,
    member: StaffMember,
    channel: Channel,
    address: str,
    *,
    idempotency_key: str,
    kind: MessageKind,
    template_key: str,
    queue: Queue,
    context: dict[str, Any],
    now: datetime,
    inbound_message_id: int | None = None,
    patient_id: int | None = None,
) -> tuple[OutboundMessage, bool]:
    """A message to a staff member at one of their addresses, from their own trust, due at
    once (`create_message`: inserted only if the key is new); `patient_id` when it is about
    a patient."""
    return create_message(
        session,
        idempotency_key=idempotency_key,
        kind=kind,
        trust_id=member.trust_id,
        channel=channel,
        template_key=template_key,
        to_address=address,
        due_at=now,
        queue=queue,
        patient_id=patient_id,
        staff_member_id=member.id,
        inbound_message_id=inbound_message_id,
        context=context,
        now=now,
    )


def message_each_staff_member(
    session: Session,
    members: Sequence[StaffMember],
    *,
    key_prefix: str,
    kind: MessageKind,
    template_key: str,
    context: dict[str, Any],
    now: datetime,
    patient_id: int | None = None,
) -> None:
    """One message to each member at their preferred address, due at once on the messages
    queue, keyed `{key_prefix}:{member.id}`; a member with no address is passed over."""
    for member in members:
        reachable_at = _preferred_address(member)
        if reachable_at is None:
            continue
        message_staff_now(
            session,
            member,
            *reachable_at,
            idempotency_key=f"{key_prefix}:{member.id}",
            kind=kind,
            template_key=template_key,
            queue=Queue.MESSAGES,
            patient_id=patient_id,
            context=context,
            now=now,
        )


def _preferred_address(member: StaffMember) -> tuple[Channel, str] | None:
    """Where one message to a staff member goes: their email, else their phone by SMS (None:
    they have neither)."""
    channel, address = (
        (Channel.EMAIL, member.email) if member.email else (Channel.SMS, member.phone_e164)
    )
    return None if address is None else (channel, address)
