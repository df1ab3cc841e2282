"""Alembic environment: runs against the URL the caller put in the config, or the settings."""

from __future__ import annotations

from typing import Any

from alembic import context

from schema.db import engine_for
from schema.models import Base
from schema.settings import get_settings

config = context.config
url = config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url


def run_migrations_offline() -> None:
    context.configure(
        url=url, target_metadata=Base.metadata, render_as_batch=True, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with engine_for(url).connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration copies a table and drops the old one; with foreign keys on, that
            # drop fails (or cascades) once child rows point at it. Checked again afterwards.
            # On the driver's own connection: ours would BEGIN first, and the pragma does
            # nothing inside a transaction.
            driver: Any = connection.connection.driver_connection
            driver.execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection, target_metadata=Base.metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = driver.execute("PRAGMA foreign_key_check").fetchall()
            driver.execute("PRAGMA foreign_keys=ON")
            if broken:
                raise RuntimeError(f"migration left {len(broken)} rows with a broken foreign key")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
