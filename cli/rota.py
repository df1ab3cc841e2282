"""`safetynet rota ...`: who is on each role, and the gaps where nobody is."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from cli.common import console, database, fail, trust_of, wide_table
from pathway.on_duty import covers_for
from pathway.rota import Gap, timeline
from pathway.rota_gaps import find_gaps
from schema.models import StaffMember, Trust
from schema.trusts import trust_config
from schema.types import utcnow

app = typer.Typer(help="Rotas: who is on each role, and the gaps.", no_args_is_help=True)

GAPS_FOUND = 1


def when(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%H:%M} {local:%a} {local.day} {local:%b %Y}"


def how_long(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def _trusts(session: Session, code: str | None) -> list[Trust]:
    if code:
        return [trust_of(session, code)]
    trusts = list(session.scalars(select(Trust).order_by(Trust.code)))
    if not trusts:
        fail("no trust loaded yet")
    return trusts


def _describe(gap: Gap, zone: ZoneInfo, names: dict[str, str]) -> str:
    text = (
        f"nobody from {when(gap.start, zone)} to {when(gap.end, zone)} ({how_long(gap.duration)})"
    )
    if gap.unreachable:
        who = ", ".join(names.get(key, key) for key in gap.unreachable)
        text += f"; on shift but unreachable: {who}"
    return text


@app.command("check")
def check_command(
    trust_code: str | None = typer.Option(
        None, "--trust", metavar="CODE", help="Trust code (default: every trust)."
    ),
    days: int = typer.Option(14, "--days", min=1, max=90, help="How many days ahead to look."),
) -> None:
    """Every period in the next DAYS days with nobody on a role an escalation chain uses.

    Exit status 1 if there is one, 0 if every role is covered, 2 for bad input.
    """
    now = utcnow()
    found = 0
    with database() as session:
        for trust in _trusts(session, trust_code):
            config = trust_config(trust)
            roles = config.roles_in_chains()
            if not roles:
                nothing = f"{trust.code}: no escalation step names a role; nothing to check"
                console.print(nothing, soft_wrap=True)
                continue
            gaps = find_gaps(session, trust, config, now, now + timedelta(days=days))
            names = _names(session, trust)
            for gap in gaps:
                line = f"{trust.code} {gap.role}: {_describe(gap, config.zone, names)}"
                console.print(line, soft_wrap=True)
            if not gaps:
                console.print(f"{trust.code}: {', '.join(roles)} covered for the next {days} days")
            found += len(gaps)
    if found:
        plural = "s" if found != 1 else ""
        console.print(f"{found} gap{plural}: arrange cover on the rota page", soft_wrap=True)
        raise typer.Exit(GAPS_FOUND)


@app.command("show")
def show_command(
    trust_code: str | None = typer.Option(
        None, "--trust", metavar="CODE", help="Trust code (default: every trust)."
    ),
    days: int = typer.Option(7, "--days", min=1, max=90, help="How many days ahead to show."),
) -> None:
    """Who is on each role of the trust, period by period, for the next DAYS days."""
    now = utcnow()
    end = now + timedelta(days=days)
    with database() as session:
        for trust in _trusts(session, trust_code):
            config = trust_config(trust)
            covers = covers_for(session, trust.id, config, now, end)
            names = _names(session, trust)
            for role in config.rotas:
                table = wide_table(
                    "from", "to", "who", title=f"{trust.code} {config.role_name(role)}"
                )
                for period in timeline(config, covers, role, now, end):
                    who = ", ".join(names.get(k, k) for k in period.staff) or "NOBODY"
                    table.add_row(
                        when(period.start, config.zone), when(period.end, config.zone), who
                    )
                console.print(table)


def _names(session: Session, trust: Trust) -> dict[str, str]:
    return dict(
        session.execute(
            select(StaffMember.key, StaffMember.name).where(StaffMember.trust_id == trust.id)
        ).all()
    )
