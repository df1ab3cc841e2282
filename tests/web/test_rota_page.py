"""The rota page (admins only): who is on each role, the gaps, and one-off cover added and
cancelled there, checked by field, stored in the trust's own local time, audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy import func, select

from pathway.escalation import escalate_due
from pathway.rota_gaps import warn_about_gaps
from schema.db import session_scope
from schema.models import AuditEvent, RotaOverride, StaffMember
from schema.types import utcnow
from tests.web.conftest import Staff, World, signed_in

ROLE = "on_call_consultant"


def staff_id(trust_id: int, key: str) -> int:
    with session_scope() as session:
        return int(
            session.scalars(
                select(StaffMember.id).where(
                    StaffMember.trust_id == trust_id, StaffMember.key == key
                )
            ).one()
        )


def covers(trust_id: int) -> list[RotaOverride]:
    with session_scope() as session:
        return list(
            session.scalars(
                select(RotaOverride)
                .where(RotaOverride.trust_id == trust_id)
                .order_by(RotaOverride.id)
            )
        )


def audits(action: str) -> list[tuple[str, dict[str, Any]]]:
    with session_scope() as session:
        rows = session.execute(
            select(AuditEvent.actor, AuditEvent.details).where(AuditEvent.action == action)
        ).all()
        return [(actor, dict(details)) for actor, details in rows]


def local_input(moment: datetime) -> str:
    """As a browser's datetime-local field posts it, in London time."""
    return moment.astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m-%dT%H:%M")


def form(world: World, **changes: str) -> dict[str, str]:
    start = (utcnow() - timedelta(hours=1)).replace(second=0, microsecond=0)
    values = {
        "role": ROLE,
        "starts_at": local_input(start),
        "ends_at": local_input(start + timedelta(hours=5)),
        "staff": str(staff_id(world.a.trust_id, "asha")),
        "instead_of": "",
        "reason": "Consultant at a conference",
    }
    return {**values, **changes}


def test_an_admin_sees_each_role_whos_on_now_its_shifts_and_its_cover(
    world: World, app: FastAPI
) -> None:
    page = signed_in(app, world.a.admin).get("/rota")
    assert page.status_code == 200
    html = page.text
    assert "On-call clinical oncologist" in html and "<code>role:on_call_consultant</code>" in html
    assert "<strong>On now:</strong> Duty clinical oncologist." in html
    assert "every day 09:00 to 09:00: duty_consultant" in html
    assert "Ben Carter" in html and "leave" in html  # the cover made for the test world
    assert f'action="/rota/overrides/{world.a.override_id}/cancel"' in html


def test_an_override_added_on_the_page_is_stored_in_utc_audited_and_puts_its_person_on_now(
    world: World, app: FastAPI
) -> None:
    admin = signed_in(app, world.a.admin)
    values = form(world)
    response = admin.post("/rota/overrides", values)
    assert (
        response.status_code == 303 and response.headers["location"] == "/rota?done=override_added"
    )
    cover = covers(world.a.trust_id)[-1]
    assert (cover.role, cover.staff_member_id, cover.instead_of_id) == (
        ROLE, int(values["staff"]), None,
    )  # fmt: skip
    assert local_input(cover.starts_at) == values["starts_at"]
    assert cover.ends_at - cover.starts_at == timedelta(hours=5)
    assert cover.starts_at.tzinfo == UTC
    ((actor, details),) = [a for a in audits("rota.override_added") if a[0].startswith("staff:")]
    assert actor == admin_actor(world) and details["role"] == ROLE
    page = admin.get("/rota?done=override_added").text
    assert "<strong>On now:</strong> Asha Okafor." in page
    assert "The override is on the rota" in page


def admin_actor(world: World) -> str:
    with session_scope() as session:
        admin = session.scalars(select(StaffMember).where(StaffMember.email == world.a.admin)).one()
        return f"staff:{admin.id}"


def test_a_swap_names_whom_it_replaces(world: World, app: FastAPI) -> None:
    admin = signed_in(app, world.a.admin)
    duty = str(staff_id(world.a.trust_id, "duty_consultant"))
    response = admin.post(
        "/rota/overrides", form(world, staff=staff_id_str(world, "ben"), instead_of=duty)
    )
    assert response.headers["location"] == "/rota?done=swap_added"
    assert covers(world.a.trust_id)[-1].instead_of_id == int(duty)
    assert "Ben Carter instead of Duty clinical oncologist" in admin.get("/rota").text


def staff_id_str(world: World, key: str) -> str:
    return str(staff_id(world.a.trust_id, key))


