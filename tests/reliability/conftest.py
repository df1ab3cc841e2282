"""Faults in the middle of a batch, with real worker processes: what is lost, what is sent twice.

Built on the pipeline's `service` (PostgreSQL, Redis, fake Twilio, SMTP). The test plays beat's
part itself: dispatch, the stuck sweep and the inbound sweep every half second. Retry delays
live in the database (30 s and up for bulk messages), so the loop also brings every retry that
is waiting forward to now, as `make_due` does in the outbound tests, instead of waiting for it.
"""

from __future__ import annotations

import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from schema.db import session_scope
from schema.models import (
    Alert,
    AlertNotification,
    Channel,
    InboundMessage,
    MessageState,
    OutboundMessage,
    StaffMember,
)
from schema.types import utcnow
from testing.twilio_signing import signed_headers
from tests.pipeline.conftest import (
    PUBLIC_BASE_URL,
    STALL_SECONDS,
    Progress,
    Service,
    client,
    redis_broker,
    service,
)
from worker import tasks

__all__ = ["client", "redis_broker", "service"]

TRUST_NUMBER = "+447700900000"
FIRST_COORDINATOR = "+447700900101"
RED_REPLY = "My legs keep giving way and I cannot feel my feet"
DONE = (MessageState.SENT, MessageState.DELIVERED)


def make_retries_due() -> int:
    """Every message waiting for a retry becomes due now (the backoff is what is skipped)."""
    now = utcnow()
    with session_scope() as session:
        result = session.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.state == MessageState.SCHEDULED,
                OutboundMessage.attempts > 0,
                OutboundMessage.due_at > now,
            )
            .values(due_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def beat_tick(service: Service) -> None:
    """What beat does, once; a database error (the fault itself) just waits for the next tick."""
    try:
        make_retries_due()
        service.redispatch()
        service.dispatch()
        tasks.sweep_inbound()
    except OperationalError:
        pass


def pipeline_progress(service: Service) -> int:
    """What the pipeline has done so far: SMS the fake Twilio accepted, and replies stored."""
    with session_scope() as session:
        stored = int(session.scalar(select(func.count()).select_from(InboundMessage)) or 0)
    return len(service.twilio.messages) + stored


def drive_until(service: Service, done: Callable[[], bool], stall: float = STALL_SECONDS) -> None:
    """Beat's part until `done`; fails only when the pipeline stops moving for `stall` seconds."""
    progress = Progress(lambda: pipeline_progress(service), stall, "the pipeline")
    while not done():
        progress.check()
        beat_tick(service)
        time.sleep(0.5)


def settled(service: Service, reply_sids: list[str]) -> bool:
    """Every SMS sent, none lost, and every reply's alert at its coordinator: until then a
    reply may be stored but not yet handled, with no message of its own to wait for."""
    result = outcome(service, reply_sids)
    return all_sms_sent() and not result.lost and not result.alerts_unreached


def post_red_reply(client: TestClient, service: Service, sender: str) -> str:
    """A signed red reply, posted once, as Twilio does: it never retries a failed inbound
    webhook, so anything but 200 is a reply lost. Returns its MessageSid."""
    sid = f"SM{uuid.uuid4().hex}"
    params = {
        "MessageSid": sid,
        "AccountSid": service.twilio.account_sid,
        "From": sender,
        "To": TRUST_NUMBER,
        "Body": RED_REPLY,
        "NumMedia": "0",
    }
    headers = signed_headers(PUBLIC_BASE_URL + "/twilio/sms", params, service.twilio.auth_token)
    status = client.post("/twilio/sms", data=params, headers=headers).status_code
    assert status == 200, f"the webhook answered {status}: Twilio would not try again"
    return sid


def stored_once(reply_sids: list[str]) -> bool:
    """Every reply is in the database, once."""
    with session_scope() as session:
        stored = session.scalars(
            select(InboundMessage.provider_message_id).where(
                InboundMessage.provider_message_id.in_(reply_sids)
            )
        ).all()
    return sorted(stored) == sorted(reply_sids)


@dataclass(frozen=True)
class Outcome:
    outbound_sms: int
    lost: list[int]
    sent_twice: dict[int, int]
    alerts_unreached: list[str]

    @property
    def duplicates(self) -> int:
        return sum(count - 1 for count in self.sent_twice.values())

    def report(self, fault: str) -> str:
        rate = self.duplicates / self.outbound_sms if self.outbound_sms else 0.0
        return (
            f"\n{fault}: {self.outbound_sms} SMS, {len(self.lost)} lost, "
            f"{self.duplicates} duplicate sends ({rate:.2%}) "
            f"of messages {sorted(self.sent_twice)}, "
            f"{len(self.alerts_unreached)} alerts that reached no coordinator"
        )


def received_ids(service: Service) -> Counter[int]:
    """How many times the fake Twilio accepted each of our outbound messages (by its id)."""
    counts: Counter[int] = Counter()
    for message in service.twilio.messages:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(message.status_callback or "").query)
        if "m" in query:
            counts[int(query["m"][0])] += 1
    return counts


def outbound_sms_ids() -> list[int]:
    with session_scope() as session:
        return list(
            session.scalars(
                select(OutboundMessage.id).where(OutboundMessage.channel == Channel.SMS)
            )
        )


def all_sms_sent() -> bool:
    with session_scope() as session:
        pending = session.scalar(
            select(OutboundMessage.id)
            .where(OutboundMessage.channel == Channel.SMS, OutboundMessage.state.not_in(DONE))
            .limit(1)
        )
    return pending is None


def coordinator_sms_by_reply() -> dict[str, list[int]]:
    """For each reply's MessageSid, the ids of the SMS to the first-step coordinator."""
    with session_scope() as session:
        rows = session.execute(
            select(
                InboundMessage.provider_message_id, OutboundMessage.id, OutboundMessage.to_address
            )
            .join(Alert, Alert.inbound_message_id == InboundMessage.id)
            .join(AlertNotification, AlertNotification.alert_id == Alert.id)
            .join(OutboundMessage, OutboundMessage.id == AlertNotification.outbound_message_id)
            .join(StaffMember, StaffMember.id == AlertNotification.staff_member_id)
            .where(OutboundMessage.channel == Channel.SMS)
        ).all()
    found: dict[str, list[int]] = {}
    for sid, outbound_id, to in rows:
        if to == FIRST_COORDINATOR:  # encrypted at rest: compared once read
            found.setdefault(sid, []).append(outbound_id)
    return found


def outcome(service: Service, reply_sids: list[str]) -> Outcome:
    counts = received_ids(service)
    sms = outbound_sms_ids()
    by_reply = coordinator_sms_by_reply()
    unreached = [sid for sid in reply_sids if not any(counts[i] for i in by_reply.get(sid, []))]
    return Outcome(
        outbound_sms=len(sms),
        lost=[i for i in sms if counts[i] == 0],
        sent_twice={i: c for i, c in counts.items() if c > 1},
        alerts_unreached=unreached,
    )
