"""A patient's timeline: every message sent about them, every reply, every alert, newest first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.models import (
    Alert,
    InboundMessage,
    MessageState,
    OutboundMessage,
    Patient,
    StaffMember,
)
from web.dashboard.views import ReplyView, reply_view


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # message | notice | reply | alert | cancelled (planned messages, folded)
    title: str
    state: str | None = None
    channel: str | None = None
    body: str | None = None
    reply: ReplyView | None = None
    level: str | None = None
    code: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Timeline:
    entries: list[Entry]
    upcoming: list[Entry]


def patient_timeline(session: Session, patient: Patient, *, now: datetime) -> Timeline:
    members = list(
        session.scalars(select(StaffMember).where(StaffMember.trust_id == patient.trust_id))
    )
    staff = {m.id: m.name for m in members}
    by_key = {m.key: m.name for m in members}
    entries: list[Entry] = []
    upcoming: list[Entry] = []
    for message in session.scalars(
        select(OutboundMessage)
        .where(
            OutboundMessage.patient_id == patient.id,
            OutboundMessage.trust_id == patient.trust_id,
        )
        .order_by(OutboundMessage.due_at, OutboundMessage.id)
    ):
        entry = _message_entry(message, staff)
        if message.state == MessageState.SCHEDULED and message.due_at > now:
            upcoming.append(entry)
        else:
            entries.append(entry)
    for inbound in session.scalars(
        select(InboundMessage).where(
            InboundMessage.patient_id == patient.id,
            InboundMessage.trust_id == patient.trust_id,
        )
    ):
        reviewer = staff.get(inbound.reviewed_by_id or 0)
        view = reply_view(inbound, reviewed_by=reviewer)
        entries.append(
            Entry(at=inbound.received_at, kind="reply", title="Reply from patient", reply=view)
        )
    for alert in session.scalars(
        select(Alert).where(Alert.patient_id == patient.id, Alert.trust_id == patient.trust_id)
    ):
        entries.extend(_alert_entries(alert, staff))
        entries.extend(_step_entries(alert, by_key))
    entries.sort(key=lambda e: e.at, reverse=True)
    return Timeline(entries=fold_cancelled(entries), upcoming=upcoming)


def fold_cancelled(entries: list[Entry]) -> list[Entry]:
    """Planned messages cancelled together (an opt-out, a discharge, a re-plan cancels a whole
    schedule at one instant) become one line saying how many and which, instead of dozens."""
    folded: list[Entry] = []
    run: list[Entry] = []

    def close_run() -> None:
        if len(run) == 1:
            folded.append(run[0])
        elif run:
            titles = sorted({e.title for e in run})
            folded.append(
                Entry(
                    at=run[0].at,
                    kind="cancelled",
                    title=f"{len(run)} planned messages cancelled",
                    state=MessageState.CANCELLED,
                    detail={"titles": titles, "count": len(run)},
                )
            )
        run.clear()

    for entry in entries:
        cancelled = entry.kind == "message" and entry.state == MessageState.CANCELLED
        if cancelled and (not run or run[0].at == entry.at):
            run.append(entry)
            continue
        close_run()
        if cancelled:
            run.append(entry)
        else:
            folded.append(entry)
    close_run()
    return folded


def _message_entry(message: OutboundMessage, staff: dict[int, str]) -> Entry:
    at = message.delivered_at or message.sent_at or message.state_changed_at or message.due_at
    if message.staff_member_id is not None:
        who = staff.get(message.staff_member_id, "a staff member")
        return Entry(
            at=at,
            kind="notice",
            title=f"{message.template_key.replace('_', ' ').capitalize()} to {who}",
            state=message.state,
            channel=message.channel,
            detail={"error_code": message.error_code},
        )
    return Entry(
        at=message.due_at if message.state == MessageState.SCHEDULED else at,
        kind="message",
        title=message.template_key.replace("_", " ").capitalize(),
        state=message.state,
        channel=message.channel,
        body=message.body,
        detail={"error_code": message.error_code, "segments": message.segments},
    )


def _alert_entries(alert: Alert, staff: dict[int, str]) -> list[Entry]:
    def entry(at: datetime, title: str, body: str | None = None) -> Entry:
        return Entry(
            at=at, kind="alert", title=title, body=body, level=alert.level, code=alert.code
        )

    entries = [entry(alert.raised_at, "Alert raised")]
    if alert.nobody_reachable_at is not None:
        entries.append(entry(alert.nobody_reachable_at, "Nobody on the chain reachable"))
    if alert.acknowledged_at is not None:
        who = staff.get(alert.acknowledged_by_id or 0, "?")
        entries.append(entry(alert.acknowledged_at, f"Acknowledged by {who}"))
    if alert.resolved_at is not None:
        who = staff.get(alert.resolved_by_id or 0, "?")
        entries.append(entry(alert.resolved_at, f"Resolved by {who}", alert.outcome_note))
    return entries


def _step_entries(alert: Alert, names: dict[str, str]) -> list[Entry]:
    """Each time a step of the alert's chain fired: whom it reached (a role as whoever was on
    it then), or that it reached nobody and moved on at once."""
    entries = []
    steps = len(alert.chain.get("steps", []))
    for fired in alert.chain.get("reached", []):
        step = fired.get("step", 0)
        which = f"Step {step + 1}" if step < steps else f"Whole chain (round {fired.get('round')})"
        if fired.get("nobody"):
            title = f"{which} reached nobody: {fired['nobody']}; moved on at once"
        else:
            who = ", ".join(names.get(k, k) for k in fired.get("staff", []))
            called = [names.get(k, k) for k in fired.get("calls", [])]
            title = f"{which} reached {who}" + (f" (phoned: {', '.join(called)})" if called else "")
        at = datetime.fromisoformat(fired["at"]) if fired.get("at") else alert.raised_at
        entries.append(Entry(at=at, kind="alert", title=title, level=alert.level, code=alert.code))
    return entries
