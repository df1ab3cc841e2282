"""Sending outbound messages, by id: claim them, render them, hand each to its provider, record it.

One transaction claims and renders a batch (a single conditional UPDATE ... RETURNING, so two
tasks for the same id, a re-dispatch or a duplicate delivery by the broker, send it once: the
second finds it no longer `scheduled` or `queued` and does nothing). No transaction is open
during a provider call. Each message is recorded `sent` by one statement as soon as the provider
has it, so a worker killed mid-batch re-sends at most the message it was sending.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from time import monotonic
from typing import Any, TypeVar

import structlog
from sqlalchemy import Integer, bindparam, case, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from messages.languages import correspondence_language
from messages.rendering import render
from messages.template_context import build_context
from pathway import audit, pds_checks, writeback
from pathway.patient_status import suppression_reason
from pathway.planning import next_send_time
from pathway.receipts import BEFORE_SENT, record_failure
from schema.clock import claim_clock
from schema.db import session_scope
from schema.models import (
    Channel,
    MessageState,
    OutboundMessage,
    Patient,
    Queue,
    StaffMember,
    Trust,
)
from schema.settings import Settings, get_settings
from schema.trust_config import TrustConfig
from schema.trusts import trust_config
from schema.types import clock_is_simulated, utcnow
from schema.vocabulary import MessageKind
from worker.account_links import link_context, without_link
from worker.pacing import pacer
from worker.providers.base import Outgoing, PermanentError, SendResult, TransientError
from worker.providers.registry import channel_provider

log = structlog.get_logger(__name__)


class Outcome(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"  # not ours to send (already sent, cancelled, not yet due)
    SUPPRESSED = "suppressed"
    DEFERRED = "deferred"  # outside the send window: due again when it opens
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_seconds: float
    cap_seconds: float

    def delay(self, attempt: int) -> timedelta:
        """Exponential backoff with full jitter between half and one and a half times."""
        seconds = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempt - 1))
        return timedelta(seconds=seconds * random.uniform(0.5, 1.5))


RETRY = {
    Queue.ALERTS: RetryPolicy(max_attempts=10, base_seconds=2, cap_seconds=60),
    Queue.MESSAGES: RetryPolicy(max_attempts=8, base_seconds=30, cap_seconds=3600),
}


def send_message(message_id: int) -> Outcome:
    return send_messages([message_id])[0]


def send_messages(message_ids: Sequence[int]) -> list[Outcome]:
    """Send every message of the batch that is still ours to send; an outcome per id, in order."""
    with session_scope() as session:
        batch = _claim_and_prepare(session, list(message_ids), utcnow())
        prepared = batch.prepared
        written_back = _written_back(batch)
        rates = _sender_rates(batch)
        tokens = _claim_tokens(batch)
    claimed_at, fresh_for = monotonic(), claim_fresh_for(get_settings())
    outcomes: dict[int, Outcome] = {}
    items = list(prepared.items())
    for index, (message_id, item) in enumerate(items):
        if isinstance(item, Outcome):
            outcomes[message_id] = item
            continue
        busy_for = _wait_for_turn(item, rates.get(message_id))
        if busy_for is not None:  # the sender is full for a while: the rest wait in the database
            later = [i for i, rest in items[index:] if isinstance(rest, Outgoing)]
            outcomes.update(_hand_back(later, busy_for))
            break
        if monotonic() - claimed_at < fresh_for:
            outcomes[message_id] = _deliver(item, write_back=message_id in written_back)
        else:
            outcomes[message_id] = _deliver_if_still_ours(
                item, tokens[message_id], write_back=message_id in written_back
            )
    return [outcomes.get(message_id, Outcome.SKIPPED) for message_id in message_ids]


def _sender_rates(batch: Batch) -> dict[int, int]:
    """The sender throughput (messages a second) of each SMS that paced bulk shares a sender
    with, decided once per trust per batch from what the claim loaded (no query). An alert
    from a sender of its own is not counted at all."""
    default = get_settings().bulk_sms_per_second
    by_trust: dict[int, tuple[int, bool]] = {}
    rates: dict[int, int] = {}
    for message_id, item in batch.prepared.items():
        if not isinstance(item, Outgoing) or item.channel != Channel.SMS:
            continue
        message = batch.messages[message_id]
        if message.trust_id not in by_trust:
            trust = batch.trusts.get(message.trust_id)
            sms = trust_config(trust).sms if trust is not None else None
            rate = (sms.bulk_per_second if sms is not None else None) or default
            by_trust[message.trust_id] = (rate, sms is not None and sms.alert_sender is not None)
        rate, alerts_apart = by_trust[message.trust_id]
        if rate and not (item.urgent and alerts_apart):
            rates[message_id] = rate
    return rates


def _wait_for_turn(outgoing: Outgoing, per_second: int | None) -> float | None:
    """Bulk waits for its sender's turn (worker/pacing.py); an alert goes now, counted."""
    sender = outgoing.messaging_service_sid or outgoing.sms_from
    if per_second is None or sender is None:
        return None
    paced = pacer(get_settings())
    if outgoing.urgent:
        paced.count_urgent(sender, per_second)
        return None
    return paced.wait_for_turn(sender, per_second)


