import time
from datetime import timedelta

import pytest
from fastapi import FastAPI
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from schema.db import session_scope
from schema.models import AuditEvent, StaffMember
from schema.settings import reset_settings_cache
from schema.types import utcnow
from tests.web.conftest import PASSWORD, Staff, World, csrf_of, signed_in
from web.auth import passwords
from web.auth.passwords import production_hasher
from web.auth.signin import SignInPolicy
from web.sessions import COOKIE


def member(email: str) -> StaffMember:
    with session_scope() as session:
        found = session.scalars(select(StaffMember).where(StaffMember.email == email)).one()
        session.expunge(found)
        return found


def events(action: str) -> list[AuditEvent]:
    with session_scope() as session:
        found = list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        session.expunge_all()
        return found


def refusal_text(html: str) -> str:
    """The page without what legitimately differs between two refusals."""
    return html.replace(csrf_of_text(html), "").split('name="email"')[0]


def csrf_of_text(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_a_coordinator_signs_in_and_lands_on_the_alert_queue(world: World, app: FastAPI) -> None:
    staff = Staff(app)
    assert staff.get("/").status_code == 303
    response = staff.sign_in(world.a.coordinator)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    page = staff.get("/")
    assert page.status_code == 200
    assert "Open alerts" in page.text and "Asha Okafor" in page.text
    assert member(world.a.coordinator).last_sign_in_at is not None


def test_sign_in_returns_to_the_page_asked_for_but_never_off_the_site(
    world: World, app: FastAPI
) -> None:
    staff = Staff(app)
    asked = staff.get(f"/patients/{world.a.patient_id}")
    assert asked.headers["location"] == f"/sign-in?next=/patients/{world.a.patient_id}"
    for target, landing in [
        (f"/patients/{world.a.patient_id}", f"/patients/{world.a.patient_id}"),
        ("//evil.example/phish", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("/patients?q=ann", "/patients?q=ann"),
    ]:
        form = staff.client.get("/sign-in", params={"next": target})
        response = staff.client.post(
            "/sign-in",
            data={
                "email": world.a.coordinator,
                "password": PASSWORD,
                "csrf_token": csrf_of(form),
                "next": target,
            },
        )
        assert response.headers["location"] == landing
        staff = Staff(app)


def test_the_session_cookie_is_signed_http_only_and_same_site_lax(
    world: World, app: FastAPI
) -> None:
    response = Staff(app).sign_in(world.a.coordinator)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # the default PUBLIC_BASE_URL is http://127.0.0.1
    assert PASSWORD not in cookie and world.a.coordinator not in cookie


def test_the_session_cookie_is_secure_when_the_service_is_public_over_https(
    world: World, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://safetynet.example.nhs.uk")
    reset_settings_cache()
    response = Staff(app).sign_in(world.a.coordinator)
    assert "Secure" in response.headers["set-cookie"]


def test_a_tampered_or_foreign_session_cookie_is_not_accepted(world: World, app: FastAPI) -> None:
    staff = signed_in(app, world.a.coordinator)
    value = staff.client.cookies[COOKIE]
    forged = Staff(app)
    # A character well inside the signature: the last one carries padding bits that may not count.
    flipped = "A" if value[-5] != "A" else "B"
    forged.client.cookies.set(COOKIE, value[:-5] + flipped + value[-4:])
    assert forged.get("/").status_code == 303

    other_key = URLSafeTimedSerializer("not the service's key", salt="safetynet.session.v1")
    minted = other_key.dumps({"csrf": "x", "staff_id": 1, "epoch": 0})
    forged.client.cookies.set(COOKIE, minted)
    assert forged.get("/").status_code == 303


def test_a_wrong_password_and_an_unknown_email_get_the_same_refusal(
    world: World, app: FastAPI
) -> None:
    wrong = Staff(app).sign_in(world.a.coordinator, "not the password at all")
    unknown = Staff(app).sign_in("nobody@riverside.example.nhs.uk", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert refusal_text(wrong.text) == refusal_text(unknown.text)
    assert COOKIE in wrong.headers["set-cookie"]  # a new form, not a session
    assert Staff(app).get("/").status_code == 303


def test_every_refusal_waits_the_same_before_answering(world: World, app: FastAPI) -> None:
    app.state.sign_in_policy = SignInPolicy(failure_delay_seconds=0.3)
    for email in (world.a.coordinator, "nobody@riverside.example.nhs.uk"):
        started = time.monotonic()
        assert Staff(app).sign_in(email, "not the password at all").status_code == 401
        assert time.monotonic() - started >= 0.3


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes_even_against_the_right_one(
    world: World, app: FastAPI
) -> None:
    staff = Staff(app)
    for attempt in range(1, 5):
        assert (
            staff.sign_in(world.a.coordinator, f"wrong guess number {attempt}").status_code == 401
        )
        assert member(world.a.coordinator).failed_sign_ins == attempt
    before = utcnow()
    assert staff.sign_in(world.a.coordinator, "wrong guess number 5").status_code == 401
    locked = member(world.a.coordinator).locked_until
    assert locked is not None
    assert timedelta(minutes=14) < locked - before <= timedelta(minutes=15, seconds=5)
    refused = staff.sign_in(world.a.coordinator, PASSWORD)
    assert refused.status_code == 401
    assert "did not match" in refused.text  # the same words as a wrong password: nothing revealed
    assert len(events("staff.locked_out")) == 1
    assert events("staff.sign_in_refused")[0].details["reason"] == "locked"


def test_the_right_password_works_again_once_the_lock_has_expired(
    world: World, app: FastAPI
) -> None:
    with session_scope() as session:
        found = session.scalars(
            select(StaffMember).where(StaffMember.email == world.a.coordinator)
        ).one()
        found.locked_until = utcnow() - timedelta(seconds=1)
        found.failed_sign_ins = 3
    assert Staff(app).sign_in(world.a.coordinator).status_code == 303
    assert member(world.a.coordinator).failed_sign_ins == 0
    assert member(world.a.coordinator).locked_until is None


def test_a_success_resets_the_count_of_failures(world: World, app: FastAPI) -> None:
    staff = Staff(app)
    for _ in range(4):
        staff.sign_in(world.a.coordinator, "not the password at all")
    assert staff.sign_in(world.a.coordinator).status_code == 303
    for _ in range(4):
        Staff(app).sign_in(world.a.coordinator, "not the password at all")
    assert member(world.a.coordinator).locked_until is None


def test_escalation_only_and_inactive_staff_cannot_sign_in(world: World, app: FastAPI) -> None:
    assert Staff(app).sign_in(world.a.escalation).status_code == 401
    with session_scope() as session:
        found = session.scalars(select(StaffMember).where(StaffMember.email == world.a.admin)).one()
        found.active = False
    assert Staff(app).sign_in(world.a.admin).status_code == 401
    reasons = [e.details["reason"] for e in events("staff.sign_in_refused")]
    assert reasons == ["role escalation has no dashboard", "inactive"]


def test_a_deactivated_member_loses_the_session_they_already_have(
    world: World, app: FastAPI
) -> None:
    staff = signed_in(app, world.a.coordinator)
    with session_scope() as session:
        found = session.scalars(
            select(StaffMember).where(StaffMember.email == world.a.coordinator)
        ).one()
        found.active = False
    assert staff.get("/").status_code == 303


def test_sign_ins_failures_and_lockouts_are_audited_without_secrets(
    world: World, app: FastAPI
) -> None:
    signed_in(app, world.a.coordinator)
    for _ in range(5):
        Staff(app).sign_in(world.a.admin, "a wrong password here")
    Staff(app).sign_in("nobody@riverside.example.nhs.uk", "another wrong password")
    with session_scope() as session:
        trail = list(
            session.scalars(select(AuditEvent).where(AuditEvent.action.startswith("staff.")))
        )
        text = " ".join(f"{e.actor} {e.action} {e.details}" for e in trail)
        actions = [e.action for e in trail]
    assert actions.count("staff.signed_in") == 1
    assert actions.count("staff.sign_in_failed") == 6
    assert actions.count("staff.locked_out") == 1
    for secret in (PASSWORD, "a wrong password", "another wrong", "nobody@", "+4477", "07700"):
        assert secret not in text


def test_a_hash_with_old_parameters_is_upgraded_at_the_next_sign_in(
    world: World, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = member(world.a.coordinator).password_hash
    monkeypatch.setattr(passwords, "_hasher", production_hasher())
    assert Staff(app).sign_in(world.a.coordinator).status_code == 303
    new = member(world.a.coordinator).password_hash
    assert new != old and new is not None and "m=65536,t=3,p=4" in new


def test_signing_out_ends_the_session_even_for_a_copy_of_the_cookie(
    world: World, app: FastAPI
) -> None:
    staff = signed_in(app, world.a.coordinator)
    copy = Staff(app)
    copy.client.cookies.set(COOKIE, staff.client.cookies[COOKIE])
    assert copy.get("/").status_code == 200
    response = staff.post("/sign-out")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?signed_out=1"
    assert staff.get("/").status_code == 303
    assert copy.get("/").status_code == 303
    assert len(events("staff.signed_out")) == 1


def test_the_sign_in_form_refuses_a_post_without_its_own_csrf_token(
    world: World, app: FastAPI
) -> None:
    staff = Staff(app)
    staff.get("/sign-in")
    response = staff.client.post(
        "/sign-in", data={"email": world.a.coordinator, "password": PASSWORD}
    )
    assert response.status_code == 403
    assert "expired" in response.text
    stranger = Staff(app)
    token = csrf_of(Staff(app).get("/sign-in"))  # a token from someone else's form
    response = stranger.client.post(
        "/sign-in",
        data={"email": world.a.coordinator, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 403
    assert member(world.a.coordinator).last_sign_in_at is None


def test_signing_in_gives_a_fresh_csrf_token(world: World, app: FastAPI) -> None:
    staff = Staff(app)
    before = csrf_of(staff.get("/sign-in"))
    staff.client.post(
        "/sign-in", data={"email": world.a.coordinator, "password": PASSWORD, "csrf_token": before}
    )
    assert staff.csrf() != before


def test_an_email_signs_in_whatever_its_case(world: World, app: FastAPI) -> None:
    assert Staff(app).sign_in(world.a.coordinator.upper()).status_code == 303


def test_signed_in_staff_asking_for_the_form_go_straight_to_the_queue(
    world: World, app: FastAPI
) -> None:
    staff = signed_in(app, world.a.coordinator)
    assert staff.get("/sign-in").headers["location"] == "/"


def test_no_sign_in_reveals_the_count_of_failures_so_far(world: World, app: FastAPI) -> None:
    first = Staff(app).sign_in(world.a.coordinator, "not the password at all")
    fourth = None
    for _ in range(3):
        fourth = Staff(app).sign_in(world.a.coordinator, "not the password at all")
    assert fourth is not None
    assert refusal_text(first.text) == refusal_text(fourth.text)
