"""`safetynet tokens ...`: bearer tokens for hospital systems calling the staff API."""

from __future__ import annotations

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from cli.common import TRUST_OPTION, console, database, fail, trust_of, wide_table
from pathway import audit
from schema.models import ApiToken, Trust
from schema.types import utcnow
from web.auth import tokens

app = typer.Typer(help="API tokens for hospital systems.", no_args_is_help=True)


def _trust(session: Session, code: str | None) -> Trust:
    return trust_of(session, code)


@app.command("issue")
def issue_command(
    trust_code: str | None = TRUST_OPTION,
    name: str = typer.Option(..., help="What will use it, e.g. 'PAS integration'."),
) -> None:
    """Issue a token for one trust. It is printed once: only its hash is kept."""
    with database() as session:
        trust = _trust(session, trust_code)
        try:
            token, plain = tokens.issue(session, trust, name, actor=audit.CLI, now=utcnow())
        except ValueError as error:
            fail(str(error))
        console.print(
            f"token {token.id} for {trust.code} ({token.name}); "
            "store it now, it is not shown again:"
        )
        # Printed bare on its own line so scripts can capture it.
        print(plain)


@app.command("list")
def list_command(trust_code: str | None = TRUST_OPTION) -> None:
    """Tokens of a trust, live and revoked (never their values)."""
    with database() as session:
        trust = _trust(session, trust_code)
        table = wide_table("id", "name", "issued", "last used", "revoked")
        for t in session.scalars(
            select(ApiToken).where(ApiToken.trust_id == trust.id).order_by(ApiToken.id)
        ):
            table.add_row(
                str(t.id),
                t.name,
                t.created_at.strftime("%Y-%m-%d %H:%M"),
                t.last_used_at.strftime("%Y-%m-%d %H:%M") if t.last_used_at else "",
                t.revoked_at.strftime("%Y-%m-%d %H:%M") if t.revoked_at else "",
            )
        console.print(table)


@app.command("revoke")
def revoke_command(
    token_id: int = typer.Argument(..., help="The token's id (see `tokens list`)."),
) -> None:
    """Revoke a token at once: calls with it are refused from now on."""
    with database() as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            fail(f"no token {token_id}")
        if tokens.revoke(session, token, actor=audit.CLI, now=utcnow()):
            console.print(f"token {token_id} ({token.name}) revoked")
        else:
            console.print(f"token {token_id} was already revoked")