def _hand_back(message_ids: list[int], busy_for: float) -> dict[int, Outcome]:
    """Claimed messages not sent, back to `scheduled`, due when their sender has room."""
    now = utcnow()
    with session_scope() as session:
        session.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.id.in_(message_ids),
                OutboundMessage.state == MessageState.SENDING,
            )
            .values(
                state=MessageState.SCHEDULED,
                state_changed_at=now,
                due_at=now + timedelta(seconds=busy_for),
                attempts=OutboundMessage.attempts - 1,
            )
            .execution_options(synchronize_session=False)
        )
    log.info("send_paced", messages=len(message_ids), seconds=round(busy_for, 2))
    return dict.fromkeys(message_ids, Outcome.DEFERRED)


def _claim_tokens(batch: Batch) -> dict[int, int]:
    """Each claimed message's `attempts` after our claim: every claim adds one, so it names the
    claim. Read from the objects the claim loaded (no query)."""
    return {
        message_id: batch.messages[message_id].attempts
        for message_id, item in batch.prepared.items()
        if isinstance(item, Outgoing)
    }


def claim_fresh_for(settings: Settings) -> float:
    """How long after a claim its messages go without renewing it: a quarter of the shortest
    stuck timeout. The sweep measures by the database's clock from a claim time never behind
    it, so it cannot have taken a message yet; a single alert, and a batch's first messages,
    save a transaction each."""
    return min(settings.stuck_after_seconds, settings.alerts_stuck_after_seconds) / 4


def _deliver_if_still_ours(prepared: Outgoing, token: int, *, write_back: bool) -> Outcome:
    """Send a claimed message only if our claim still holds, checked just before the provider
    call: a batch takes as long as its provider (20 s at 1 s a message), and meanwhile the stuck
    sweep may have handed a message to another task, which sends it. Renewing the claim also
    restarts its stuck clock, so a long batch's last messages are not taken from it."""
    with session_scope() as session:
        if not still_ours(session, prepared.message_id, token, now=utcnow()):
            log.info("send_claim_lost", message_id=prepared.message_id)
            return Outcome.SKIPPED
    return _deliver(prepared, write_back=write_back)


def _renew(*, never_behind_the_database: bool) -> Any:
    # The renewed time is never behind PostgreSQL's clock (schema/clock.py), in the statement
    # itself: a claim renewed per message must cost one round trip, not two.
    renewed_at: Any = bindparam("now", type_=OutboundMessage.state_changed_at.type)
    if never_behind_the_database:
        renewed_at = func.greatest(renewed_at, func.now())
    return (
        update(OutboundMessage)
        .where(
            OutboundMessage.id == bindparam("message_id"),
            OutboundMessage.state == MessageState.SENDING,
            OutboundMessage.attempts == bindparam("token"),
        )
        .values(state_changed_at=renewed_at)
        .returning(OutboundMessage.id)
        .execution_options(synchronize_session=False)
    )


# Built once: the same statement for every message, only its parameters change.
_RENEW = {choice: _renew(never_behind_the_database=choice) for choice in (True, False)}


