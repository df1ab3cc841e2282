"""`safetynet staff ...` and `safetynet tokens ...`."""

from __future__ import annotations

import hashlib
import re

from fastapi import FastAPI
from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app as cli
from schema.db import session_scope
from schema.models import ApiToken, AuditEvent, StaffMember, Trust
from schema.types import utcnow
from tests.web.conftest import PASSWORD, Staff, World, bearer

runner = CliRunner()


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(cli, list(args), input=stdin)
    return result.exit_code, result.output


def member(email: str) -> StaffMember:
    with session_scope() as session:
        found = session.scalars(select(StaffMember).where(StaffMember.email == email)).one()
        session.expunge(found)
        return found


def test_staff_add_creates_a_coordinator_who_can_sign_in(world: World, app: FastAPI) -> None:
    code, output = run(
        "staff",
        "add",
        "--trust",
        "RXX",
        "--email",
        "Nia.Jones@riverside.example.nhs.uk",
        "--name",
        "Nia Jones",
        "--phone",
        "07700 900120",
        "--password-stdin",
        stdin="a long enough passphrase\n",
    )
    assert code == 0, output
    assert "added Nia Jones (coordinator) to RXX" in output
    added = member("Nia.Jones@riverside.example.nhs.uk")
    assert added.key == "web_nia_jones" and not added.from_config
    assert added.phone_e164 == "+447700900120"
    assert added.password_hash and "passphrase" not in added.password_hash
    assert (
        Staff(app)
        .sign_in("nia.jones@riverside.example.nhs.uk", "a long enough passphrase")
        .status_code
        == 303
    )


def test_staff_add_prompts_for_the_password_twice_without_echoing_it(world: World) -> None:
    code, output = run(
        "staff",
        "add",
        "--trust",
        "RXX",
        "--email",
        "nia@riverside.example.nhs.uk",
        "--name",
        "Nia Jones",
        "--role",
        "admin",
        stdin="a long enough passphrase\na long enough passphrase\n",
    )
    assert code == 0, output
    assert "passphrase" not in output
    assert member("nia@riverside.example.nhs.uk").role == "admin"


def test_staff_add_refuses_bad_roles_weak_passwords_taken_emails_and_unknown_trusts(
    world: World,
) -> None:
    base = ["staff", "add", "--trust", "RXX", "--name", "Nia Jones", "--password-stdin"]
    cases = [
        (["--email", "nia@x.nhs.uk", "--role", "escalation"], PASSWORD, "coordinator or admin"),
        (["--email", "nia@x.nhs.uk"], "short", "at least 12"),
        (["--email", world.a.coordinator], PASSWORD, "already a staff member of RXX"),
        (["--email", world.b.coordinator], PASSWORD, "already signs in"),
        (["--email", "not an email"], PASSWORD, "not a valid email"),
        (["--email", "nia@x.nhs.uk", "--phone", "0113 496 0000"], PASSWORD, "phone"),
    ]
    for extra, password, reason in cases:
        code, output = run(*base, *extra, stdin=password + "\n")
        assert code == 2, output
        assert reason in output, output
    code, output = run(
        "staff",
        "add",
        "--trust",
        "NOPE",
        "--email",
        "a@b.nhs.uk",
        "--name",
        "A",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert code == 2 and "no trust" in output
    with session_scope() as session:
        assert (
            session.scalars(select(StaffMember).where(StaffMember.name == "Nia Jones")).all() == []
        )


def test_set_password_gives_staff_from_the_yaml_a_password_and_lifts_a_lockout(
    world: World, app: FastAPI
) -> None:
    with session_scope() as session:
        ben = session.scalars(select(StaffMember).where(StaffMember.key == "ben")).first()
        assert ben is not None and ben.email is not None
        ben.password_hash = None
        ben.failed_sign_ins = 4
        email = ben.email
    code, output = run(
        "staff", "set-password", email, "--password-stdin", stdin="bens new passphrase\n"
    )
    assert code == 0, output
    assert member(email).failed_sign_ins == 0
    assert Staff(app).sign_in(email, "bens new passphrase").status_code == 303
    with session_scope() as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert "staff.password_set" in actions


def test_a_new_password_ends_the_sessions_signed_in_with_the_old_one(
    world: World, app: FastAPI
) -> None:
    staff = Staff(app)
    assert staff.sign_in(world.a.coordinator).status_code == 303
    assert staff.get("/").status_code == 200
    code, _ = run(
        "staff",
        "set-password",
        world.a.coordinator,
        "--password-stdin",
        stdin="another long passphrase\n",
    )
    assert code == 0
    assert staff.get("/").status_code == 303


def test_set_password_refuses_escalation_staff_and_unknown_emails(world: World) -> None:
    code, output = run(
        "staff", "set-password", world.a.escalation, "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert code == 2 and "does not sign in" in output
    code, output = run(
        "staff",
        "set-password",
        "nobody@riverside.example.nhs.uk",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert code == 2 and "no staff member has that email" in output


def test_staff_unlock_lifts_a_lockout(world: World) -> None:
    with session_scope() as session:
        found = session.scalars(
            select(StaffMember).where(StaffMember.email == world.a.coordinator)
        ).one()
        found.locked_until = utcnow()
    code, output = run("staff", "unlock", world.a.coordinator)
    assert code == 0, output
    assert member(world.a.coordinator).locked_until is None


def test_staff_list_shows_who_signs_in_without_hashes(world: World) -> None:
    code, output = run("staff", "list", "--trust", "RXX")
    assert code == 0, output
    assert "Asha Okafor" in output and "argon2" not in output


def test_tokens_issue_prints_the_token_once_and_stores_only_its_hash(
    world: World, app: FastAPI
) -> None:
    code, output = run("tokens", "issue", "--trust", "RYY", "--name", "Hillside PAS")
    assert code == 0, output
    token = re.findall(r"^(sn_\S+)$", output, re.M)[0]
    with session_scope() as session:
        stored = session.scalars(select(ApiToken).where(ApiToken.name == "Hillside PAS")).one()
        trust = session.get(Trust, stored.trust_id)
        assert trust is not None and trust.code == "RYY"
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    client = Staff(app).client
    assert client.get("/api/v1/alerts", headers=bearer(token)).status_code == 200
    code, output = run("tokens", "list", "--trust", "RYY")
    assert code == 0 and "Hillside PAS" in output and token not in output
    code, output = run("tokens", "revoke", str(stored.id))
    assert code == 0 and "revoked" in output
    assert client.get("/api/v1/alerts", headers=bearer(token)).status_code == 401
    code, output = run("tokens", "revoke", str(stored.id))
    assert code == 0 and "already revoked" in output


def test_tokens_need_a_name_and_a_known_trust(world: World) -> None:
    assert run("tokens", "issue", "--trust", "RXX", "--name", "  ")[0] == 2
    assert run("tokens", "issue", "--trust", "NOPE", "--name", "x")[0] == 2
    assert run("tokens", "revoke", "999")[0] == 2
