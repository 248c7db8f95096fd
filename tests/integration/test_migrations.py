"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

import workflows.schema  # noqa: F401  (registers the tables)
from core.db import Base


def test_migrated_schema_matches_the_models(database_url: str):
    db = create_engine(database_url)
    with db.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    db.dispose()
    assert differences == []
