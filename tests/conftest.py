"""Fixtures shared by every test folder: databases, the clock and a wired container."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

import bootstrap
from core import migrate
from core.clock import ManualClock
from core.db import Base
from core.settings import Settings

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1"... when tests run in parallel


def require_service(variable: str) -> str:
    """The URL of a service a test needs: skipped without it, failed under CI=true."""
    value = os.environ.get(variable)
    if value:
        return value
    if os.environ.get("CI") == "true":
        pytest.fail(f"{variable} is not set; CI must provide this service")
    pytest.skip(f"{variable} is not set")


def require_redis() -> str:
    """The test Redis URL, its database number moved down by the worker's number, so parallel
    workers' Celery queues never meet (``.../15``: ``gw0`` uses 15, ``gw1`` 14)."""
    url = make_url(require_service("DEALFLOW_TEST_REDIS_URL"))
    number = int(WORKER.removeprefix("gw") or 0)
    mine = url.set(database=str((int(url.database or 0) - number) % 16))
    return mine.render_as_string(hide_password=False)  # str() would write the password as ***


def _own_database(url: str) -> str:
    """The worker's own PostgreSQL database beside ``url``'s (created when missing)."""
    if not WORKER:
        return url
    base = make_url(url)
    mine = base.set(database=f"{base.database}_{WORKER}")
    server = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                 {"name": mine.database}):
            connection.execute(text(f'CREATE DATABASE "{mine.database}"'))
    server.dispose()
    return mine.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy, which is far faster than migrating."""
    path = tmp_path_factory.mktemp("template") / "dealflow.db"
    migrate.upgrade(f"sqlite:///{path}")
    with sqlite3.connect(path) as connection:  # fold the WAL into the file we copy
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = _own_database(require_service("DEALFLOW_TEST_POSTGRES_URL"))
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    migrate.upgrade(url)
    return url


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[str]:
    """The migrated PostgreSQL test database, emptied after the test."""
    yield postgres_url
    engine = create_engine(postgres_url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    if request.param == "postgresql":
        yield request.getfixturevalue("postgres_database")
        return
    shutil.copy(sqlite_template, tmp_path / "dealflow.db")
    yield f"sqlite:///{tmp_path / 'dealflow.db'}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def container(database_url: str, clock: ManualClock) -> Iterator[bootstrap.Container]:
    built = bootstrap.build(Settings(database_url=database_url), clock=clock)
    yield built
    built.db.dispose()
