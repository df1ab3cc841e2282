"""`safetynet retention ...`: what each trust's retention periods make due, and the purge."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from cli.common import console, database, fail
from pathway import audit, retention
from schema.models import Trust
from schema.trusts import trust_config
from schema.types import utcnow

app = typer.Typer(help="Retention: what is due to be blanked, and the purge.", no_args_is_help=True)

TRUST_OPTION = typer.Option(
    None, "--trust", metavar="CODE", help="A trust code (default: every trust)."
)
SHOWN_IDS = 20


def _trusts(session: Session, code: str | None) -> list[Trust]:
    query = select(Trust).order_by(Trust.id)
    if code is not None:
        query = query.where(Trust.code == code)
    found = list(session.scalars(query))
    if code is not None and not found:
        fail(f"no trust {code!r}")
    return found


def _table(title: str, items: list[retention.Due], *, ids: bool) -> Table:
    table = Table("kind", "table", "blanks", "older than", "rows", title=title)
    if ids:
        table.add_column("ids")
    for item in items:
        row = [item.kind, item.table, item.blanks, f"{item.older_than:%Y-%m-%d %H:%M} UTC"]
        row.append(str(len(item.ids)))
        if ids:
            shown = ", ".join(map(str, item.ids[:SHOWN_IDS]))
            more = len(item.ids) - SHOWN_IDS
            row.append(shown + (f" and {more} more" if more > 0 else ""))
        table.add_row(*row)
    return table


@app.command("status")
def status_command(trust_code: str | None = TRUST_OPTION) -> None:
    """Each trust's periods and how many rows of each kind are due to be blanked now."""
    now = utcnow()
    with database() as session:
        for trust in _trusts(session, trust_code):
            config = trust_config(trust)
            periods = {kind: getattr(config.retention, kind) for kind in retention.KINDS}
            kept = [kind for kind, period in periods.items() if period is None]
            items = retention.due(session, trust, config, now=now)
            console.print(_table(f"{trust.code}: due now", items, ids=False))
            if kept:
                console.print(f"kept until erased (no period set): {', '.join(kept)}")
        session.rollback()


@app.command("purge")
def purge_command(
    trust_code: str | None = TRUST_OPTION,
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be blanked, only."),
) -> None:
    """Blank what is due now (what beat does nightly); --dry-run lists it and changes nothing."""
    now = utcnow()
    with database() as session:
        for trust in _trusts(session, trust_code):
            config = trust_config(trust)
            if dry_run:
                items = retention.due(session, trust, config, now=now)
                console.print(_table(f"{trust.code}: would blank", items, ids=True))
                continue
            items = retention.purge(session, trust, config, now=now, actor=audit.CLI)
            total = sum(len(item.ids) for item in items)
            console.print(_table(f"{trust.code}: blanked", items, ids=False))
            console.print(f"{trust.code}: {total} rows blanked")
        if dry_run:
            session.rollback()
