"""Pooled PostgreSQL connections: a dead one is replaced before use, a live one is not pinged."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, create_engine, text

from core import db


@pytest.fixture
def engine(postgres_database: str):
    built = db.make_engine(postgres_database, pool_size=1, max_overflow=0)
    yield built
    built.dispose()


@pytest.fixture
def pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    sent: list[object] = []
    real = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        sent.append(dbapi_connection)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return sent


def backend(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(text("SELECT pg_backend_pid()")))


def terminate(url: str, pid: int) -> None:
    """End a server session from outside, as a restart or an administrator would."""
    other = create_engine(url)
    with other.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        for _ in range(100):
            if not connection.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                     {"pid": pid}):
                break
            time.sleep(0.02)
    other.dispose()


def test_a_connection_back_from_a_request_is_reused_without_a_ping(engine, pings):
    first = backend(engine)
    assert backend(engine) == first
    assert pings == []


def test_a_connection_the_server_ended_is_replaced_before_anyone_uses_it(engine, pings, postgres_database):
    first = backend(engine)
    terminate(postgres_database, first)

    assert backend(engine) != first  # no error reached the caller
    assert len(pings) == 1


def test_a_connection_idle_for_long_is_pinged(engine, pings, monkeypatch):
    first = backend(engine)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)

    assert backend(engine) == first
    assert len(pings) == 1
