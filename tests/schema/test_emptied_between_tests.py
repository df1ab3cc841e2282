"""Each PostgreSQL test starts on an empty database whose ids start again at 1."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select, text

from pathway import audit
from pathway.trust_loading import load_trust
from schema.config_file import read_config_file
from schema.db import session_scope
from schema.models import Base, Trust
from schema.types import utcnow
from tests.conftest import EXAMPLE_TRUST


def rows_by_table() -> dict[str, int]:
    with session_scope() as session:
        return {
            table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


def load_example_trust() -> int:
    config = read_config_file(EXAMPLE_TRUST)
    with session_scope() as session:
        return load_trust(session, config, actor=audit.CLI, now=utcnow()).trust.id


def test_emptying_removes_every_row_keeps_the_migrations_and_restarts_the_ids(
    pg_url: str, empty_postgres: Callable[[], None]
) -> None:
    assert load_example_trust() == 1
    written = [name for name, rows in rows_by_table().items() if rows]
    assert len(written) >= 3, written  # the trust wrote several tables: emptying has work to do

    empty_postgres()

    assert set(rows_by_table().values()) == {0}
    with session_scope() as session:
        assert session.scalar(text("SELECT version_num FROM alembic_version"))
        assert session.scalar(select(func.count()).select_from(Trust)) == 0
    assert load_example_trust() == 1