def still_ours(session: Session, message_id: int, token: int, *, now: datetime) -> bool:
    """Renew our claim on a message: one conditional UPDATE, true if it is still `sending`
    under our claim (its `attempts` unchanged since we claimed it)."""
    on_postgresql = session.get_bind().dialect.name == "postgresql"
    statement = _RENEW[on_postgresql and not clock_is_simulated()]
    renewed = session.connection().execute(
        statement, {"message_id": message_id, "token": token, "now": now}
    )
    return renewed.first() is not None


def _written_back(batch: Batch) -> set[int]:
    """The messages about to go whose trust writes back to its record, decided once per trust
    per batch from what the claim already loaded (no query): a trust without write-back costs
    its sends nothing."""
    writes: dict[int, bool] = {}
    found: set[int] = set()
    for message_id, item in batch.prepared.items():
        message = batch.messages[message_id] if isinstance(item, Outgoing) else None
        if message is None or message.staff_member_id is not None:
            continue
        if message.trust_id not in writes:
            trust = batch.trusts.get(message.trust_id)
            writes[message.trust_id] = (
                trust is not None and trust_config(trust).integration.write_back is not None
            )
        if writes[message.trust_id]:
            found.add(message_id)
    return found


def _deliver(prepared: Outgoing, *, write_back: bool = False) -> Outcome:
    message_id = prepared.message_id
    provider = channel_provider(prepared.channel, get_settings())
    try:
        result = provider.send(prepared)
    except TransientError as error:
        with session_scope() as session:
            return _record_transient(session, message_id, error, utcnow())
    except PermanentError as error:
        with session_scope() as session:
            message = _locked(session, message_id)
            record_failure(
                session,
                message,
                now=utcnow(),
                code=error.code,
                reason=error.reason,
                detail=str(error),
            )
        log.warning("send_failed", message_id=message_id, code=error.code, reason=error.reason)
        return Outcome.FAILED
    except Exception as error:  # a bug or an unforeseen library error: retry, never lose it
        log.exception("send_error", message_id=message_id)
        with session_scope() as session:
            return _record_transient(
                session, message_id, TransientError(type(error).__name__, "error"), utcnow()
            )
    _record_sent_despite_disconnects(message_id, result, write_back=write_back)
    return Outcome.SENT


RECORD_SENT_ATTEMPTS = 4


def _record_sent_despite_disconnects(
    message_id: int, result: SendResult, *, write_back: bool = False
) -> None:
    """The provider has the message: if recording it failed, the stuck sweep would send it again.
    A dropped database connection is therefore retried here, on a fresh connection."""
    for attempt in range(1, RECORD_SENT_ATTEMPTS + 1):
        try:
            with session_scope() as session:
                now = utcnow()
                _record_sent(session, message_id, result, now)
                if write_back:  # in the same transaction: recorded sent means written back
                    sent = session.get(OutboundMessage, message_id)
                    assert sent is not None
                    writeback.message_changed(session, sent, now=now)
            return
        except OperationalError as error:
            if attempt == RECORD_SENT_ATTEMPTS:
                raise
            log.warning("record_sent_retry", message_id=message_id, error=type(error.orig).__name__)
            time.sleep(0.1 * attempt)


def _locked(session: Session, message_id: int) -> OutboundMessage:
    message = session.get(OutboundMessage, message_id, with_for_update=True)
    if message is None:
        raise LookupError(f"outbound message {message_id} does not exist")
    return message


@dataclass(frozen=True)
class Batch:
    """What one claim took and loaded. It holds the rows themselves: the session's identity map
    keeps only weak references, so without them each later look-up would query again."""

    prepared: dict[int, Outgoing | Outcome]
    messages: dict[int, OutboundMessage]
    trusts: dict[int, Trust]


