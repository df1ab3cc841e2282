"""Who is on a role at an instant, over the trust's weekly shifts and its one-off cover. Pure.

Shifts are written in the trust's local wall-clock time and converted with `zoneinfo` day by
day, so a night shift across a clock change is an hour shorter (March) or longer (October) in
real time, and two shifts that meet on the clock meet in real time too: a handover never opens
a gap nor doubles anyone up. Cover comes in two kinds, as in Grafana OnCall's rotas: an override
puts its person alone on the role for its period; a swap (`instead_of`) hands one person's
shifts in the period to another. Periods are half-open: at a handover the incoming person is on.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from schema.trust_config import Rota, TrustConfig

CONFIG = "config"


@dataclass(frozen=True)
class Cover:
    """One-off cover on a role, in UTC: from the trust's YAML (`ref` "config") or the admin page
    (`ref` "override:<id>")."""

    role: str
    start: datetime
    end: datetime
    staff: str
    instead_of: str | None = None
    ref: str = CONFIG

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class Period:
    """Who is on `role` through [start, end): staff keys in rota order; () is nobody."""

    role: str
    start: datetime
    end: datetime
    staff: tuple[str, ...]


@dataclass(frozen=True)
class Gap:
    """A period with nobody reachable on a role: nobody on shift, or only people in `unreachable`
    (who have left, or have neither a phone nor an email)."""

    role: str
    start: datetime
    end: datetime
    unreachable: tuple[str, ...] = ()

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


def to_utc(local: datetime, zone: ZoneInfo, *, latest: bool = False) -> datetime:
    """A wall-clock time in `zone` as an aware UTC datetime.

    When the clocks go back the hour happens twice: the first time, or the second with `latest`
    (ends of cover take the later one, so cover is never cut short). When they go forward the
    hour never happens: any time in it is the moment the clocks jump, for starts and ends alike.
    """
    naive = local.replace(tzinfo=None)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    early, late = min(first, second), max(first, second)
    if first.astimezone(zone).replace(tzinfo=None) != naive:  # skipped by the clocks
        return _jump(early, late, zone)
    return late if latest else early


def _jump(before: datetime, after: datetime, zone: ZoneInfo) -> datetime:
    """The first instant in (before, after] with the later UTC offset, to the second."""
    offset = before.astimezone(zone).utcoffset()
    low, high = 0, int((after - before).total_seconds())
    while high - low > 1:
        middle = (low + high) // 2
        if (before + timedelta(seconds=middle)).astimezone(zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return before + timedelta(seconds=high)


def _days(start: datetime, end: datetime, zone: ZoneInfo) -> Iterable[date]:
    """Every local date a shift touching [start, end) can start on (a shift lasts a day at most)."""
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    while day <= last:
        yield day
        day += timedelta(days=1)


def shift_periods(
    rota: Rota, zone: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[datetime, datetime, str]]:
    """(start, end, staff) of every weekly shift of the rota overlapping [start, end), in UTC."""
    found = []
    for day in _days(start, end, zone):
        midnight = datetime.combine(day, time())
        for shift in rota.shifts:
            if day.weekday() not in shift.weekdays:
                continue
            begins = timedelta(minutes=shift.start_minutes)
            on = to_utc(midnight + begins, zone)
            ends = begins + timedelta(minutes=shift.length_minutes)
            off = to_utc(midnight + ends, zone, latest=True)
            if on < off and on < end and off > start:
                found.append((on, off, shift.staff))
    return sorted(found)


class RoleRota:
    """One role's shifts over a window, with its cover: who is on at any instant inside it."""

    def __init__(
        self,
        config: TrustConfig,
        covers: Sequence[Cover],
        role: str,
        start: datetime,
        end: datetime,
    ) -> None:
        rota = config.rotas.get(role)
        self.role = role
        self.start = start
        self.end = end
        self.shifts = shift_periods(rota, config.zone, start, end) if rota else []
        self.covers = [c for c in covers if c.role == role and c.end > start and c.start < end]

    def at(self, at: datetime) -> tuple[str, ...]:
        overriding = [c.staff for c in self.covers if c.instead_of is None and c.covers(at)]
        if overriding:
            return tuple(dict.fromkeys(overriding))
        swaps = {c.instead_of: c.staff for c in self.covers if c.instead_of and c.covers(at)}
        on = (swaps.get(staff, staff) for begins, ends, staff in self.shifts if begins <= at < ends)
        return tuple(dict.fromkeys(on))

    def boundaries(self) -> list[datetime]:
        """Every instant in the window at which who is on may change."""
        points = {self.start, self.end}
        for begins, ends, _ in self.shifts:
            points.update((begins, ends))
        for cover in self.covers:
            points.update((cover.start, cover.end))
        return sorted(p for p in points if self.start <= p <= self.end)

    def timeline(self) -> list[Period]:
        """The window cut where who is on changes; neighbours with the same people merged."""
        periods: list[Period] = []
        points = self.boundaries()
        for begins, ends in pairwise(points):
            staff = self.at(begins)
            if periods and periods[-1].staff == staff:
                periods[-1] = Period(self.role, periods[-1].start, ends, staff)
            else:
                periods.append(Period(self.role, begins, ends, staff))
        return periods


def on_duty(
    config: TrustConfig, covers: Sequence[Cover], role: str, at: datetime
) -> tuple[str, ...]:
    """The staff keys on `role` at `at`: those the cover puts there, else those on shift."""
    return RoleRota(config, covers, role, at, at + timedelta(seconds=1)).at(at)


def timeline(
    config: TrustConfig, covers: Sequence[Cover], role: str, start: datetime, end: datetime
) -> list[Period]:
    return RoleRota(config, covers, role, start, end).timeline()


def gaps(
    config: TrustConfig,
    covers: Sequence[Cover],
    start: datetime,
    end: datetime,
    *,
    reachable: Collection[str] | None = None,
    roles: Iterable[str] | None = None,
) -> list[Gap]:
    """Every period in [start, end) with nobody reachable on a role the chains use (or `roles`).

    `reachable`: the staff who can be reached (active, with a phone or an email); by default
    everyone in the configuration.
    """
    can_reach = set(reachable) if reachable is not None else {s.key for s in config.staff}
    found: list[Gap] = []
    for role in roles if roles is not None else config.roles_in_chains():
        for period in timeline(config, covers, role, start, end):
            if any(key in can_reach for key in period.staff):
                continue
            previous = found[-1] if found else None
            if previous is not None and previous.role == role and previous.end == period.start:
                unreachable = tuple(dict.fromkeys((*previous.unreachable, *period.staff)))
                found[-1] = Gap(role, previous.start, period.end, unreachable)
            else:
                found.append(Gap(role, period.start, period.end, period.staff))
    return found


def config_covers(config: TrustConfig) -> list[Cover]:
    """The one-off cover written in the trust's YAML, in UTC."""
    return [
        Cover(
            role=role,
            start=to_utc(cover.start, config.zone),
            end=to_utc(cover.end, config.zone, latest=True),
            staff=cover.staff,
            instead_of=cover.instead_of,
        )
        for role, rota in config.rotas.items()
        for cover in rota.overrides
    ]
