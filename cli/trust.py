"""`safetynet trust ...`: load a trust's configuration and look at it."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy import select

from cli.common import TRUST_OPTION, console, database, fail, trust_of, wide_table
from pathway import audit
from pathway.trust_loading import load_trust
from schema.config_file import ConfigError, read_config_file
from schema.models import Trust, TrustConfigVersion
from schema.types import utcnow

app = typer.Typer(help="Load and inspect trust configuration.", no_args_is_help=True)


@app.command("load")
def load_command(path: Path = typer.Argument(..., help="The trust's YAML file.")) -> None:
    """Validate a trust's YAML file and load it as the trust's newest configuration."""
    try:
        loaded = read_config_file(path)
    except ConfigError as error:
        fail(f"{path} is not a valid trust configuration; nothing was loaded\n{error.report()}")
    with database() as session:
        try:
            result = load_trust(session, loaded, actor=audit.CLI, now=utcnow())
        except ConfigError as error:
            session.rollback()
            fail(f"{path} cannot be loaded; nothing was changed\n{error.report()}")
        trust = result.trust
        if result.unchanged:
            console.print(f"{trust.code}: unchanged (version {result.version} is this file)")
        elif result.created:
            console.print(f"{trust.code}: created {trust.name}, configuration version 1")
        else:
            console.print(
                f"{trust.code}: configuration version {result.version} loaded; "
                f"{result.replanned} patients re-planned"
            )


@app.command("list")
def list_command() -> None:
    """Every trust with its configuration version."""
    with database() as session:
        table = wide_table("code", "name", "version", "timezone")
        for trust in session.scalars(select(Trust).order_by(Trust.code)):
            table.add_row(trust.code, trust.name, str(trust.config_version), trust.timezone)
        console.print(table)


@app.command("history")
def history_command(trust_code: str | None = TRUST_OPTION) -> None:
    """Every configuration version the trust has loaded."""
    with database() as session:
        trust = trust_of(session, trust_code)
        table = wide_table("version", "loaded at (UTC)", "by", "sha256")
        versions = session.scalars(
            select(TrustConfigVersion)
            .where(TrustConfigVersion.trust_id == trust.id)
            .order_by(TrustConfigVersion.version)
        )
        for version in versions:
            table.add_row(
                str(version.version),
                version.loaded_at.strftime("%Y-%m-%d %H:%M:%S"),
                version.loaded_by,
                version.source_sha256[:12],
            )
        console.print(table)
