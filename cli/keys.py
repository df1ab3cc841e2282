"""`safetynet keys ...`: the data keys identifiers and bodies are encrypted under, and rotation."""

from __future__ import annotations

import typer
from rich.table import Table

from cli.common import console, database, fail
from pathway import audit, keys
from schema.data_keys import DataKeyError, new_key_entry
from schema.db import session_factory
from schema.encryption import keyring
from schema.types import utcnow

app = typer.Typer(
    help="Data keys: what rows are encrypted under, and rotation.", no_args_is_help=True
)


@app.command("status")
def status_command() -> None:
    """The keys configured (ids only, never a key) and how many values are under each."""
    try:
        ring = keyring()
    except DataKeyError as error:
        fail(str(error))
    console.print(
        f"keys from {ring.source}: {', '.join(ring.key_ids)} (encrypting: {ring.current})"
    )
    with database() as session:
        found = keys.usage(session)
        session.rollback()
    table = Table("table", "key", "values", title="values encrypted, by key")
    missing: set[str] = set()
    for name, counts in found.items():
        for kid, count in sorted(counts.items()):
            if kid not in ring.ciphers and kid != keys.PLAIN:
                missing.add(kid)
            table.add_row(name, kid, str(count))
    console.print(table)
    others = sorted({kid for counts in found.values() for kid in counts} - {ring.current})
    if missing:
        fail(f"rows are under {', '.join(sorted(missing))}, which DATA_KEYS does not hold", code=1)
    if others:
        console.print(
            f"not yet under {ring.current}: {', '.join(others)}: run `safetynet keys rotate`"
        )
    else:
        console.print(f"every value is under {ring.current}: older keys are no longer needed")


@app.command("rotate")
def rotate_command() -> None:
    """Re-encrypt every value under the first key of DATA_KEYS and recompute the lookup hashes.
    Safe to interrupt and run again; run twice, the second changes nothing."""
    try:
        keyring()
    except DataKeyError as error:
        fail(str(error))
    with database() as session:  # checks the schema is current
        session.rollback()

    def progress(table: str, last_id: int) -> None:
        console.print(f"{table}: up to id {last_id}")

    try:
        rotation = keys.rotate(session_factory(), actor=audit.CLI, on_batch=progress, clock=utcnow)
    except DataKeyError as error:
        fail(str(error), code=1)
    rows = ", ".join(f"{name} {count}" for name, count in sorted(rotation.rows.items())) or "none"
    console.print(
        f"under {rotation.key_id}: {rotation.values} values re-encrypted,"
        f" {rotation.hashes} lookup hashes recomputed; rows changed: {rows}"
    )


@app.command("new")
def new_command(key_id: str = typer.Argument(..., help="An id for the key, e.g. 2027a.")) -> None:
    """Print a new `KEY_ID:BASE64_KEY` entry to put first in DATA_KEYS (printed, never stored)."""
    try:
        console.print(new_key_entry(key_id), soft_wrap=True)
    except DataKeyError as error:
        fail(str(error))
