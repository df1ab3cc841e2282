"""Who is on a role at an instant (pathway.rota), on a simulated clock across both of 2026's
clock changes in Europe/London: 01:00 UTC on Sunday 29 March (forward) and on Sunday 25 October
(back). Every check compares the rota with the wall clock a person on the ward would read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from pathway.rota import Cover, config_covers, gaps, on_duty, timeline, to_utc
from schema.trust_config import TrustConfig
from tests.fakes.rota_trust import ESCALATION, ROTAS, rota_config

LONDON = ZoneInfo("Europe/London")
SPRING = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 01:00 GMT becomes 02:00 BST
AUTUMN = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # 02:00 BST becomes 01:00 GMT
CHANGES = pytest.mark.parametrize("change", [SPRING, AUTUMN], ids=["spring", "autumn"])

WEEK_ROTA = """rotas:
  on_duty_coordinator:
    shifts:
      - "mon-fri 08:00-18:00: asha"
      - "mon-fri 18:00-08:00: ben"
      - "sat 08:00-08:00: duty_consultant"
      - "sun 08:00-08:00: ben"
  on_call_consultant:
    shifts:
      - "daily 09:00-09:00: duty_consultant"

"""


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def ticks(start: datetime, end: datetime, every: timedelta) -> Iterator[datetime]:
    """A simulated clock: every instant from start to end, `every` apart."""
    moment = start
    while moment < end:
        yield moment
        moment += every


def around(change: datetime) -> Iterator[datetime]:
    """Every five minutes from the Thursday before the change to the Tuesday after."""
    return ticks(change - timedelta(days=3), change + timedelta(days=2), timedelta(minutes=5))


def by_the_wall_clock(rule: Callable[[datetime], str]) -> Callable[[datetime], tuple[str, ...]]:
    def expected(moment: datetime) -> tuple[str, ...]:
        return (rule(moment.astimezone(LONDON)),)

    return expected


def days_and_nights(local: datetime) -> str:
    return "asha" if 8 <= local.hour < 20 else "ben"


def week(local: datetime) -> str:
    """WEEK_ROTA read off a wall clock: a shift belongs to the day it starts on."""
    day, hour = local.weekday(), local.hour
    started = day if hour >= 8 else (day - 1) % 7  # every shift of this rota changes at 08:00
    if started == 5:
        return "duty_consultant"  # Saturday 08:00 to Sunday 08:00
    if started == 6:
        return "ben"
    return "asha" if 8 <= hour < 18 and day == started else "ben"


@CHANGES
def test_the_night_shift_across_a_clock_change_ends_at_eight_on_the_wall_clock(
    change: datetime,
) -> None:
    config = rota_config()
    expected = by_the_wall_clock(days_and_nights)
    for moment in around(change):
        assert on_duty(config, [], "on_duty_coordinator", moment) == expected(moment), moment


@CHANGES
def test_a_weekly_rota_with_a_24_hour_weekend_shift_follows_the_wall_clock(
    change: datetime,
) -> None:
    config = rota_config(rotas=WEEK_ROTA)
    expected = by_the_wall_clock(week)
    for moment in around(change):
        assert on_duty(config, [], "on_duty_coordinator", moment) == expected(moment), moment


@pytest.mark.parametrize(
    ("night_starts", "night_ends", "hours"),
    [
        ("2026-03-28 20:00", "2026-03-29 07:00", 11),  # 20:00 GMT to 08:00 BST
        ("2026-10-24 19:00", "2026-10-25 08:00", 13),  # 20:00 BST to 08:00 GMT
        ("2026-03-21 20:00", "2026-03-22 08:00", 12),  # an ordinary week
    ],
)
def test_the_night_over_a_clock_change_is_an_hour_shorter_or_longer_in_real_time(
    night_starts: str, night_ends: str, hours: int
) -> None:
    start = utc(night_starts)
    periods = timeline(
        rota_config(),
        [],
        "on_duty_coordinator",
        start - timedelta(hours=1),
        start + timedelta(hours=14),
    )
    night = next(p for p in periods if p.staff == ("ben",))
    assert (night.start, night.end) == (start, utc(night_ends))
    assert night.end - night.start == timedelta(hours=hours)


@CHANGES
def test_handovers_across_a_clock_change_leave_no_gap_and_no_overlap(change: datetime) -> None:
    config = rota_config()
    start, end = change - timedelta(days=3), change + timedelta(days=3)
    assert gaps(config, [], start, end) == []
    for role in config.roles_in_chains():
        periods = timeline(config, [], role, start, end)
        assert all(len(p.staff) == 1 for p in periods)  # never two people at once
        assert all(a.end == b.start for a, b in pairwise(periods))


def test_at_the_moment_of_a_handover_the_incoming_person_is_on() -> None:
    config = rota_config()
    handover = to_utc(datetime(2026, 12, 3, 20, 0), LONDON)
    assert on_duty(config, [], "on_duty_coordinator", handover - timedelta(seconds=1)) == ("asha",)
    assert on_duty(config, [], "on_duty_coordinator", handover) == ("ben",)


EARLY_GAP = """rotas:
  on_duty_coordinator:
    shifts:
      - "daily 08:00-20:00: asha"
      - "daily 20:00-07:00: ben"
  on_call_consultant:
    shifts:
      - "daily 09:00-09:00: duty_consultant"

