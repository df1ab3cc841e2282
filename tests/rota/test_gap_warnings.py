"""Admins warned of rota gaps by beat: days ahead, once per gap (never on every tick), and again
at once when a gap opens. Driven by rows in the database, on a simulated clock."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import audit
from pathway.rota_gaps import warn_about_gaps
from pathway.rota_overrides import add_override
from schema.db import session_scope
from schema.models import Channel, OutboundMessage, Queue, RotaGap, StaffMember
from schema.vocabulary import MessageKind
from tests.fakes.rota_trust import ADMIN_PHONE
from tests.rota.conftest import load, utc
from worker import tasks
from worker.app import get_app

NO_SUNDAY_DAYS = """rotas:
  on_duty_coordinator:
    name: On-duty MSCC coordinator
    shifts:
      - "mon-sat 08:00-20:00: asha"
      - "daily 20:00-08:00: ben"
  on_call_consultant:
    shifts:
      - "daily 09:00-09:00: duty_consultant"

"""
THURSDAY = utc("2026-12-03 12:00")
FIRST_SUNDAY = (utc("2026-12-06 08:00"), utc("2026-12-06 20:00"))
SECOND_SUNDAY = (utc("2026-12-13 08:00"), utc("2026-12-13 20:00"))


def tick(session: Session, now: datetime, days: int = 14) -> list[int]:
    urgent = warn_about_gaps(session, now=now, days=days)
    session.commit()
    return [c.message_id for c in urgent]


def warnings(session: Session) -> list[tuple[str, str, str]]:
    """(channel, queue, subject-ish context) of every rota-gap message so far."""
    rows = session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.kind == MessageKind.ROTA_GAP)
        .order_by(OutboundMessage.id)
    )
    return [(m.channel, m.queue, m.context["gap"]["starts"]) for m in rows]


def open_gaps(session: Session) -> list[tuple[datetime, datetime]]:
    rows = session.scalars(
        select(RotaGap).where(RotaGap.closed_at.is_(None)).order_by(RotaGap.starts_at)
    )
    return [(g.starts_at, g.ends_at) for g in rows]


def test_each_gap_ahead_is_warned_about_once_by_email_and_not_on_every_tick(
    session: Session,
) -> None:
    load(session, rotas=NO_SUNDAY_DAYS, now=THURSDAY)
    assert tick(session, THURSDAY) == []  # nothing open now: nothing urgent
    assert open_gaps(session) == [FIRST_SUNDAY, SECOND_SUNDAY]
    assert warnings(session) == [
        ("email", Queue.MESSAGES, "08:00 on Sun 6 Dec"),
        ("email", Queue.MESSAGES, "08:00 on Sun 13 Dec"),
    ]
    for minutes in range(1, 6):  # beat ticks on: the same gaps, no new warning
        tick(session, THURSDAY + timedelta(minutes=minutes))
    assert len(warnings(session)) == 2
    # A week later the first Sunday has passed (closed) and a third comes into view.
    tick(session, THURSDAY + timedelta(days=7))
    assert open_gaps(session) == [SECOND_SUNDAY, (utc("2026-12-20 08:00"), utc("2026-12-20 20:00"))]
    assert [w[2] for w in warnings(session)][2:] == ["08:00 on Sun 20 Dec"]


def test_a_gap_that_opens_warns_the_admins_at_once_by_email_and_sms_on_the_alerts_queue(
    session: Session,
) -> None:
    load(session, rotas=NO_SUNDAY_DAYS, now=THURSDAY)
    tick(session, THURSDAY, days=7)
    urgent = tick(session, FIRST_SUNDAY[0], days=3)
    opened = warnings(session)[1:]
    assert opened == [
        ("email", Queue.ALERTS, "08:00 on Sun 6 Dec"),
        ("sms", Queue.ALERTS, "08:00 on Sun 6 Dec"),
    ]
    assert len(urgent) == 2  # published at once by the beat task, not left for the dispatcher
    sms = session.scalars(
        select(OutboundMessage).where(OutboundMessage.channel == Channel.SMS)
    ).one()
    assert sms.to_address == ADMIN_PHONE and sms.context["gap"]["open_now"] is True
    assert tick(session, FIRST_SUNDAY[0] + timedelta(minutes=1), days=3) == []
    assert len(warnings(session)) == 3


def test_a_gap_first_seen_when_it_is_already_open_is_warned_about_once_urgently(
    session: Session,
) -> None:
    load(session, rotas=NO_SUNDAY_DAYS, now=THURSDAY)
    tick(session, FIRST_SUNDAY[0] + timedelta(hours=1), days=1)
    assert [(channel, queue) for channel, queue, _ in warnings(session)] == [
        ("email", Queue.ALERTS),
        ("sms", Queue.ALERTS),
    ]


def test_cover_closes_a_gap_and_splitting_one_warns_nobody_again(session: Session) -> None:
    trust = load(session, rotas=NO_SUNDAY_DAYS, now=THURSDAY)
    tick(session, THURSDAY, days=7)
    ben = session.scalars(select(StaffMember).where(StaffMember.key == "ben")).one()
    add_override(
        session, trust, role="on_duty_coordinator", starts_at=utc("2026-12-06 12:00"),
        ends_at=utc("2026-12-06 14:00"), staff=ben, instead_of=None, reason=None,
        actor=audit.CLI, now=THURSDAY,
    )  # fmt: skip
    tick(session, THURSDAY + timedelta(minutes=1), days=7)
    assert open_gaps(session) == [
        (FIRST_SUNDAY[0], utc("2026-12-06 12:00")),
        (utc("2026-12-06 14:00"), FIRST_SUNDAY[1]),
    ]
    assert len(warnings(session)) == 1  # still the one warning about that Sunday
    add_override(
        session, trust, role="on_duty_coordinator", starts_at=FIRST_SUNDAY[0],
        ends_at=FIRST_SUNDAY[1], staff=ben, instead_of=None, reason=None,
        actor=audit.CLI, now=THURSDAY,
    )  # fmt: skip
    tick(session, THURSDAY + timedelta(minutes=2), days=7)
    assert open_gaps(session) == []
    closed = session.scalars(select(RotaGap.closed_at)).all()
    assert closed and all(at is not None for at in closed)


def test_staff_who_leave_make_a_gap_of_their_shifts(session: Session) -> None:
    load(session, now=THURSDAY)  # a rota with no gap
    assert tick(session, THURSDAY) == [] and warnings(session) == []
    ben = session.scalars(select(StaffMember).where(StaffMember.key == "ben")).one()
    ben.active = False
    session.commit()
    urgent = tick(session, utc("2026-12-03 21:00"), days=1)
    assert open_gaps(session)[0] == (utc("2026-12-03 21:00"), utc("2026-12-04 08:00"))
    assert len(urgent) == 2
    gap = session.scalars(select(OutboundMessage)).first()
    assert gap is not None and gap.context["gap"]["unreachable"] == ["Ben Carter"]


def test_the_beat_task_warns_from_the_database_once_however_often_it_runs(
    sqlite_url: str,
) -> None:
    get_app()  # as a worker would have: the task publishes what is urgent through it
    with session_scope() as session:
        load(session, rotas=NO_SUNDAY_DAYS, now=THURSDAY)
    assert tasks.BEAT_SCHEDULE["check-rota-gaps"]["task"] == tasks.CHECK_ROTA_GAPS
    tasks.check_rota_gaps()
    with session_scope() as session:
        first = len(warnings(session))
    tasks.check_rota_gaps()
    with session_scope() as session:
        assert len(warnings(session)) == first > 0


def test_a_trust_with_no_admin_to_tell_warns_its_coordinators_instead(session: Session) -> None:
    load(session, rotas=NO_SUNDAY_DAYS, now=THURSDAY)
    admin = session.scalars(select(StaffMember).where(StaffMember.key == "admin")).one()
    admin.active = False
    session.commit()
    tick(session, THURSDAY, days=7)
    told = session.scalars(
        select(StaffMember.key)
        .join(OutboundMessage, OutboundMessage.staff_member_id == StaffMember.id)
        .where(OutboundMessage.kind == MessageKind.ROTA_GAP)
    ).all()
    assert sorted(told) == ["asha", "ben"]
