from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pathway.planning import next_send_time, place_in_window, plan_cohort, to_utc
from schema.trust_config import Cohort, ScheduleStep, SendWindow
from schema.trust_config import SendWindow as Window

LONDON = ZoneInfo("Europe/London")
WINDOW = SendWindow(start=time(9), end=time(20))


def weekly(offset_days: int = 0, weeks: int = 4) -> Cohort:
    return Cohort(
        key="c",
        name="c",
        schedule=[
            ScheduleStep(
                template="checkin",
                offset=timedelta(days=offset_days),
                every=timedelta(weeks=1),
                until=timedelta(weeks=weeks),
            )
        ],
    )


def local_times(planned: list) -> list[datetime]:
    return [p.due_at.astimezone(LONDON) for p in planned]


def test_weekly_messages_keep_their_local_time_across_the_march_clock_change() -> None:
    # Enrolled Friday 2026-03-20 10:30 GMT; clocks go forward on Sunday 2026-03-29.
    enrolled = datetime(2026, 3, 20, 10, 30, tzinfo=UTC)
    planned = plan_cohort(weekly(), enrolled, WINDOW, LONDON, {"sms"})
    times = local_times(planned)
    assert [t.time() for t in times] == [time(10, 30)] * 5
    assert times[2].utcoffset() == timedelta(hours=1)  # BST after the change
    assert all(WINDOW.start <= t.time() < WINDOW.end for t in times)


def test_weekly_messages_keep_their_local_time_across_the_october_clock_change() -> None:
    # Enrolled at 19:30 BST, near the window's end; clocks go back on Sunday 2026-10-25.
    enrolled = datetime(2026, 10, 16, 18, 30, tzinfo=UTC)
    planned = plan_cohort(weekly(weeks=3), enrolled, WINDOW, LONDON, {"sms"})
    times = local_times(planned)
    assert [t.time() for t in times] == [time(19, 30)] * 4
    assert times[-1].utcoffset() == timedelta(0)  # GMT after the change


def test_a_message_due_outside_the_window_moves_to_the_next_window_start() -> None:
    enrolled = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)  # Saturday 22:00 GMT
    (first, *_) = plan_cohort(weekly(), enrolled, WINDOW, LONDON, {"sms"})
    local = first.due_at.astimezone(LONDON)
    # Sunday 29 March is the clock-change day: 09:00 BST is 08:00 UTC.
    assert local == datetime(2026, 3, 29, 9, 0, tzinfo=LONDON)
    assert first.due_at == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)


def test_an_early_morning_enrolment_waits_for_the_window_to_open() -> None:
    wall = place_in_window(datetime(2026, 10, 25, 1, 30), WINDOW)
    assert wall == datetime(2026, 10, 25, 9, 0)


def test_days_outside_the_window_are_skipped() -> None:
    weekdays = SendWindow(start=time(9), end=time(17), days=["mon", "tue", "wed", "thu", "fri"])
    saturday = datetime(2026, 11, 28, 12, 0)
    assert place_in_window(saturday, weekdays) == datetime(2026, 11, 30, 9, 0)


def test_a_wall_time_in_the_spring_gap_moves_forward_an_hour() -> None:
    # 01:30 on 29 March 2026 does not exist in London.
    assert to_utc(datetime(2026, 3, 29, 1, 30), LONDON) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_next_send_time_is_now_when_inside_the_window() -> None:
    now = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert next_send_time(now, WINDOW, LONDON) == now


def test_only_the_channels_a_patient_has_are_planned() -> None:
    cohort = Cohort(
        key="c", name="c", schedule=[ScheduleStep(template="welcome", channels=["sms", "email"])]
    )
    enrolled = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert [p.channel for p in plan_cohort(cohort, enrolled, WINDOW, LONDON, {"sms"})] == ["sms"]
    both = plan_cohort(cohort, enrolled, WINDOW, LONDON, {"sms", "email"})
    assert sorted(p.channel for p in both) == ["email", "sms"]


def test_replanning_drops_occurrences_already_past() -> None:
    enrolled = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    later = enrolled + timedelta(days=15)
    planned = plan_cohort(weekly(), enrolled, WINDOW, LONDON, {"sms"}, not_before=later)
    assert [p.occurrence for p in planned] == [3, 4]


def test_a_window_ending_at_24_00_is_open_until_midnight() -> None:
    all_day = Window.model_validate({"start": "00:00", "end": "24:00"})
    assert place_in_window(datetime(2026, 7, 1, 23, 59, 59), all_day) == datetime(
        2026, 7, 1, 23, 59, 59
    )
    assert all_day.model_dump(mode="json")["end"] == "24:00"
