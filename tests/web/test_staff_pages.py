"""Staff in the browser (issue 18, item 6): admins add, change the role of, deactivate and
reactivate staff and send one-time set-password links; everyone changes their own password."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import select

from pathway.password_links import link_token
from schema.db import session_scope
from schema.models import AuditEvent, OutboundMessage, PasswordLink, StaffMember
from schema.settings import get_settings
from schema.types import utcnow
from tests.web.conftest import PASSWORD, Staff, World, signed_in
from worker.account_links import REDACTED
from worker.providers.outbox import outbox_directory, read_outbox
from worker.sending import send_message

NIA = "nia.jones@riverside.example.nhs.uk"
NEW_PASSWORD = "a brand new passphrase"


def member(email: str) -> StaffMember:
    with session_scope() as session:
        found = session.scalars(select(StaffMember).where(StaffMember.email == email)).one()
        session.expunge(found)
        return found


def actions(subject_id: int) -> list[str]:
    with session_scope() as session:
        return list(
            session.scalars(
                select(AuditEvent.action)
                .where(
                    AuditEvent.subject_type == "staff_member", AuditEvent.subject_id == subject_id
                )
                .order_by(AuditEvent.id)
            )
        )


def links_of(staff_id: int) -> list[PasswordLink]:
    with session_scope() as session:
        found = list(
            session.scalars(
                select(PasswordLink)
                .where(PasswordLink.staff_member_id == staff_id)
                .order_by(PasswordLink.id)
            )
        )
        session.expunge_all()
        return found


def token_of(link: PasswordLink) -> str:
    """What the worker puts in the message (worker/account_links.py)."""
    return link_token(get_settings().resolved_secret_key, link.id, link.nonce)


def add_nia(admin: Staff) -> StaffMember:
    added = admin.post(
        "/staff",
        {"name": "Nia Jones", "email": NIA, "phone": "07700 900120", "role": "coordinator"},
    )
    assert added.status_code == 303, added.text
    return member(NIA)


def test_an_admin_adds_a_coordinator_who_gets_a_link_by_sms_and_email_and_sets_a_password(
    world: World, app: FastAPI
) -> None:
    admin = signed_in(app, world.a.admin)
    nia = add_nia(admin)
    assert nia.role == "coordinator" and nia.password_hash is None and not nia.from_config
    assert actions(nia.id) == ["staff.added", "staff.password_link_sent"]
    (link,) = links_of(nia.id)
    token = token_of(link)
    assert link.token_hash != token and len(link.token_hash) == 64
    with session_scope() as session:
        messages = session.scalars(
            select(OutboundMessage).where(OutboundMessage.staff_member_id == nia.id)
        ).all()
        assert sorted(m.channel for m in messages) == ["email", "sms"]
        assert {m.kind for m in messages} == {"account"}
        assert token.split(".")[1] not in json.dumps([m.context for m in messages])
        ids = [m.id for m in messages]
    for message_id in ids:
        assert send_message(message_id) == "sent"
    (sms,) = [r for r in read_outbox(outbox_directory(get_settings().data_dir.resolve()), "sms")
              if r["to"] == "+447700900120"]  # fmt: skip
    assert f"/set-password/{token}" in sms["body"]
    with session_scope() as session:
        kept = session.scalars(select(OutboundMessage.body).where(OutboundMessage.id.in_(ids)))
        assert all(REDACTED in body and token not in body for body in kept)

    visitor = Staff(app)
    form = visitor.get(f"/set-password/{token}")
    assert form.status_code == 200 and "Nia Jones" in form.text
    short = visitor.client.post(
        f"/set-password/{token}", data={"password": "short", "confirm": "short"}
    )
    assert short.status_code == 422 and "at least 12 characters" in short.text
    differs = visitor.client.post(
        f"/set-password/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"}
    )
    assert differs.status_code == 422 and "not the same" in differs.text
    assert member(NIA).password_hash is None
    done = visitor.client.post(
        f"/set-password/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert done.status_code == 303 and done.headers["location"] == "/sign-in?password_set=1"
    assert Staff(app).sign_in(NIA, NEW_PASSWORD).status_code == 303
    again = visitor.client.post(
        f"/set-password/{token}",
        data={"password": "another passphrase!", "confirm": "another passphrase!"},
    )
    assert again.status_code == 410 and "has been used" in again.text
    assert actions(nia.id)[2:4] == ["staff.password_set", "staff.password_link_used"]


def test_a_forged_an_expired_and_a_replaced_link_do_not_work(world: World, app: FastAPI) -> None:
    admin = signed_in(app, world.a.admin)
    nia = add_nia(admin)
    (first,) = links_of(nia.id)
    visitor = Staff(app)
    forged = f"{first.id}.{'0' * 64}"
    assert visitor.get(f"/set-password/{forged}").status_code == 410
    assert visitor.get("/set-password/not-a-token").status_code == 410
    assert admin.post(f"/staff/{nia.id}/password-link").status_code == 303
    older, newer = links_of(nia.id)
    replaced = visitor.get(f"/set-password/{token_of(older)}")
    assert replaced.status_code == 410 and "newer link replaced" in replaced.text
    with session_scope() as session:
        row = session.get(PasswordLink, newer.id)
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
    expired = visitor.client.post(
        f"/set-password/{token_of(newer)}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert expired.status_code == 410 and "expired" in expired.text
    assert member(NIA).password_hash is None


def test_an_admin_changes_a_role_deactivates_and_reactivates_and_each_is_audited(
    world: World, app: FastAPI
) -> None:
    admin = signed_in(app, world.a.admin)
    nia = add_nia(admin)
    assert admin.post(f"/staff/{nia.id}/role", {"role": "admin"}).status_code == 303
    assert member(NIA).role == "admin"
    assert admin.post(f"/staff/{nia.id}/deactivate").status_code == 303
    assert not member(NIA).active
    assert all(link.revoked_at or link.used_at for link in links_of(nia.id))
    assert admin.post(f"/staff/{nia.id}/reactivate").status_code == 303
    assert member(NIA).active
    assert actions(nia.id)[2:] == ["staff.role_changed", "staff.deactivated", "staff.reactivated"]
    wrong = admin.post(f"/staff/{nia.id}/role", {"role": "escalation"})
    assert wrong.status_code == 409 and "choose coordinator or admin" in wrong.text


def test_staff_from_the_configuration_file_and_oneself_keep_their_role(
    world: World, app: FastAPI
) -> None:
    admin = signed_in(app, world.a.admin)
    asha = member(world.a.coordinator)
    refused = admin.post(f"/staff/{asha.id}/deactivate")
    assert refused.status_code == 409 and "configuration file" in refused.text
    assert member(world.a.coordinator).active
    me = member(world.a.admin)
    assert admin.post(f"/staff/{me.id}/role", {"role": "coordinator"}).status_code == 409
    assert member(world.a.admin).role == "admin"
    # A link for a configured coordinator is allowed: that is how they first sign in.
    assert admin.post(f"/staff/{asha.id}/password-link").status_code == 303


def test_staff_pages_are_for_admins_and_never_reach_another_trusts_staff(
    world: World, app: FastAPI
) -> None:
    coordinator = signed_in(app, world.a.coordinator)
    assert coordinator.get("/staff").status_code == 403
    assert coordinator.post("/staff", {"name": "X", "email": NIA}).status_code == 403
    admin = signed_in(app, world.a.admin)
    page = admin.get("/staff")
    assert page.status_code == 200 and "Ben Carter" in page.text
    assert "hillside.example" not in page.text
    other = member(world.b.coordinator)
    assert admin.post(f"/staff/{other.id}/password-link").status_code == 404
    assert not links_of(other.id)


def test_adding_staff_with_a_bad_email_or_phone_says_which_and_adds_nobody(
    world: World, app: FastAPI
) -> None:
    admin = signed_in(app, world.a.admin)
    bad = admin.post("/staff", {"name": "Nia Jones", "email": "nia@", "role": "coordinator"})
    assert bad.status_code == 422 and "was not added" in bad.text
    phone = admin.post(
        "/staff", {"name": "Nia Jones", "email": NIA, "phone": "12", "role": "coordinator"}
    )
    assert phone.status_code == 422 and "phone:" in phone.text
    with session_scope() as session:
        assert session.scalars(select(StaffMember).where(StaffMember.email == NIA)).first() is None


def test_a_coordinator_changes_their_own_password_and_stays_signed_in(
    world: World, app: FastAPI
) -> None:
    coordinator = signed_in(app, world.a.coordinator)
    other_session = signed_in(app, world.a.coordinator)
    wrong = coordinator.post(
        "/account/password",
        {"current": "not my password!", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert wrong.status_code == 401 and "not right" in wrong.text
    changed = coordinator.post(
        "/account/password",
        {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert changed.status_code == 303, changed.text
    assert coordinator.get("/").status_code == 200  # this session carries on
    assert other_session.get("/").status_code == 303  # the others are signed out
    assert Staff(app).sign_in(world.a.coordinator, PASSWORD).status_code == 401
    assert Staff(app).sign_in(world.a.coordinator, NEW_PASSWORD).status_code == 303
