"""The Alembic migrations build exactly the schema the models describe, and each one can be
undone: its downgrade removes all it made, so migrating again works and gives that schema back."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

import workflows.schema  # noqa: F401  (registers the tables)
from core import migrate
from core.db import Base


def differences(database_url: str) -> list[object]:
    db = create_engine(database_url)
    with db.connect() as connection:
        found = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    db.dispose()
    return list(found)


def test_migrated_schema_matches_the_models(database_url: str):
    assert differences(database_url) == []


def test_every_migration_downgrades_cleanly(database_url: str):
    """Each step down is followed by the same step up again, which fails on anything the
    downgrade left behind (a later downgrade dropping the whole table would hide it)."""
    config = Config(str(migrate.ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(migrate.ROOT / "migrations"))
    db = create_engine(database_url)
    with db.connect() as connection:
        config.attributes["connection"] = connection
        for revision in ScriptDirectory.from_config(config).walk_revisions():  # newest first
            below = revision.down_revision or "base"
            assert isinstance(below, str)  # one line of revisions, no merges
            command.downgrade(config, below)
            command.upgrade(config, revision.revision)
            command.downgrade(config, below)
        assert inspect(connection).get_table_names() == ["alembic_version"]
    db.dispose()
    migrate.upgrade(database_url)
    assert differences(database_url) == []
