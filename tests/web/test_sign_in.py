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
from tests.web.conftest import PASSWORD, Staff, World, csrf_of, run_async, signed_in
from web.auth import passwords
from web.auth.passwords import production_hasher
from web.auth.signin import SignInPolicy
from web.auth.throttle import ACCOUNT_TIERS, CLIENT_TIERS, account_key
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


def test_fifty_wrong_sign_ins_from_a_stranger_never_keep_the_coordinator_out(
    world: World, app: FastAPI
) -> None:
    stranger = Staff(app, client=("203.0.113.9", 40000))
    statuses = [
        stranger.sign_in(world.a.coordinator, f"wrong guess number {n}").status_code
        for n in range(50)
    ]
    assert statuses[:5] == [401] * 5  # then the stranger waits, and nothing is checked
    assert set(statuses[5:]) == {429}
    coordinator = Staff(app, client=("198.51.100.7", 50000))
    started = time.monotonic()
    assert coordinator.sign_in(world.a.coordinator).status_code == 303
    assert time.monotonic() - started < 2
    assert member(world.a.coordinator).locked_until is None
    assert events("staff.locked_out") == []


def test_wrong_passwords_from_one_client_make_it_wait_longer_and_longer_without_hashing(
    world: World, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[str] = []
    verify = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password", lambda h, p: hashed.append(p) or verify(h, p))
    guesser = Staff(app, client=("203.0.113.9", 40000))
    for n in range(5):
        assert guesser.sign_in(world.a.coordinator, f"wrong guess {n}").status_code == 401
    waited = guesser.sign_in(world.a.coordinator, PASSWORD)  # even the right one waits
    assert waited.status_code == 429
    assert 1 <= int(waited.headers["retry-after"]) <= 60
    assert "Too many sign-in attempts" in waited.text and "1 minute" in waited.text
    assert len(hashed) == 5  # the refused attempt cost no Argon2 at all
    assert member(world.a.coordinator).last_sign_in_at is None
    assert events("staff.sign_in_throttled")[0].details["reason"] == "account_from_client"
    # Later windows are longer: the tenth failure in 15 minutes means a wait of up to 15.
    throttle = app.state.sign_in_throttle
    account = account_key(world.a.coordinator)
    for _ in range(5):
        run_async(throttle.failed("203.0.113.9", account, trusted=False))
    verdict = run_async(throttle.check("203.0.113.9", account, trusted=False))
    assert 60 < verdict.wait_seconds <= 15 * 60


def test_a_throttled_refusal_is_the_same_for_an_unknown_email_as_for_a_real_one(
    world: World, app: FastAPI
) -> None:
    pages = []
    for n, email in enumerate((world.a.coordinator, "nobody@riverside.example.nhs.uk")):
        guesser = Staff(app, client=(f"203.0.113.{n + 1}", 40000))
        for _ in range(5):
            guesser.sign_in(email, "not the password at all")
        pages.append(guesser.sign_in(email, "not the password at all"))
    assert [p.status_code for p in pages] == [429, 429]
    assert refusal_text(pages[0].text) == refusal_text(pages[1].text)


def test_a_browser_that_signed_in_before_is_not_held_back_by_an_attack_on_its_account(
    world: World, app: FastAPI
) -> None:
    own = Staff(app, client=("198.51.100.7", 50000))
    assert own.sign_in(world.a.coordinator).status_code == 303
    account = account_key(world.a.coordinator)
    # Many addresses guessing at the account fill its count for unknown browsers.
    for n in range(ACCOUNT_TIERS[0].amount):
        run_async(
            app.state.sign_in_throttle.failed(f"10.9.{n // 250}.{n % 250}", account, trusted=False)
        )
    # And someone on the coordinator's own network (one address for the whole hospital)
    # fills that address's count too.
    for n in range(CLIENT_TIERS[0].amount):
        run_async(
            app.state.sign_in_throttle.failed(
                "198.51.100.7", account_key(f"guess{n}@x.example"), trusted=False
            )
        )
    fresh = Staff(app, client=("192.0.2.44", 50000))
    assert fresh.sign_in(world.a.coordinator).status_code == 429
    neighbour = Staff(app, client=("198.51.100.7", 50001))
    assert neighbour.sign_in(world.a.admin).status_code == 429
    assert "safetynet_device" in own.client.cookies
    assert own.post("/sign-out").status_code == 303
    assert own.sign_in(world.a.coordinator).status_code == 303  # known by its device cookie


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
        assert Staff(app).sign_in(world.a.coordinator, "not the password").status_code == 401
    assert Staff(app).sign_in(world.a.coordinator).status_code == 303


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


def test_sign_ins_failures_and_throttling_are_audited_without_secrets(
    world: World, app: FastAPI
) -> None:
    signed_in(app, world.a.coordinator)
    for _ in range(6):
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
    assert actions.count("staff.sign_in_throttled") == 1
    assert actions.count("staff.locked_out") == 0
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
