"""`safetynet db ...`: create or upgrade the database."""

from __future__ import annotations

import typer

from schema.migrate import current_revision, head_revision, upgrade
from schema.settings import get_settings

app = typer.Typer(help="Create or upgrade the database.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command() -> None:
    """Create the database, or bring it up to the newest schema."""
    url = get_settings().resolved_database_url
    upgrade(url)
    typer.echo(f"database at revision {current_revision(url)} (head {head_revision()})")


@app.command("current")
def current_command() -> None:
    """Print the database's schema revision."""
    typer.echo(current_revision(get_settings().resolved_database_url) or "empty")
