"""When a cohort's messages fall due, and the planned messages that follow: planning a patient's
schedule, cancelling what is planned, and planning afresh.

The timing is pure functions on aware datetimes, so the clock-change rules can be tested on their
own. Whole-day offsets are added to the local wall clock (a weekly message keeps its local time
across the last Sundays of March and October); the result is moved forward into the send window,
then converted to UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from pathway import audit
from pathway.errors import PatientInputError
from schema.models import Channel, MessageState, OutboundMessage, Patient, Queue
from schema.trust_config import Cohort, SendWindow, TrustConfig
from schema.vocabulary import MessageKind

DEFAULT_REPEAT_HORIZON = timedelta(weeks=52)
PLAN_KEY_PREFIX = "plan:"


@dataclass(frozen=True)
class PlannedMessage:
    step: int
    occurrence: int
    template: str
    channel: str
    due_at: datetime  # aware, UTC


def _add_wall_clock(local: datetime, offset: timedelta) -> datetime:
    """Whole days on the wall clock, the rest as elapsed time."""
    return local + timedelta(days=offset.days) + timedelta(seconds=offset.seconds)


def to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """A naive local wall-clock time as aware UTC; a time in a spring-forward gap moves forward."""
    aware = wall.replace(tzinfo=zone)
    round_trip = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != wall:  # the wall time does not exist that day
        aware = (wall + timedelta(hours=1)).replace(tzinfo=zone)
    return aware.astimezone(UTC)


def place_in_window(wall: datetime, window: SendWindow) -> datetime:
    """The first local wall-clock time at or after `wall` inside the send window (naive)."""
    candidate = wall
    for _ in range(8):
        allowed = candidate.weekday() in window.weekdays
        if allowed and window.start <= candidate.time() < window.end:
            return candidate
        if allowed and candidate.time() < window.start:
            return datetime.combine(candidate.date(), window.start)
        candidate = datetime.combine(candidate.date() + timedelta(days=1), window.start)
        if candidate.weekday() in window.weekdays:
            return candidate
    raise ValueError("send window has no allowed day")  # unreachable: days has min_length 1


def next_send_time(after: datetime, window: SendWindow, zone: ZoneInfo) -> datetime:
    """The first moment at or after `after` (aware) inside the window, as aware UTC."""
    wall = after.astimezone(zone).replace(tzinfo=None)
    return to_utc(place_in_window(wall, window), zone)


def plan_cohort(
    cohort: Cohort,
    enrolled_at: datetime,
    window: SendWindow,
    zone: ZoneInfo,
    channels_available: set[str],
    not_before: datetime | None = None,
) -> list[PlannedMessage]:
    """Every message of the cohort's schedule for one patient, in due order.

    `not_before` drops occurrences already in the past (used when re-planning).
    """
    local_enrolment = enrolled_at.astimezone(zone).replace(tzinfo=None)
    planned: list[PlannedMessage] = []
    for step_index, step in enumerate(cohort.schedule):
        offsets = [step.offset]
        if step.every is not None:
            end = step.until if step.until is not None else step.offset + DEFAULT_REPEAT_HORIZON
            offset = step.offset + step.every
            while offset <= end:
                offsets.append(offset)
                offset += step.every
        for occurrence, offset in enumerate(offsets):
            wall = place_in_window(_add_wall_clock(local_enrolment, offset), window)
            due_at = to_utc(wall, zone)
            if not_before is not None and due_at < not_before:
                continue
            for channel in step.channels:
                if channel in channels_available:
                    planned.append(
                        PlannedMessage(step_index, occurrence, step.template, channel, due_at)
                    )
    planned.sort(key=lambda p: (p.due_at, p.step, p.channel))
    return planned


def plan_messages(
    session: Session,
    patient: Patient,
    config: TrustConfig,
    *,
    now: datetime,
    not_before: datetime | None = None,
) -> int:
    """Insert the patient's schedule as `scheduled` messages; returns how many."""
    cohort = config.cohort(patient.cohort)
    if cohort is None:
        raise PatientInputError([f"cohort: {patient.cohort!r} no longer exists"])
    available = {Channel.SMS.value} | ({Channel.EMAIL.value} if patient.email else set())
    planned = plan_cohort(
        cohort,
        patient.enrolled_at,
        config.send_window,
        config.zone,
        available,
        not_before=not_before,
    )
    rows = [_planned_row(patient, p, now) for p in planned]
    if rows:
        session.execute(insert(OutboundMessage), rows)
    return len(rows)


def plan_key(patient: Patient, planned: PlannedMessage) -> str:
    return (
        f"{PLAN_KEY_PREFIX}{patient.id}:g{patient.plan_generation}:"
        f"s{planned.step}:o{planned.occurrence}:{planned.channel}"
    )


def _planned_row(patient: Patient, planned: PlannedMessage, now: datetime) -> dict[str, Any]:
    return {
        "trust_id": patient.trust_id,
        "patient_id": patient.id,
        "channel": planned.channel,
        "kind": MessageKind.PLANNED.value,
        "queue": Queue.MESSAGES.value,
        "template_key": planned.template,
        "context": {},
        "to_address": patient.phone_e164 if planned.channel == Channel.SMS else patient.email,
        "due_at": planned.due_at,
        "state": MessageState.SCHEDULED.value,
        "state_changed_at": now,
        "attempts": 0,
        "idempotency_key": plan_key(patient, planned),
        "created_at": now,
    }


def cancel_planned(
    session: Session,
    patient: Patient,
    now: datetime,
    *,
    everything: bool = False,
    reason: str | None = None,
) -> int:
    """Cancel the patient's messages that are not yet on their way.

    Planned messages only, unless `everything` (an opt-out cancels replies' advice too).
    `reason` is recorded on each message (a death, a merge).
    """
    condition = [
        OutboundMessage.patient_id == patient.id,
        OutboundMessage.staff_member_id.is_(None),  # never staff alerts about the patient
        OutboundMessage.state == MessageState.SCHEDULED,
    ]
    if not everything:
        condition.append(OutboundMessage.kind == MessageKind.PLANNED)
    result = session.execute(
        update(OutboundMessage)
        .where(*condition)
        .values(
            state=MessageState.CANCELLED,
            state_changed_at=now,
            **({"error_message": reason} if reason else {}),
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def replan(
    session: Session,
    patient: Patient,
    config: TrustConfig,
    *,
    now: datetime,
    actor: str,
    reason: str,
) -> int:
    """Cancel what is planned and plan afresh from now (new configuration, resume, opt back in)."""
    cancelled = cancel_planned(session, patient, now)
    patient.plan_generation += 1
    session.flush()
    planned = plan_messages(session, patient, config, now=now, not_before=now)
    audit.record(
        session,
        "patient.replanned",
        "patient",
        patient.id,
        actor=actor,
        trust_id=patient.trust_id,
        now=now,
        reason=reason,
        cancelled=cancelled,
        planned=planned,
    )
    return planned
