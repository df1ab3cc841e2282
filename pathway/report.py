"""The monthly audit report of one trust: what NICE NG234 (1.1.2) asks each cancer alliance to
audit, "incidence, timeliness of management and outcomes", as plain figures.

The month is the trust's calendar month in its own time zone. Every alert figure counts the
alerts *raised* in the month (a cohort), whatever happened to them later; review items are the
replies that went on the review list and *arrived* in the month. Times are in seconds. The
median is the middle value (the mean of the two middle ones for an even count); the 90th
percentile is by nearest rank (the smallest value with at least 90% of values at or below it).
Pure: a session and a month in, figures out; `now` only decides what is still pending.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.models import Alert, AuditEvent, InboundMessage, Trust
from schema.trusts import trust_config
from schema.vocabulary import ALERT_LEVELS, Label

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# NICE NG234: MRI within 24 hours for suspected MSCC, within a week for spinal metastases.
MRI_TARGETS = {Label.RED.value: timedelta(hours=24), Label.AMBER.value: timedelta(days=7)}
NOT_RECORDED = "not_recorded"


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def start(self, zone: ZoneInfo) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=zone)

    def following(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)


def parse_month(text: str) -> Month:
    """'2026-12' → Month(2026, 12); anything else is a ValueError that says what it wants."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise ValueError("a month such as 2026-12 (year, then month)")
    return Month(int(match.group(1)), int(match.group(2)))


def month_of(moment: datetime, zone: ZoneInfo) -> Month:
    local = moment.astimezone(zone)
    return Month(local.year, local.month)


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def nearest_rank(values: Sequence[float], percent: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(1, math.ceil(percent / 100 * len(ordered))) - 1])


@dataclass(frozen=True)
class Timing:
    """How long something took, over the alerts where it happened."""

    count: int
    median_seconds: float | None
    p90_seconds: float | None

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Timing:
        return cls(len(seconds), median(seconds), nearest_rank(seconds, 90))


@dataclass(frozen=True)
class LevelFigures:
    level: str
    alerts: int
    acknowledged: Timing  # raised → acknowledged
    not_acknowledged: int
    escalated_beyond_first_step: int
    nobody_reachable: int
    mri: Timing  # reply → MRI, where an MRI time was recorded
    mri_within_target: int


@dataclass(frozen=True)
class OutcomeCount:
    key: str
    name: str
    count: int


@dataclass(frozen=True)
class ReviewFigures:
    items: int
    met: int
    missed: int
    pending: int  # not yet reviewed and not yet due
    not_recorded: int  # no due time stored for the item


@dataclass(frozen=True)
class MonthlyReport:
    trust_code: str
    trust_name: str
    month: str
    timezone: str
    starts: datetime
    ends: datetime
    alerts: int
    levels: list[LevelFigures]
    overall_acknowledged: Timing
    outcomes: list[OutcomeCount]
    not_yet_resolved: int
    reviews: ReviewFigures
    definitions: dict[str, str] = field(default_factory=dict)

    def level(self, level: str) -> LevelFigures:
        return next(f for f in self.levels if f.level == level)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["starts"] = self.starts.isoformat()
        data["ends"] = self.ends.isoformat()
        return data


DEFINITIONS = {
    "alerts": "alerts raised in the month (the trust's local calendar month)",
    "acknowledged": "from the alert being raised to its first acknowledgement",
    "escalated beyond step 1": "alerts whose escalation moved past the first step",
    "nobody reachable": "alerts during which nobody on the chain could be reached",
    "MRI": "from the patient's reply to the MRI time recorded on resolving",
    "MRI within target": "MRI within 24 hours (red) or 7 days (amber), NICE NG234",
    "reviews": "replies put on the review list that arrived in the month",
    "median": "the middle value; the mean of the two middle values for an even count",
    "90th percentile": "90th percentile by nearest rank",
}


def review_deadline_status(inbound: InboundMessage, now: datetime) -> str:
    """'met', 'missed', 'pending' or 'not_recorded' for one review item.

    Each item's due time is `review_due_at` (pathway.review); an item stored without one is
    'not_recorded'. This is the only place in the report that reads it.
    """
    return deadline_status(inbound.review_due_at, inbound.reviewed_at, now)


def deadline_status(due: datetime | None, done: datetime | None, now: datetime) -> str:
    if due is None:
        return NOT_RECORDED
    if done is not None:
        return "met" if done <= due else "missed"
    return "missed" if now > due else "pending"


