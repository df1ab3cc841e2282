"""`safetynet staff ...`: dashboard accounts for coordinators and admins."""

from __future__ import annotations

import sys

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from cli.common import TRUST_OPTION, console, database, fail, trust_of, wide_table
from pathway import audit
from pathway import staff_accounts as accounts
from schema.models import StaffMember, Trust
from schema.types import utcnow
from web.auth import passwords
from web.auth.passwords import WeakPassword

app = typer.Typer(help="Staff accounts for the dashboard.", no_args_is_help=True)

PasswordStdin = typer.Option(
    False, "--password-stdin", help="Read the password from the first line of standard input."
)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _trust(session: Session, code: str | None) -> Trust:
    return trust_of(session, code)


@app.command("add")
def add_command(
    trust_code: str | None = TRUST_OPTION,
    email: str = typer.Option(..., help="Their email address, used to sign in."),
    name: str = typer.Option(..., help="Their name as colleagues know it."),
    role: str = typer.Option("coordinator", help="coordinator or admin."),
    phone: str = typer.Option(None, help="Mobile number, if they acknowledge alerts by SMS."),
    password_stdin: bool = PasswordStdin,
) -> None:
    """Add a coordinator or admin who signs in to the dashboard."""
    password = _password(password_stdin)
    with database() as session:
        trust = _trust(session, trust_code)
        try:
            member = accounts.add_staff(
                session,
                trust,
                email=email,
                name=name,
                role=role,
                password=password,
                phone=phone,
                actor=audit.CLI,
                passwords=passwords,
                now=utcnow(),
            )
        except (accounts.AccountError, WeakPassword) as error:
            session.rollback()
            fail(f"staff member not added: {error}")
        console.print(f"added {member.name} ({member.role}) to {trust.code}; they can sign in now")


@app.command("set-password")
def set_password_command(
    email: str = typer.Argument(..., help="The staff member's email address."),
    trust_code: str | None = typer.Option(
        None, "--trust", metavar="CODE", help="Trust code, if the email is in several."
    ),
    password_stdin: bool = PasswordStdin,
) -> None:
    """Set or reset a password (staff from the trust's YAML included); lifts any old lockout."""
    password = _password(password_stdin)
    with database() as session:
        trust = _trust(session, trust_code) if trust_code else None
        try:
            member = accounts.staff_by_email(session, email, trust)
            accounts.set_password(
                session, member, password, actor=audit.CLI, passwords=passwords, now=utcnow()
            )
        except (accounts.AccountError, WeakPassword) as error:
            session.rollback()
            fail(f"password not set: {error}")
        console.print(f"password set for {member.name}; their other sessions are signed out")


@app.command("unlock")
def unlock_command(
    email: str = typer.Argument(..., help="The staff member's email address."),
    trust_code: str | None = typer.Option(
        None, "--trust", metavar="CODE", help="Trust code, if the email is in several."
    ),
) -> None:
    """Lift a lockout left from before sign-ins were throttled (wrong passwords no longer lock)."""
    with database() as session:
        trust = _trust(session, trust_code) if trust_code else None
        try:
            member = accounts.staff_by_email(session, email, trust)
        except accounts.AccountError as error:
            fail(str(error))
        accounts.unlock(session, member, actor=audit.CLI, now=utcnow())
        console.print(f"{member.name} can sign in again")


@app.command("list")
def list_command(trust_code: str | None = TRUST_OPTION) -> None:
    """Staff of a trust: role, whether they can sign in, and any lockout."""
    with database() as session:
        trust = _trust(session, trust_code)
        table = wide_table("name", "email", "role", "signs in", "locked until", "last sign-in")
        for m in session.scalars(
            select(StaffMember).where(StaffMember.trust_id == trust.id).order_by(StaffMember.name)
        ):
            table.add_row(
                m.name + ("" if m.active else " (inactive)"),
                m.email or "",
                m.role,
                "yes" if m.password_hash and m.role != "escalation" else "no",
                m.locked_until.strftime("%Y-%m-%d %H:%M") if m.locked_until else "",
                m.last_sign_in_at.strftime("%Y-%m-%d %H:%M") if m.last_sign_in_at else "",
            )
        console.print(table)
