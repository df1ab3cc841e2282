"""`safetynet status`: what /healthz says, plus queue lengths and the backlog."""

from __future__ import annotations

import json

import typer

from cli.common import console, wide_table
from pathway.keys import key_findings
from schema.db import session_scope
from schema.settings import get_settings
from worker.health import check, describe_broker, redact_url
from worker.sender_warnings import sender_warnings


def status_command(
    as_json: bool = typer.Option(False, "--json", help="One JSON object instead of a table."),
) -> None:
    """Database, broker, beat's last tick, queue lengths and backlog. Exit 1 when unhealthy."""
    health = check(with_queues=True)
    key_problems, warnings = _findings() if health.database == "ok" else ([], [])
    ok = health.ok and not key_problems
    if as_json:
        console.print_json(
            json.dumps(
                {
                    **health.as_dict(),
                    "ok": ok,
                    "problems": [*health.problems, *key_problems],
                    "warnings": warnings,
                }
            )
        )
    else:
        settings = get_settings()
        table = wide_table("component", "state", "detail", show_header=True)
        table.add_row("database", health.database, redact_url(settings.resolved_database_url))
        table.add_row("broker", health.broker, describe_broker())
        beat = (
            f"last tick {health.beat_age_seconds:.0f} s ago"
            if health.beat_age_seconds is not None
            else "never ticked"
        )
        beat_stale = any(problem.startswith("beat") for problem in health.problems)
        table.add_row("beat", "STALE" if beat_stale else "ok", beat)
        for queue, length in health.queues.items():
            table.add_row(f"queue {queue}", "ok", f"{length} waiting")
        spool = health.spool
        if spool.get("records") is not None:
            waiting = f"{spool['records']} waiting"
            if spool.get("oldest_age_seconds") is not None:
                waiting += f", oldest {spool['oldest_age_seconds']:.0f} s"
            if spool.get("quarantined"):
                waiting += f", {spool['quarantined']} quarantined"
            empty = not spool["records"] and not spool.get("quarantined")
            table.add_row("spool", "ok" if empty else "WAITING", waiting)
        for name, value in health.backlog.items():
            table.add_row(name.replace("_", " "), "", str(value))
        console.print(table)
        for problem in (*health.problems, *key_problems):
            console.print(f"[red]problem:[/red] {problem}")
        for warning in warnings:
            console.print(f"[yellow]warning:[/yellow] {warning}")
    raise typer.Exit(0 if ok else 1)


def _findings() -> tuple[list[str], list[str]]:
    with session_scope() as session:
        problems, key_warnings = key_findings(session)
        return problems, [*key_warnings, *sender_warnings(session, get_settings())]