def _claim_and_prepare(session: Session, message_ids: list[int], now: datetime) -> Batch:
    claimed_at = claim_clock(session, now)
    claimed = session.scalars(
        update(OutboundMessage)
        .where(
            OutboundMessage.id.in_(message_ids),
            OutboundMessage.state.in_((MessageState.SCHEDULED, MessageState.QUEUED)),
            OutboundMessage.due_at <= claimed_at,
        )
        .values(
            state=MessageState.SENDING,
            state_changed_at=claimed_at,
            attempts=OutboundMessage.attempts + 1,
        )
        .returning(OutboundMessage),
        execution_options={"synchronize_session": False},
    ).all()
    patients = _by_id(session, Patient, {m.patient_id for m in claimed})
    staff = _by_id(session, StaffMember, {m.staff_member_id for m in claimed})
    trusts = _by_id(session, Trust, {m.trust_id for m in claimed})
    prepared = {
        message.id: _prepare(
            session,
            message,
            trusts[message.trust_id],
            patients.get(message.patient_id or 0),
            staff.get(message.staff_member_id or 0),
            now,
        )
        for message in sorted(claimed, key=lambda m: message_ids.index(m.id))
    }
    return Batch(prepared, {m.id: m for m in claimed}, trusts)


Row = TypeVar("Row", Patient, StaffMember, Trust)


def _by_id(session: Session, model: type[Row], ids: set[int | None]) -> dict[int, Row]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(wanted)))}


def _prepare(
    session: Session,
    message: OutboundMessage,
    trust: Trust,
    patient: Patient | None,
    staff: StaffMember | None,
    now: datetime,
) -> Outgoing | Outcome:
    """Suppress, defer or render one claimed message."""
    if _suppressed(session, message, patient, staff, now):
        return Outcome.SUPPRESSED
    settings = get_settings()
    if patient is not None and _held_for_pds(message, patient, now, settings):
        return Outcome.DEFERRED
    config = trust_config(trust)
    if _deferred_to_the_window(message, config, now):
        return Outcome.DEFERRED
    context = build_context(
        config, patient=patient, staff=staff, dashboard_url=settings.public_base_url
    )
    context.update(message.context)
    context.update(link_context(session, message, settings))
    language = "en"  # staff read English; a patient, or a sender we do not know, their own
    if staff is None:
        preference = patient.language if patient is not None else None
        language = message.language or correspondence_language(preference, config.languages)
    try:
        rendered = render(message.template_key, message.channel, context, language)
    except Exception as error:  # a template that cannot render will not render on retry
        log.exception("render_failed", message_id=message.id, template=message.template_key)
        record_failure(session, message, now=now, code="render", detail=type(error).__name__)
        return Outcome.FAILED
    message.body = without_link(message, context, rendered.text)
    message.subject = rendered.subject
    if rendered.sms is not None:
        message.segments = rendered.sms.segments
        message.encoding = rendered.sms.encoding
    urgent = message.queue == Queue.ALERTS
    sender = config.sms.sender_for(urgent)
    return Outgoing(
        message_id=message.id,
        channel=message.channel,
        to=message.to_address,
        body=rendered.text,
        subject=rendered.subject,
        html=rendered.html,
        sms_from=sender.from_number,
        messaging_service_sid=sender.messaging_service_sid,
        urgent=urgent,
        validity_period_seconds=_validity_seconds(message, config, settings),
        **_callbacks(message, config, settings.public_base_url),
    )


def _validity_seconds(
    message: OutboundMessage, config: TrustConfig, settings: Settings
) -> int | None:
    """A staff alert SMS not handed to the carrier in time expires at the provider, is reported
    failed, and escalation moves on rather than waking someone about a stale alert."""
    if message.kind != MessageKind.ALERT or message.channel != Channel.SMS:
        return None
    minutes = config.sms.alert_validity_minutes or settings.alert_sms_validity_minutes
    return minutes * 60


def _callbacks(message: OutboundMessage, config: TrustConfig, base_url: str) -> dict[str, Any]:
    """Where the provider reports on the message; a call also posts the key pressed."""
    if message.channel != Channel.VOICE:
        return {"status_callback": f"{base_url}/twilio/status?m={message.id}"}
    return {
        "status_callback": f"{base_url}/twilio/voice/status?m={message.id}",
        "gather_url": f"{base_url}/twilio/voice/gather?m={message.id}",
        "call_from": config.voice.from_number if config.voice else None,
    }


