"""When a cohort's messages fall due: offsets from enrolment, placed inside the trust's send window.

Pure functions on aware datetimes, so the clock-change rules can be tested on their own. Whole-day
offsets are added to the local wall clock (a weekly message keeps its local time across the last
Sundays of March and October); the result is moved forward into the send window, then converted to
UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from schema.trust_config import Cohort, SendWindow

DEFAULT_REPEAT_HORIZON = timedelta(weeks=52)


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