def test_bad_cover_is_refused_naming_each_field_and_nothing_is_stored(
    world: World, app: FastAPI
) -> None:
    admin = signed_in(app, world.a.admin)
    before = len(covers(world.a.trust_id))
    other_trusts_ben = str(staff_id(world.b.trust_id, "ben"))
    for changes, field, says in (
        ({"ends_at": form(world)["starts_at"]}, "ends_at", "the end must be after the start"),
        ({"starts_at": "tomorrow"}, "starts_at", "a date and a time"),
        ({"role": "night_porter"}, "role", "choose one of the trust&#39;s rotas"),
        ({"staff": other_trusts_ben}, "staff", "choose an active member of the trust&#39;s staff"),
        ({"instead_of": other_trusts_ben}, "instead_of", "choose someone else"),
        ({"instead_of": staff_id_str(world, "asha")}, "instead_of", "choose someone else"),
        (
            {"starts_at": "2020-01-01T09:00", "ends_at": "2020-01-02T09:00"},
            "ends_at",
            "this period is already over",
        ),
    ):
        response = admin.post("/rota/overrides", form(world, **changes))
        assert response.status_code == 422, changes
        assert f'id="{field}-error"' in response.text and says in response.text, changes
        assert "The cover was not added" in response.text
    assert len(covers(world.a.trust_id)) == before


def test_a_coordinator_cannot_see_the_rota_page_nor_add_or_cancel_cover(
    world: World, app: FastAPI
) -> None:
    coordinator = signed_in(app, world.a.coordinator)
    assert coordinator.get("/rota").status_code == 403
    assert coordinator.post("/rota/overrides", form(world)).status_code == 403
    assert coordinator.post(f"/rota/overrides/{world.a.override_id}/cancel").status_code == 403
    assert len(covers(world.a.trust_id)) == 1 and covers(world.a.trust_id)[0].cancelled_at is None


def test_a_form_without_the_sessions_csrf_token_is_refused_and_changes_nothing(
    world: World, app: FastAPI
) -> None:
    admin = signed_in(app, world.a.admin)
    for token in ("", "not-the-token"):
        data = {**form(world), "csrf_token": token}
        assert admin.client.post("/rota/overrides", data=data).status_code == 403
        cancel = admin.client.post(
            f"/rota/overrides/{world.a.override_id}/cancel", data={"csrf_token": token}
        )
        assert cancel.status_code == 403
    assert len(covers(world.a.trust_id)) == 1 and covers(world.a.trust_id)[0].cancelled_at is None


def test_an_admin_cancels_their_trusts_cover_but_another_trusts_is_not_found(
    world: World, app: FastAPI
) -> None:
    admin = signed_in(app, world.a.admin)
    assert admin.post(f"/rota/overrides/{world.b.override_id}/cancel").status_code == 404
    assert covers(world.b.trust_id)[0].cancelled_at is None
    response = admin.post(f"/rota/overrides/{world.a.override_id}/cancel")
    assert response.headers["location"] == "/rota?done=override_cancelled"
    assert covers(world.a.trust_id)[0].cancelled_by == admin_actor(world)
    assert admin.post(f"/rota/overrides/{world.a.override_id}/cancel").status_code == 303
    assert [a for a, _ in audits("rota.override_cancelled")] == [admin_actor(world)]
    assert f"/rota/overrides/{world.a.override_id}/cancel" not in admin.get("/rota").text


def test_rota_gaps_found_by_beat_are_on_everyones_alert_queue(world: World, app: FastAPI) -> None:
    now = utcnow()
    with session_scope() as session:
        duty = session.scalars(
            select(StaffMember).where(
                StaffMember.trust_id == world.a.trust_id, StaffMember.key == "duty_consultant"
            )
        ).one()
        duty.active = False  # the only person on the consultant rota has left
    with session_scope() as session:
        warn_about_gaps(session, now=now, days=3)
    coordinator = signed_in(app, world.a.coordinator).get("/").text
    assert (
        "Nobody on the rota" in coordinator
        and "Now:</strong> nobody on On-call clinical oncologist" in coordinator
    )
    assert "Tell the trust's rota administrator" in coordinator
    admin = signed_in(app, world.a.admin)
    assert '<a href="/rota">Arrange cover on the rota</a>' in admin.get("/").text
    assert "Gaps in the next 14 days" in admin.get("/rota").text
    other = Staff(app)
    assert other.sign_in(world.b.coordinator).status_code == 303
    assert "Nobody on the rota" not in other.get("/").text  # trust B's rota is covered
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(RotaOverride)) == 2


def test_an_alerts_story_tells_of_a_rota_step_that_reached_nobody_and_moved_on(
    world: World, app: FastAPI
) -> None:
    with session_scope() as session:
        duty = session.scalars(
            select(StaffMember).where(
                StaffMember.trust_id == world.a.trust_id, StaffMember.key == "duty_consultant"
            )
        ).one()
        duty.active = False
    later = utcnow() + timedelta(minutes=5, seconds=1)
    with session_scope() as session:
        escalate_due(session, later)  # step 2: Ben
    with session_scope() as session:
        escalate_due(session, later + timedelta(minutes=5))  # step 3: the consultant's rota
    staff = signed_in(app, world.a.coordinator)
    story = staff.get(f"/alerts/{world.a.alert_id}").text
    assert "Step 3 reached nobody: nobody on shift as on_call_consultant" in story
    assert "Moved on at once." in story
    timeline = staff.get(f"/patients/{world.a.patient_id}").text
    assert "Step 2 reached Ben Carter" in timeline
    assert (
        "Step 3 reached nobody: nobody on shift as on_call_consultant; moved on at once" in timeline
    )