def _suppressed(
    session: Session,
    message: OutboundMessage,
    patient: Patient | None,
    staff: StaffMember | None,
    now: datetime,
) -> bool:
    """The patient must not get it now (pathway.patient_status), or the staff member has left."""
    reason = suppression_reason(patient, message) if patient is not None else None
    if reason is None and staff is not None and not staff.active:
        reason = "staff_inactive"
    if reason is None:
        return False
    message.state = MessageState.SUPPRESSED
    message.error_message = reason
    audit.record(
        session,
        "message.suppressed",
        "outbound_message",
        message.id,
        actor=audit.SYSTEM,
        trust_id=message.trust_id,
        now=now,
        reason=reason,
    )
    return True


def _held_for_pds(
    message: OutboundMessage, patient: Patient, now: datetime, settings: Settings
) -> bool:
    """With PDS checks on, a planned message waits while the patient's last PDS answer is too
    old (pathway.pds_checks.hold_until): it goes after the next check, never unchecked."""
    if not settings.pds_enabled:
        return False
    max_age = timedelta(hours=settings.pds_max_check_age_hours)
    until = pds_checks.hold_until(patient, message, now=now, max_age=max_age)
    if until is None:
        return False
    pds_checks.owe_check(patient, now)
    message.state = MessageState.SCHEDULED
    message.state_changed_at = now
    message.due_at = until
    message.attempts -= 1
    log.info("send_held_for_pds", message_id=message.id, until=until.isoformat())
    return True


def _deferred_to_the_window(message: OutboundMessage, config: TrustConfig, now: datetime) -> bool:
    """A planned message held up (an outage, retries) past the window's end waits for the next
    window rather than waking a patient at night. Replies and alerts always go."""
    if message.kind != MessageKind.PLANNED:
        return False
    opens = next_send_time(now, config.send_window, config.zone)
    if opens <= now:
        return False
    message.state = MessageState.SCHEDULED
    message.state_changed_at = now
    message.due_at = opens
    message.attempts -= 1
    return True


_NOT_YET_SENT = OutboundMessage.state.in_(BEFORE_SENT)
# Built once: the statement is the same for every message, only its parameters change.
_RECORD_SENT = (
    update(OutboundMessage)
    .where(OutboundMessage.id == bindparam("message_id"))
    .values(
        provider=bindparam("provider"),
        provider_message_id=bindparam("provider_message_id"),
        sent_at=bindparam("now"),
        error_code=None,
        segments=func.coalesce(bindparam("segments", type_=Integer), OutboundMessage.segments),
        state=case((_NOT_YET_SENT, MessageState.SENT.value), else_=OutboundMessage.state),
        state_changed_at=case(
            (_NOT_YET_SENT, bindparam("now")), else_=OutboundMessage.state_changed_at
        ),
    )
    .execution_options(synchronize_session=False)
)


def _record_sent(session: Session, message_id: int, result: SendResult, now: datetime) -> None:
    """One statement: the provider's id, and `sent` unless a receipt already moved it on."""
    session.execute(
        _RECORD_SENT,
        {
            "message_id": message_id,
            "provider": result.provider,
            "provider_message_id": result.provider_message_id,
            "segments": result.segments or None,
            "now": now,
        },
    )


def _record_transient(
    session: Session, message_id: int, error: TransientError, now: datetime
) -> Outcome:
    message = _locked(session, message_id)
    if message.state != MessageState.SENDING:  # the stuck sweep handed it to another task
        return Outcome.SKIPPED
    policy = RETRY[Queue(message.queue)]
    if message.attempts >= policy.max_attempts:
        record_failure(
            session,
            message,
            now=now,
            code=error.code or "transient",
            detail=f"gave up after {message.attempts} attempts: {error}",
        )
        log.warning("send_gave_up", message_id=message_id, attempts=message.attempts)
        return Outcome.FAILED
    message.state = MessageState.SCHEDULED
    message.state_changed_at = now
    message.due_at = now + policy.delay(message.attempts)
    message.error_code = error.code
    message.error_message = str(error)[:500]
    log.info("send_retry", message_id=message_id, attempts=message.attempts, code=error.code)
    return Outcome.RETRY
