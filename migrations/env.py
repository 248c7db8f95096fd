"""Alembic environment: the database URL comes from Dealflow's settings, not alembic.ini."""

from __future__ import annotations

from alembic import context

import workflows.schema  # noqa: F401  (register every table on the metadata)
from core.db import Base, make_engine
from core.settings import Settings

url = context.config.attributes.get("database_url") or Settings.from_env().database_url


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    if connection.in_transaction():
        connection.commit()


run_migrations()
