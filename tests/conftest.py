"""Shared fixtures: real databases (SQLite and PostgreSQL, fresh for every run), a loaded trust.

PostgreSQL is required: a test that needs it fails (never skips) when the server is missing.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from pathway import audit
from pathway.trust_loading import load_trust
from schema.config_file import read_config_file
from schema.db import dispose_engines, session_factory
from schema.migrate import upgrade
from schema.models import Base, Trust
from schema.settings import Settings
from schema.types import utcnow
from web.auth import passwords
from worker.process_state import reset

pytest_plugins = ["tests.fakes.fixtures"]

# Rich sizes the CLI's console when it is made; under xdist no terminal is there to ask.
os.environ.setdefault("COLUMNS", "200")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_TRUST = ROOT / "examples" / "trust.yaml"
EXAMPLE_PATIENTS = ROOT / "examples" / "patients.csv"
# The host test clients call: one the app serves (loopback), unlike TestClient's "testserver".
LOCAL = "http://localhost"
POSTGRES_SERVER = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SERVICE_ENV = (
    "DATABASE_URL",
    "BROKER_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_API_BASE_URL",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USER",
    "SMTP_PASSWORD",
    "SMTP_FROM",
    "PUBLIC_BASE_URL",
    "SECRET_KEY",
)


# Every setting's variable, so that one test's (or a benchmark's) setting never reaches another.
SETTINGS_ENV = tuple(
    field.validation_alias if isinstance(field.validation_alias, str) else name.upper()
    for name, field in Settings.model_fields.items()
)


def _run_order(item: pytest.Item) -> int:
    """Benchmarks (the longest tests) first, so none starts last and leaves its xdist worker
    running alone at the end; browser tests last: Playwright leaves an event loop running in
    the process's main thread, which breaks any later test that runs a loop there (hl7, nhs)."""
    if item.path.parent.name == "bench":
        return 0
    if "page" in getattr(item, "fixturenames", ()):
        return 2
    return 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_run_order)


@pytest.fixture(autouse=True)
def isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """No test sees the developer's settings, and each starts with offline defaults."""
    for name in (*SERVICE_ENV, *SETTINGS_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAFETYNET_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    reset()
    yield
    reset()


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with tiny costs, so tests make staff and sign in quickly (0.12 s a hash at the
    real costs: a test world of eight staff took a second); tests/web/test_passwords.py checks
    the real ones."""
    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", quick)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", quick.hash("not a password anybody has"))


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A PostgreSQL database created for this run, migrated to head, dropped afterwards."""
    name = f"safetynet_test_{uuid.uuid4().hex[:10]}"
    server = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    dispose_engines()
    yield url
    dispose_engines()
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade(f"sqlite:///{path}")
    dispose_engines()
    return path


# Emptying every table in one statement on one kept connection. TRUNCATE made new files for
# each table (about 0.1-0.5 s a test on a busy disk); DELETE of the few rows a test writes does
# not. Replica mode skips the foreign keys (they form a cycle, so no order of DELETEs works) and
# triggers, as TRUNCATE did; the sequences restart as RESTART IDENTITY did.
EMPTY_ALL_TABLES = text(
    "WITH "
    + ", ".join(
        f'"d_{table.name}" AS (DELETE FROM "{table.name}")' for table in Base.metadata.sorted_tables
    )
    + " SELECT count(setval(c.oid, 1, false)) FROM pg_class c"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind = 'S' AND n.nspname = current_schema()"
)


@pytest.fixture(scope="session")
def empty_postgres(postgres_database: str) -> Iterator[Callable[[], None]]:
    """Empties the run's PostgreSQL database, on a connection kept for the whole run."""
    engine = create_engine(postgres_database, pool_size=1, pool_pre_ping=True)

    def empty() -> None:
        with engine.begin() as connection:
            connection.execute(text("SET LOCAL synchronous_commit = off"))
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            connection.execute(EMPTY_ALL_TABLES)

    yield empty
    engine.dispose()


def _use_database(monkeypatch: pytest.MonkeyPatch, url: str) -> str:
    monkeypatch.setenv("DATABASE_URL", url)
    reset()
    return url


@pytest.fixture
def pg_url(
    monkeypatch: pytest.MonkeyPatch, postgres_database: str, empty_postgres: Callable[[], None]
) -> str:
    """An empty, migrated PostgreSQL database, set as DATABASE_URL."""
    empty_postgres()
    return _use_database(monkeypatch, postgres_database)


@pytest.fixture
def sqlite_url(monkeypatch: pytest.MonkeyPatch, sqlite_template: Path, tmp_path: Path) -> str:
    """An empty, migrated SQLite database, set as DATABASE_URL."""
    path = tmp_path / "safetynet.db"
    shutil.copy(sqlite_template, path)
    return _use_database(monkeypatch, f"sqlite:///{path}")


@contextmanager
def unmigrated_database(kind: str, folder: Path, prefix: str) -> Iterator[str]:
    """The URL of a database with no tables, made for one test (a migration's) and dropped
    after it: a file in `folder` on SQLite, a database of its own on the shared PostgreSQL."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'before.db'}"
        dispose_engines()
        return
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    server = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False)
    finally:
        dispose_engines()
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Runs the test once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    with session_factory()() as db_session:
        yield db_session


@pytest.fixture
def trust(session: Session) -> Trust:
    """The example trust, loaded as the CLI would."""
    result = load_trust(session, read_config_file(EXAMPLE_TRUST), actor=audit.CLI, now=utcnow())
    session.commit()
    return result.trust
