"""The monthly audit report's figures against June 2026 (tests/pathway/month_scenario.py), on
SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from pathway.report import (
    Month,
    Timing,
    deadline_status,
    month_of,
    monthly_report,
    nearest_rank,
    parse_month,
)
from schema.models import Trust
from tests.pathway.month_scenario import at, build_june

NOW = datetime(2026, 7, 10, 12, 0, tzinfo=UTC)
HOUR = 3600


@pytest.fixture
def june(session: Session, trust: Trust) -> None:
    build_june(session, trust)
    session.commit()


def test_alerts_are_counted_by_level_in_the_trusts_own_calendar_month(
    session: Session, trust: Trust, june: None
) -> None:
    report = monthly_report(session, trust.id, Month(2026, 6), now=NOW)
    assert report.alerts == 6  # A7 (1 June 00:30 in London) in, A6 (1 July 00:30) out
    assert (report.level("red").alerts, report.level("amber").alerts) == (4, 2)
    assert report.starts == datetime(2026, 5, 31, 23, 0, tzinfo=UTC)
    assert report.ends == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
    assert monthly_report(session, trust.id, Month(2026, 7), now=NOW).alerts == 1


def test_time_to_acknowledge_has_its_median_and_90th_percentile_per_level_and_overall(
    session: Session, trust: Trust, june: None
) -> None:
    report = monthly_report(session, trust.id, Month(2026, 6), now=NOW)
    # red: 60, 240, 600 (A7, acknowledged by resolving), 720 s
    assert report.level("red").acknowledged == Timing(4, 420.0, 720.0)
    assert report.level("amber").acknowledged == Timing(1, 1800.0, 1800.0)
    assert report.level("amber").not_acknowledged == 1
    assert report.overall_acknowledged == Timing(5, 600.0, 1800.0)


def test_escalations_beyond_step_one_and_nobody_reachable_are_counted(
    session: Session, trust: Trust, june: None
) -> None:
    report = monthly_report(session, trust.id, Month(2026, 6), now=NOW)
    assert report.level("red").escalated_beyond_first_step == 1  # A2
    assert report.level("amber").escalated_beyond_first_step == 1  # A5
    assert (report.level("red").nobody_reachable, report.level("amber").nobody_reachable) == (0, 1)


def test_outcomes_are_counted_in_the_trusts_order_with_the_open_ones_apart(
    session: Session, trust: Trust, june: None
) -> None:
    report = monthly_report(session, trust.id, Month(2026, 6), now=NOW)
    assert [(o.key, o.count) for o in report.outcomes] == [
        ("advised_by_phone", 1),
        ("seen_same_day", 0),
        ("mri_arranged", 1),
        ("admitted", 1),
        ("mscc_confirmed", 1),
        ("spinal_mets_no_compression", 0),
        ("no_spinal_cause", 1),
        ("could_not_contact", 0),
    ]
    assert report.not_yet_resolved == 1  # A5


def test_time_from_reply_to_mri_where_recorded_and_within_nices_targets(
    session: Session, trust: Trust, june: None
) -> None:
    report = monthly_report(session, trust.id, Month(2026, 6), now=NOW)
    red, amber = report.level("red"), report.level("amber")
    assert red.mri == Timing(2, 25.0 * HOUR, 30.0 * HOUR)  # 20 h and 30 h after the reply
    assert red.mri_within_target == 1  # only the 20 h one is within 24 h
    assert amber.mri == Timing(1, 72.0 * HOUR, 72.0 * HOUR)
    assert amber.mri_within_target == 1  # 3 days is within a week


def test_review_items_without_a_due_time_are_not_recorded_rather_than_guessed(
    session: Session, trust: Trust, june: None
) -> None:
    reviews = monthly_report(session, trust.id, Month(2026, 6), now=NOW).reviews
    assert (reviews.items, reviews.met, reviews.missed, reviews.not_recorded) == (2, 0, 0, 2)


def test_a_deadline_is_met_missed_or_pending_by_its_due_time() -> None:
    due = at(6, 3, 9)
    assert deadline_status(due, due - timedelta(minutes=1), NOW) == "met"
    assert deadline_status(due, due, NOW) == "met"
    assert deadline_status(due, due + timedelta(seconds=1), NOW) == "missed"
    assert deadline_status(due, None, due - timedelta(hours=1)) == "pending"
    assert deadline_status(due, None, due + timedelta(hours=1)) == "missed"
    assert deadline_status(None, due, NOW) == "not_recorded"


def test_an_empty_month_has_counts_of_zero_and_no_times(session: Session, trust: Trust) -> None:
    report = monthly_report(session, trust.id, Month(2026, 2), now=NOW)
    assert report.alerts == 0 and report.overall_acknowledged == Timing(0, None, None)
    assert all(o.count == 0 for o in report.outcomes) and report.reviews.items == 0


def test_the_nearest_rank_percentile_and_month_arithmetic() -> None:
    assert nearest_rank([5.0, 1.0, 3.0, 2.0, 4.0, 6.0, 7.0, 8.0, 9.0, 10.0], 90) == 9.0
    assert nearest_rank([1.0], 90) == 1.0 and nearest_rank([], 90) is None
    assert parse_month("2026-12").following() == Month(2027, 1)
    assert Month(2026, 1).previous() == Month(2025, 12)
    assert month_of(at(6, 30, 23, 30), ZoneInfo("Europe/London")) == Month(2026, 7)


@pytest.mark.parametrize("text", ["2026-13", "2026-6", "june", "", "1999-01", "2026-06-01"])
def test_a_month_not_written_yyyy_mm_is_refused_with_what_is_wanted(text: str) -> None:
    with pytest.raises(ValueError, match="a month such as 2026-12"):
        parse_month(text)
