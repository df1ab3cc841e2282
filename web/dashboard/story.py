"""One alert's full story, in order: the reply, the alert raised, every notification and its
delivery, each escalation step, later replies, acknowledgement and the outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.models import AuditEvent
from schema.vocabulary import NotificationKind
from web.dashboard.views import AlertView, NotificationView, ReplyView

VIA_WORDS = {
    "sms": "by SMS",
    "web": "on the dashboard",
    "api": "through a hospital system",
    "resolve": "on resolving it",
    "voice": "by pressing 1 on a call",
}


FIRST_AT_A_MOMENT = {"reply": 0, "raised": 1, "upgraded": 2, "acknowledged": 3, "resolved": 4}


@dataclass(frozen=True)
class Chapter:
    at: datetime
    kind: str  # reply, raised, notified, escalated, upgraded, nobody, later, acknowledged, ...
    title: str
    text: str | None = None
    reply: ReplyView | None = None
    notifications: list[NotificationView] = field(default_factory=list)


def waited(start: datetime, end: datetime | None) -> str:
    """'4 min 10 s after': how long a step took, as a coordinator says it."""
    if end is None:
        return ""
    seconds = max(0, int((end - start).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    return f"{seconds} s"


def _notified_title(alert: AlertView, kind: str, step: int, round_: int) -> str:
    if kind in (NotificationKind.ALERT, NotificationKind.ESCALATION):
        if step > alert.steps_total:
            return f"Past the last step: everyone on the chain again (round {round_})"
        return f"Step {step} of {alert.steps_total}: notified"
    return {
        NotificationKind.RENOTIFY: "Told again: the patient sent another red reply",
        NotificationKind.TAKEN: "Told who took the alert",
        NotificationKind.CONFIRM: "Confirmation to whoever acknowledged by SMS",
        NotificationKind.REMINDER: "Reminder: acknowledged but not yet resolved",
    }.get(NotificationKind(kind), kind)


def _notification_chapters(alert: AlertView) -> list[Chapter]:
    chapters = []
    ordered = sorted(alert.notifications, key=lambda n: (n.created_at, n.kind, n.step, n.round))
    for (kind, step, round_), group in groupby(ordered, key=lambda n: (n.kind, n.step, n.round)):
        rows = list(group)
        is_escalation = kind == NotificationKind.ESCALATION and step <= alert.steps_total
        chapters.append(
            Chapter(
                at=rows[0].created_at,
                kind="escalated" if kind == NotificationKind.ESCALATION else "notified",
                title=(
                    f"Escalated to step {step} of {alert.steps_total}"
                    if is_escalation
                    else _notified_title(alert, kind, step, round_)
                ),
                notifications=rows,
            )
        )
    return chapters


def alert_story(session: Session, alert: AlertView) -> list[Chapter]:
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_type == "alert", AuditEvent.subject_id == alert.id)
            .order_by(AuditEvent.id)
        )
    )
    chapters: list[Chapter] = []
    if alert.reply is not None:
        chapters.append(
            Chapter(alert.reply.received_at, "reply", "Reply from the patient", reply=alert.reply)
        )
    chapters.append(
        Chapter(
            alert.raised_at,
            "raised",
            f"{alert.level.upper()} alert {alert.code} raised",
            _after_reply(alert, alert.raised_at),
        )
    )
    chapters += _notification_chapters(alert)
    for event in events:
        if event.action == "alert.upgraded":
            chapters.append(
                Chapter(event.at, "upgraded", "Made red: the patient reported an MSCC symptom")
            )
        else:
            chapters += _rota_and_call_chapters(alert, event)
    chapters += [
        Chapter(r.received_at, "later", "Another reply from the patient", reply=r)
        for r in alert.later_replies
    ]
    if alert.nobody_reachable_at is not None:
        chapters.append(
            Chapter(alert.nobody_reachable_at, "nobody", "Nobody on the chain could be reached")
        )
    chapters += _closing(alert, events)
    if alert.mri_at is not None:
        chapters.append(
            Chapter(alert.mri_at, "mri", "MRI (done or booked)", _after_reply(alert, alert.mri_at))
        )
    # At the same moment, the cause before what it set off (raised before the first notices,
    # acknowledged before "told who took it").
    return sorted(chapters, key=lambda c: (c.at, FIRST_AT_A_MOMENT.get(c.kind, 9)))


def _rota_and_call_chapters(alert: AlertView, event: AuditEvent) -> list[Chapter]:
    """A step that reached nobody on the rota (and moved on at once), and a call on a call step
    that was not acknowledged (and moved the chain on)."""
    details = event.details if isinstance(event.details, dict) else {}
    step = int(details.get("step", 0)) + 1
    which = f"Step {step}" if step <= alert.steps_total else "The whole chain"
    if event.action == "alert.step_reached_nobody":
        why = details.get("why") or "nobody on shift"
        return [Chapter(event.at, "nobody", f"{which} reached nobody: {why}", "Moved on at once.")]
    if event.action == "alert.call_not_acknowledged":
        status = details.get("status") or "not answered"
        return [Chapter(event.at, "call", f"Call at step {step} not acknowledged ({status})")]
    return []


def _after_reply(alert: AlertView, moment: datetime) -> str | None:
    if alert.reply is None:
        return None
    return f"{waited(alert.reply.received_at, moment)} after the reply arrived."


def _closing(alert: AlertView, events: list[AuditEvent]) -> list[Chapter]:
    chapters = []
    if alert.acknowledged_at is not None:
        via = next(
            (
                str(e.details.get("via", ""))
                for e in events
                if e.action == "alert.acknowledged" and isinstance(e.details, dict)
            ),
            "",
        )
        how = VIA_WORDS.get(via, "")
        chapters.append(
            Chapter(
                alert.acknowledged_at,
                "acknowledged",
                f"Acknowledged by {alert.acknowledged_by or 'a staff member'}"
                + (f" {how}" if how else ""),
                f"{waited(alert.raised_at, alert.acknowledged_at)} after the alert was raised.",
            )
        )
    if alert.resolved_at is not None:
        outcome = alert.outcome_name or "no outcome recorded"
        details = [f"Outcome: {outcome}."]
        if alert.outcome_note:
            details.append(f"Note: {alert.outcome_note}")
        chapters.append(
            Chapter(
                alert.resolved_at,
                "resolved",
                f"Resolved by {alert.resolved_by or 'a staff member'}",
                " ".join(details),
            )
        )
    return chapters


def reply_to_mri(alert: AlertView) -> timedelta | None:
    if alert.mri_at is None:
        return None
    start = alert.reply.received_at if alert.reply is not None else alert.raised_at
    return alert.mri_at - start
