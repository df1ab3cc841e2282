"""Escalation steps that name a role: resolved to a person when the step fires (never when the
alert was raised), recorded on the alert's chain, and moving on at once when they reach nobody.
On a simulated clock: every call is given its `now`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from pathway import audit
from pathway.escalation import escalate_due
from pathway.rota_overrides import add_override
from schema.models import Alert, StaffMember
from tests.rota.conftest import audited, load, patient_of, raise_red, reached, utc

COORDINATOR_SECOND = """escalation:
  red:
    steps:
      - notify: [asha]
        minutes: 5
      - notify: [role:on_duty_coordinator]
        minutes: 5
      - notify: [role:on_call_consultant]
        minutes: 10
    repeat_every_minutes: 10
  amber:
    steps:
      - notify: [asha]
        minutes: 60
    repeat_every_minutes: 240

"""

NOBODY_07_TO_08 = """rotas:
  on_duty_coordinator:
    shifts:
      - "daily 08:00-20:00: asha"
      - "daily 20:00-07:00: ben"
  on_call_consultant:
    shifts:
      - "daily 09:00-09:00: duty_consultant"

"""

NOBODY_AT_ALL = """rotas:
  on_duty_coordinator:
    shifts: []
  on_call_consultant:
    shifts: []

"""


def member(session: Session, key: str) -> StaffMember:
    found = session.query(StaffMember).filter(StaffMember.key == key).one()
    return found


def test_a_role_step_goes_to_whoever_is_on_shift_when_it_fires(session: Session) -> None:
    raised = utc("2026-12-03 19:57")  # winter: UTC is London time; Asha hands over to Ben at 20:00
    trust = load(session, escalation=COORDINATOR_SECOND, now=raised)
    alert = raise_red(session, trust, patient_of(session, trust, raised), raised)
    escalate_due(session, raised + timedelta(minutes=5, seconds=1))
    session.commit()
    assert [
        (k, step) for k, channel, step, _ in reached(session, alert.id) if channel == "sms"
    ] == [
        ("asha", 0),
        ("ben", 1),  # on shift at 20:02, when the step fired, although Asha was at 19:57
    ]
    story = session.get(Alert, alert.id)
    assert story is not None
    assert [(r["step"], r["staff"], r["roles"], r["nobody"]) for r in story.chain["reached"]] == [
        (0, ["asha"], {}, None),
        (1, ["ben"], {"on_duty_coordinator": ["ben"]}, None),
    ]


def test_cover_added_after_the_alert_was_raised_counts_when_the_step_fires(
    session: Session,
) -> None:
    raised = utc("2026-12-03 12:00")
    trust = load(session, escalation=COORDINATOR_SECOND, now=raised)
    alert = raise_red(session, trust, patient_of(session, trust, raised), raised)
    add_override(
        session,
        trust,
        role="on_duty_coordinator",
        starts_at=raised + timedelta(minutes=1),
        ends_at=raised + timedelta(hours=2),
        staff=member(session, "ben"),
        instead_of=None,
        reason="Asha in clinic",
        actor=audit.CLI,
        now=raised + timedelta(minutes=1),
    )
    escalate_due(session, raised + timedelta(minutes=5, seconds=1))
    session.commit()
    assert ("ben", "sms", 1, 0) in reached(session, alert.id)
    assert ("asha", "sms", 1, 0) not in reached(session, alert.id)


def test_the_night_shift_across_the_spring_clock_change_hands_over_at_eight_on_the_wall_clock(
    session: Session,
) -> None:
    twice = COORDINATOR_SECOND.replace(
        "notify: [asha]\n        minutes: 5",
        "notify: [role:on_duty_coordinator]\n        minutes: 5",
        1,
    )
    raised = utc("2026-03-29 06:57")  # 07:57 BST: Ben's night, which began at 20:00 GMT
    trust = load(session, escalation=twice, now=raised)
    alert = raise_red(session, trust, patient_of(session, trust, raised), raised)
    escalate_due(session, raised + timedelta(minutes=5, seconds=1))  # 08:02 BST
    session.commit()
    sms = [(k, step) for k, channel, step, _ in reached(session, alert.id) if channel == "sms"]
    assert sms == [("ben", 0), ("asha", 1)]


def test_a_step_with_nobody_on_shift_moves_on_at_once_and_is_recorded(session: Session) -> None:
    raised = utc("2026-12-03 07:30")  # nobody is coordinator from 07:00 to 08:00
    trust = load(session, rotas=NOBODY_07_TO_08, now=raised)
    alert = raise_red(session, trust, patient_of(session, trust, raised), raised)
    assert reached(session, alert.id) == [
        ("duty_consultant", "sms", 1, 0),
        ("duty_consultant", "email", 1, 0),
        ("duty_consultant", "voice", 1, 0),  # the second step phones
    ]
    stored = session.get(Alert, alert.id)
    assert stored is not None
    assert stored.current_step == 1
    assert stored.next_escalation_at == raised + timedelta(minutes=10)  # the second step's wait
    assert stored.nobody_reachable_at is None  # the chain reached someone
    assert stored.chain["reached"][0]["nobody"] == "nobody on shift as on_duty_coordinator"
    assert audited(session, "alert.step_reached_nobody") == [
        {
            "step": 0,
            "round": 0,
            "why": "nobody on shift as on_duty_coordinator",
            "roles": {"on_duty_coordinator": []},
        }
    ]
    assert [e["why"] for e in audited(session, "alert.escalated")] == ["reached nobody"]


def test_someone_on_shift_who_has_left_is_nobody_and_the_step_moves_on(session: Session) -> None:
    raised = utc("2026-12-03 12:00")
    trust = load(session, now=raised)
    member(session, "asha").active = False
    session.commit()
    alert = raise_red(session, trust, patient_of(session, trust, raised), raised)
    assert {(k, step) for k, _, step, _ in reached(session, alert.id)} == {("duty_consultant", 1)}
    assert audited(session, "alert.step_reached_nobody")[0]["roles"] == {"on_duty_coordinator": []}


def test_when_the_whole_chain_reaches_nobody_it_says_so_and_tries_again_at_the_repeat_interval(
    session: Session,
) -> None:
    raised = utc("2026-12-03 12:00")
    trust = load(session, rotas=NOBODY_AT_ALL, now=raised)
    alert = raise_red(session, trust, patient_of(session, trust, raised), raised)
    stored = session.get(Alert, alert.id)
    assert stored is not None
    assert reached(session, alert.id) == []
    assert stored.nobody_reachable_at == raised
    assert (stored.current_step, stored.round) == (2, 1)  # past the last step, round 1
    assert stored.next_escalation_at == raised + timedelta(minutes=10)  # the repeat interval
    assert [r["nobody"] for r in stored.chain["reached"]] == [
        "nobody on shift as on_duty_coordinator",
        "nobody on shift as on_call_consultant",
        "nobody on shift as on_duty_coordinator, on_call_consultant",
    ]
    # Cover arrives: the next repeat reaches it.
    add_override(
        session,
        trust,
        role="on_call_consultant",
        starts_at=raised + timedelta(minutes=3),
        ends_at=raised + timedelta(hours=4),
        staff=member(session, "duty_consultant"),
        instead_of=None,
        reason=None,
        actor=audit.CLI,
        now=raised + timedelta(minutes=3),
    )
    escalate_due(session, raised + timedelta(minutes=10, seconds=1))
    session.commit()
    assert ("duty_consultant", "sms", 2, 2) in reached(session, alert.id)
