"""Database plumbing: the declarative base every package maps onto, and engine set-up."""

from __future__ import annotations

import select
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    Dialect,
    Engine,
    Float,
    Label,
    MetaData,
    case,
    cast,
    create_engine,
    event,
    func,
    or_,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """One metadata for every table, so Alembic sees the whole schema."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """A Decimal amount stored as integer cents: exact, sortable and indexable everywhere."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        return None if value is None else int((Decimal(value) * 100).to_integral_value())

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else (Decimal(value) / 100).quantize(Decimal("0.01"))


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout.

    SQLite's default of failing immediately on a locked database would turn two
    concurrent requests into an error; a busy timeout makes the second one wait.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 15}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    # Never wait forever on a row lock: a request gives up after a few seconds and the
    # caller answers with a clear conflict instead of hanging.
    connect_args = {"options": "-c lock_timeout=5000"}
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    _check_on_checkout(engine)
    return engine


# Pooled connections are checked before use, as ``pool_pre_ping`` would, but without its
# round trip on every request: one back in the pool for less than this long is trusted
# unless its socket says otherwise (see _still_alive).
PING_AFTER_IDLE_SECONDS = 10.0


def _check_on_checkout(engine: Engine) -> None:
    """Hand out only live connections; a dead one is replaced before anyone uses it.

    A server that ends a session (restart, ``pg_terminate_backend``, an idle timeout)
    sends a last message and closes the socket, so an idle connection with anything to
    read is suspect: it, and any connection idle longer than PING_AFTER_IDLE_SECONDS
    (where a silent network drop is possible), gets the same ``SELECT 1`` pre-ping sends.
    Raising DisconnectionError makes the pool discard it and connect afresh.
    """
    def since(_dbapi_connection: Any, record: Any, *_: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is not None and time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS \
                and _still_alive(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # whatever the driver raises, this connection is no use
            raise DisconnectionError(f"connection failed its check: {exc}") from exc

    event.listen(engine, "connect", since)
    event.listen(engine, "checkin", since)
    event.listen(engine, "checkout", checkout)


def _still_alive(dbapi_connection: Any) -> bool:
    """True if an idle connection's socket is open and silent; False means "ping it"."""
    if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
        return False
    fileno = getattr(dbapi_connection, "fileno", None)
    if fileno is None or not hasattr(select, "poll"):
        return False
    poller = select.poll()
    poller.register(fileno(), select.POLLIN | select.POLLPRI)
    return not poller.poll(0)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def is_postgresql(session_or_engine: Session | Engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "postgresql"


def seconds_between(session: Session, start: Any, end: Any) -> ColumnElement[float]:
    """Seconds from one timestamp column to another, in the database's own arithmetic (for
    durations aggregated in SQL: time in a step, time to a decision)."""
    if is_postgresql(session):
        return cast(func.extract("epoch", end - start), Float)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def numbered(group: Any, value: Any) -> tuple[Label[int], Label[int]]:
    """Window columns numbering ``value`` in order within ``group`` (``n``) and counting the
    group (``total``): select them beside the group and value, then take ``median`` over that."""
    return (func.row_number().over(partition_by=group, order_by=value).label("n"),
            func.count().over(partition_by=group).label("total"))


def median(n: Any, total: Any, value: Any) -> ColumnElement[Any]:
    """The median per group of rows ``numbered``: the middle value of an odd count, the mean of
    the two middle ones of an even count, on every database (SQLite has no percentile)."""
    middle = or_(n == (total + 1) // 2, n == (total + 2) // 2)
    return func.avg(case((middle, value)))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy issue BEGIN itself (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    # In WAL mode NORMAL never corrupts the database and skips an fsync per commit.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock at the start of every transaction: two writers then queue
    # on the busy timeout instead of one failing with "database is locked" on upgrade.
    connection.exec_driver_sql("BEGIN IMMEDIATE")