"""


@CHANGES
def test_a_daily_gap_is_found_at_the_same_wall_clock_hour_across_a_clock_change(
    change: datetime,
) -> None:
    config = rota_config(rotas=EARLY_GAP)
    found = gaps(config, [], change - timedelta(days=3), change + timedelta(days=3))
    assert len(found) == 6
    for gap in found:
        assert gap.role == "on_duty_coordinator"
        assert gap.duration == timedelta(hours=1)
        assert (gap.start.astimezone(LONDON).hour, gap.end.astimezone(LONDON).hour) == (7, 8)


SMALL_HOURS_GAP = """rotas:
  on_duty_coordinator:
    shifts:
      - "daily 02:00-01:00: ben"
  on_call_consultant:
    shifts:
      - "daily 09:00-09:00: duty_consultant"

"""


def test_a_gap_in_the_hour_the_clocks_skip_does_not_exist_that_night() -> None:
    config = rota_config(rotas=SMALL_HOURS_GAP)
    found = gaps(config, [], utc("2026-03-27 12:00"), utc("2026-03-30 12:00"))
    assert [(g.start, g.end) for g in found] == [
        (utc("2026-03-28 01:00"), utc("2026-03-28 02:00")),  # Saturday, GMT
        (utc("2026-03-30 00:00"), utc("2026-03-30 01:00")),  # Monday, BST: none on Sunday
    ]


def test_in_the_hour_the_clocks_repeat_a_shift_ends_the_second_time_round() -> None:
    config = rota_config(rotas=SMALL_HOURS_GAP)
    found = gaps(config, [], utc("2026-10-24 12:00"), utc("2026-10-25 12:00"))
    # 01:00 happens at 00:00 UTC (BST) and again at 01:00 UTC (GMT): Ben stays until the
    # second, so the gap is one real hour, 01:00 to 02:00 GMT.
    assert [(g.start, g.end) for g in found] == [(utc("2026-10-25 01:00"), utc("2026-10-25 02:00"))]


def test_a_wall_clock_time_the_clocks_skip_is_the_moment_they_jump() -> None:
    assert to_utc(datetime(2026, 3, 29, 1, 30), LONDON) == SPRING
    assert to_utc(datetime(2026, 3, 29, 1, 30), LONDON, latest=True) == SPRING
    assert to_utc(datetime(2026, 10, 25, 1, 30), LONDON) == utc("2026-10-25 00:30")
    assert to_utc(datetime(2026, 10, 25, 1, 30), LONDON, latest=True) == utc("2026-10-25 01:30")


# -- cover: overrides and swaps -----------------------------------------------------------------


def cover(role: str, start: str, end: str, staff: str, instead_of: str | None = None) -> Cover:
    return Cover(role, utc(start), utc(end), staff, instead_of, ref="override:1")


def test_an_override_puts_its_person_alone_on_the_role_for_its_period() -> None:
    config = rota_config()
    covers = [
        cover("on_duty_coordinator", "2026-12-03 12:00", "2026-12-03 22:00", "duty_consultant")
    ]
    at = utc("2026-12-03 11:59")
    assert on_duty(config, covers, "on_duty_coordinator", at) == ("asha",)
    for hour in ("12:00", "19:59", "20:00", "21:59"):
        assert on_duty(config, covers, "on_duty_coordinator", utc(f"2026-12-03 {hour}")) == (
            "duty_consultant",
        )
    assert on_duty(config, covers, "on_duty_coordinator", utc("2026-12-03 22:00")) == ("ben",)


def test_a_swap_hands_over_only_that_persons_shifts_in_its_period() -> None:
    config = rota_config()
    covers = [cover("on_duty_coordinator", "2026-12-03 00:00", "2026-12-05 00:00", "asha", "ben")]
    assert on_duty(config, covers, "on_duty_coordinator", utc("2026-12-03 12:00")) == ("asha",)
    assert on_duty(config, covers, "on_duty_coordinator", utc("2026-12-03 23:00")) == ("asha",)
    assert on_duty(config, covers, "on_duty_coordinator", utc("2026-12-05 00:00")) == ("ben",)
    # The swap is for the coordinator role only.
    assert on_duty(config, covers, "on_call_consultant", utc("2026-12-03 23:00")) == (
        "duty_consultant",
    )


def test_an_override_can_close_a_gap_and_only_the_uncovered_part_stays_a_gap() -> None:
    config = rota_config(rotas=EARLY_GAP)
    start, end = utc("2026-12-03 00:00"), utc("2026-12-04 00:00")
    (gap,) = gaps(config, [], start, end)
    assert (gap.start, gap.end) == (utc("2026-12-03 07:00"), utc("2026-12-03 08:00"))
    half = [cover("on_duty_coordinator", "2026-12-03 07:00", "2026-12-03 07:30", "ben")]
    (rest,) = gaps(config, half, start, end)
    assert (rest.start, rest.end) == (utc("2026-12-03 07:30"), utc("2026-12-03 08:00"))


def test_someone_on_shift_who_cannot_be_reached_is_a_gap_and_is_named() -> None:
    config = rota_config()
    start, end = utc("2026-12-03 00:00"), utc("2026-12-04 00:00")
    everyone_but_ben = {s.key for s in config.staff} - {"ben"}
    found = gaps(config, [], start, end, reachable=everyone_but_ben)
    assert [(g.start, g.end, g.unreachable) for g in found] == [
        (start, utc("2026-12-03 08:00"), ("ben",)),
        (utc("2026-12-03 20:00"), end, ("ben",)),
    ]


def test_a_role_with_no_rota_in_force_has_nobody_on_it_all_the_time() -> None:
    config = rota_config()
    start, end = utc("2026-12-03 00:00"), utc("2026-12-04 00:00")
    assert on_duty(config, [], "night_registrar", start) == ()
    assert [(g.start, g.end) for g in gaps(config, [], start, end, roles=["night_registrar"])] == [
        (start, end)
    ]


def test_cover_written_in_the_yaml_is_read_in_the_trusts_local_time() -> None:
    rotas = ROTAS.replace(
        '      - "daily 20:00-08:00: ben"\n',
        '      - "daily 20:00-08:00: ben"\n'
        "    overrides:\n"
        '      - {start: "2026-07-01 09:00", end: "2026-07-01 17:00", staff: ben}\n'
        '      - {start: "2026-07-02 20:00", end: "2026-07-03 08:00", staff: asha,'
        " instead_of: ben}\n",
    )
    config: TrustConfig = rota_config(rotas=rotas, escalation=ESCALATION)
    covers = config_covers(config)
    assert [(c.start, c.end, c.staff, c.instead_of) for c in covers] == [
        (utc("2026-07-01 08:00"), utc("2026-07-01 16:00"), "ben", None),  # BST
        (utc("2026-07-02 19:00"), utc("2026-07-03 07:00"), "asha", "ben"),
    ]
    assert on_duty(config, covers, "on_duty_coordinator", utc("2026-07-01 12:00")) == ("ben",)
    assert on_duty(config, covers, "on_duty_coordinator", utc("2026-07-03 01:00")) == ("asha",)
