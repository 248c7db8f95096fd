"""Notifications page benchmark on PostgreSQL: one reader with 100,000 notifications (and as
many more spread over everyone else), the bell and the pages they open.

Run it from the project root (PostgreSQL must be reachable):

    PYTHONPATH=. .venv/bin/python bench/notifications.py            # 100,000 rows for the reader
    PYTHONPATH=. .venv/bin/python bench/notifications.py --quick    # 10,000

PostgreSQL is ``postgresql+psycopg://postgres@127.0.0.1:5432/dealflow_notifications_bench``
unless ``--postgres-url`` or ``DEALFLOW_BENCH_NOTIFICATIONS_POSTGRES_URL`` says otherwise.
That database is DROPPED and created afresh, so its name must contain "bench".

The rows are written straight to the table (a tenth of them unread). Then, for each of
the queries the bell and the page run, and for the whole page through Flask's test client
(logged in, rendered, no sockets): median and p95. This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

# ruff: noqa: E402
sys.path[:] = [str(Path(__file__).resolve().parents[1])] + [
    p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

import bootstrap
from bench._bulk import bench_parser, recreate_database
from bench._stats import Figure, median, ms, p95, summary_table
from bench.pipeline import get_ok, latencies, log_in
from core import migrate
from core.settings import Settings
from notifications.inbox import list_notifications, unread_count
from notifications.models import Notification
from web import create_app
from workflows.org.models import User

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/dealflow_notifications_bench"
READER = "wang.fang"


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    rows, runs = (10_000, 50) if args.quick else (args.rows, 200)
    recreate_database(args.postgres_url)
    migrate.upgrade(args.postgres_url)
    container = bootstrap.build(Settings(database_url=args.postgres_url))
    bootstrap.load_demo(container)
    reader_id = fill(container, rows)
    queries: dict[str, Callable[[Session], object]] = {
        "bell (unread count, capped)": lambda s: unread_count(s, reader_id),
        "page 1": lambda s: list_notifications(s, reader_id, 1),
        "page 200": lambda s: list_notifications(s, reader_id, 200),
        "unread only, page 1": lambda s: list_notifications(s, reader_id, 1, unread_only=True),
    }
    figures = []
    print(f"{rows:,} notifications for {READER} (and {rows:,} for everyone else); {runs} runs each")
    for name, query in queries.items():
        with container.session_factory() as session:
            timings = latencies(lambda query=query: query(session), runs, warmup=0)  # type: ignore[misc]
        figures.append(_figure(f"query: {name}", timings))
    client = log_in(create_app(container=container), READER)
    for path in ("/notifications", "/notifications?page=200"):
        timings = latencies(lambda path=path: get_ok(client, path), runs, warmup=0)  # type: ignore[misc]
        figures.append(_figure(f"whole page {path}", timings))
    print(summary_table(figures))


def fill(container: bootstrap.Container, rows: int) -> int:
    """``rows`` notifications for the reader, as many for the others; the reader's id."""
    now = container.engine.clock.now()
    with container.uow() as uow:
        people = {name: user_id for name, user_id in uow.session.execute(select(User.username, User.id))}
        others = [name for name in people if name != READER]
        for start in range(0, rows * 2, 10_000):
            uow.session.execute(insert(Notification), [
                _row(number, READER if number < rows else others[number % len(others)], people, now)
                for number in range(start, min(start + 10_000, rows * 2))])
        uow.commit()
    with container.db.connect() as connection:
        connection.execute(text("ANALYZE notification"))
        connection.commit()
    return people[READER]


def _row(number: int, username: str, people: dict[str, int], now: object) -> dict[str, object]:
    created = now - timedelta(minutes=number)  # type: ignore[operator]
    return {"user_id": people[username], "username": username, "kind": "reminder", "template": "reminder",
            "locale": "en", "subject": f"Reminder: follow up lead {number}", "body": "Please deal with it.",
            "action": "Open the task", "link": f"/leads/{number}", "idempotency_key": f"bench:{number}",
            "in_app": True, "created_at": created, "read_at": None if number % 10 == 0 else created}


def _figure(name: str, timings: list[float]) -> Figure:
    print(f"    {name}: median {ms(median(timings))}  p95 {ms(p95(timings))}")
    return Figure(f"{name}, median (p95)", f"{ms(median(timings))} ({ms(p95(timings))})")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = bench_parser(__doc__ or "", "DEALFLOW_BENCH_NOTIFICATIONS_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    parser.add_argument("--rows", type=int, default=100_000)
    return parser.parse_args(argv)


if __name__ == "__main__":
    main()
