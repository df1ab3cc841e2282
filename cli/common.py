"""What every command shares: a database session that must be migrated, and clear failures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from schema.db import session_scope
from schema.migrate import is_up_to_date
from schema.settings import get_settings

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)

BAD_INPUT = 2


def fail(message: str, code: int = BAD_INPUT) -> NoReturn:
    errors.print(f"[red]error:[/red] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def database() -> Iterator[Session]:
    """A committed-on-success session on a database that is at the newest schema."""
    url = get_settings().resolved_database_url
    if not is_up_to_date(url):
        fail("the database is not at the newest schema: run `safetynet db upgrade` first")
    with session_scope() as session:
        yield session