def _seconds(start: datetime, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if end is not None else None


def _level_figures(
    level: str,
    alerts: list[Alert],
    escalated: set[int],
    reply_at: dict[int, datetime],
) -> LevelFigures:
    mine = [a for a in alerts if a.level == level]
    waits = [s for a in mine if (s := _seconds(a.raised_at, a.acknowledged_at)) is not None]
    mri = [
        s for a in mine if (s := _seconds(reply_at.get(a.id, a.raised_at), a.mri_at)) is not None
    ]
    target = MRI_TARGETS[level].total_seconds()
    return LevelFigures(
        level=level,
        alerts=len(mine),
        acknowledged=Timing.of(waits),
        not_acknowledged=sum(1 for a in mine if a.acknowledged_at is None),
        escalated_beyond_first_step=sum(1 for a in mine if a.id in escalated),
        nobody_reachable=sum(1 for a in mine if a.nobody_reachable_at is not None),
        mri=Timing.of(mri),
        mri_within_target=sum(1 for s in mri if s <= target),
    )


def _outcomes(alerts: list[Alert], configured: list[tuple[str, str]]) -> list[OutcomeCount]:
    resolved = [a for a in alerts if a.resolved_at is not None]
    counts: dict[str, int] = {}
    names = dict(configured)
    for alert in resolved:
        key = alert.outcome or NOT_RECORDED
        counts[key] = counts.get(key, 0) + 1
        if alert.outcome and alert.outcome not in names:
            names[alert.outcome] = alert.outcome_name or alert.outcome
    names[NOT_RECORDED] = "No outcome recorded"
    keys = [k for k, _ in configured] + [k for k in names if k not in dict(configured)]
    return [
        OutcomeCount(k, names[k], counts.get(k, 0))
        for k in keys
        if k in dict(configured) or counts.get(k)
    ]


def _reviews(
    session: Session, trust_id: int, start: datetime, end: datetime, now: datetime
) -> ReviewFigures:
    items = list(
        session.scalars(
            select(InboundMessage).where(
                InboundMessage.trust_id == trust_id,
                InboundMessage.review_state.is_not(None),
                InboundMessage.received_at >= start,
                InboundMessage.received_at < end,
            )
        )
    )
    states = [review_deadline_status(item, now) for item in items]
    return ReviewFigures(
        items=len(items),
        met=states.count("met"),
        missed=states.count("missed"),
        pending=states.count("pending"),
        not_recorded=states.count(NOT_RECORDED),
    )


def monthly_report(
    session: Session, trust_id: int, month: Month, *, now: datetime
) -> MonthlyReport:
    trust = session.get(Trust, trust_id)
    if trust is None:
        raise LookupError("no such trust")
    config = trust_config(trust)
    zone = config.zone
    start, end = month.start(zone), month.following().start(zone)
    alerts = list(
        session.scalars(
            select(Alert)
            .where(Alert.trust_id == trust_id, Alert.raised_at >= start, Alert.raised_at < end)
            .order_by(Alert.raised_at, Alert.id)
        )
    )
    ids = [a.id for a in alerts]
    escalated: set[int] = {
        int(subject_id)
        for subject_id in session.scalars(
            select(AuditEvent.subject_id).where(
                AuditEvent.trust_id == trust_id,
                AuditEvent.subject_type == "alert",
                AuditEvent.action == "alert.escalated",
                AuditEvent.subject_id.in_(ids),
            )
        )
        if subject_id is not None
    }
    reply_at = {
        alert_id: received
        for alert_id, received in session.execute(
            select(Alert.id, InboundMessage.received_at)
            .join(InboundMessage, InboundMessage.id == Alert.inbound_message_id)
            .where(Alert.id.in_(ids))
        )
    }
    waits = [s for a in alerts if (s := _seconds(a.raised_at, a.acknowledged_at)) is not None]
    return MonthlyReport(
        trust_code=trust.code,
        trust_name=trust.name,
        month=str(month),
        timezone=config.timezone,
        starts=start,
        ends=end,
        alerts=len(alerts),
        levels=[_level_figures(lv.value, alerts, escalated, reply_at) for lv in ALERT_LEVELS],
        overall_acknowledged=Timing.of(waits),
        outcomes=_outcomes(alerts, [(o.key, o.name) for o in config.outcomes]),
        not_yet_resolved=sum(1 for a in alerts if a.resolved_at is None),
        reviews=_reviews(session, trust_id, start, end, now),
        definitions=dict(DEFINITIONS),
    )
