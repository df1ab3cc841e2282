"""What every command shares: a database session that must be migrated, and clear failures."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from schema.db import session_scope
from schema.migrate import is_up_to_date
from schema.models import Trust
from schema.settings import get_settings
from schema.trusts import get_trust

PIPED_WIDTH = 200  # rich's 80 columns would cut a table piped to a file or a pager


def _width(stream: Any) -> int | None:
    """A terminal's own width (rich follows it); piped, COLUMNS or a wide page."""
    if stream.isatty() or os.environ.get("COLUMNS"):
        return None
    return PIPED_WIDTH


console = Console(highlight=False, width=_width(sys.stdout))
errors = Console(stderr=True, highlight=False, width=_width(sys.stderr))


def wide_table(*headers: str, **options: Any) -> Table:
    """A table whose cells wrap rather than end in an ellipsis when the width runs out."""
    made = Table(*headers, **options)
    for column in made.columns:
        column.overflow = "fold"
    return made


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


# Every command takes --trust alike: a code, optional while only one trust is loaded.
TRUST_HELP = "Trust code (optional when only one trust is loaded)."
TRUST_OPTION: Any = typer.Option(None, "--trust", metavar="CODE", help=TRUST_HELP)


def trust_of(session: Session, code: str | None) -> Trust:
    """The trust with this code, or the only one; a clear failure otherwise."""
    try:
        return get_trust(session, code)
    except LookupError as error:
        fail(str(error))
