"""Pipeline benchmark: the opportunity list and kanban board with 20,000 opportunities, and
advancing one stage, all through HTTP.

Run it from the project root (PostgreSQL must be reachable):

    PYTHONPATH=. .venv/bin/python bench/pipeline.py            # full run, a few minutes
    PYTHONPATH=. .venv/bin/python bench/pipeline.py --quick    # 2,000 opportunities, a smoke run
    PYTHONPATH=. .venv/bin/python bench/pipeline.py --explain  # also each page's query plans in full

PostgreSQL is ``postgresql+psycopg://postgres@127.0.0.1:5432/dealflow_pipeline_bench`` unless
``--postgres-url`` or ``DEALFLOW_BENCH_POSTGRES_URL`` says otherwise. That database is
DROPPED and created afresh, so its name must contain "bench".

Requests go through Flask's test client: the whole app in this process (login session,
CSRF, visibility rule, SQL, Jinja rendering, Babel formatting) without sockets, so the
figures are server time, not network time. Each page is requested after a few untimed
warm-up requests; latencies are medians and p95s of single requests, timed with
``time.perf_counter``. This is a benchmark, not a test: nothing is asserted about time.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

# Python puts this folder first on sys.path, where bench/engine.py would shadow the
# ``engine`` package; put the project root first instead, then import.
# ruff: noqa: E402
sys.path[:] = [str(Path(__file__).resolve().parents[1])] + [
    p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select, text

import bootstrap
from bench import _bulk
from bench._opportunities import ADVANCE_OWNER, REPS, Seeded, seed
from bench._stats import Figure, measured, median, ms, p95, summary_table
from core import migrate
from core.clock import ManualClock
from core.settings import Settings
from web import create_app
from workflows.opportunities.models import Opportunity
from workflows.org.demo import DEMO_PASSWORD

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/dealflow_pipeline_bench"
VIEWERS = {"rep": ADVANCE_OWNER, "manager": "liu.yang", "general manager": "wang.jianguo"}
PAGE_TARGET_MS = 200.0  # a page a person waits for; well under the point where they notice


@dataclass(frozen=True)
class Sizes:
    total: int  # opportunities
    engine_started: int  # of which started (and some advanced) through the engine
    advances: int  # timed advances through HTTP, each on another opportunity
    requests: int  # timed requests per page and viewer
    warmup: int  # untimed requests first


FULL = Sizes(total=20_000, engine_started=300, advances=50, requests=100, warmup=5)
QUICK = Sizes(total=2_000, engine_started=60, advances=10, requests=20, warmup=3)


def pages(seeded: Seeded) -> dict[str, str]:
    standard = seeded.business_types["Standard sale"]
    return {"list": "/opportunities", "list open, by amount": "/opportunities?status=open&sort=amount&desc=1",
            "list name search": "/opportunities?q=robots", "list page 20": "/opportunities?page=20",
            "board": f"/opportunities/board?business_type={standard}"}


def log_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    token = csrf_token(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                           "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(f"could not log in as {username}")
    return client


def csrf_token(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def get_ok(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")


def latencies(action: Callable[[], object], runs: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        action()
    return [measured(action)[1] for _ in range(runs)]


def bench_pages(app: Flask, seeded: Seeded, sizes: Sizes) -> list[Figure]:
    print(f"\n(a) Page loads, {sizes.requests} requests each after {sizes.warmup} untimed "
          "(median / p95, ms)")
    figures = []
    for role, username in VIEWERS.items():
        client = log_in(app, username)
        seen = visible_count(client)
        print(f"  {role} ({username}, sees {seen:,} opportunities)")
        for page, url in pages(seeded).items():
            times = latencies(partial(get_ok, client, url), sizes.requests, sizes.warmup)
            print(f"    {page:<22} {ms(median(times)):>10} / {ms(p95(times)):>10}   {url}")
            if page in ("list", "board") and role in ("rep", "manager"):
                figures.append(Figure(f"(a) {page}, {role} (median; p95 {ms(p95(times))})", ms(median(times)),
                                      f"< {PAGE_TARGET_MS:.0f} ms", median(times) * 1000 < PAGE_TARGET_MS))
    return figures


def visible_count(client: FlaskClient) -> int:
    page = client.get("/opportunities").text
    return int(page.split("<tfoot>")[1].split("<th colspan=\"5\">")[1].split(" ")[0].replace(",", ""))


def bench_advance(app: Flask, container: bootstrap.Container, seeded: Seeded, sizes: Sizes) -> list[Figure]:
    """POST /opportunities/<id>/advance from the first stage, each on another engine-started deal."""
    client = log_in(app, ADVANCE_OWNER)
    token = csrf_token(client.get(f"/opportunities/{seeded.advanceable[0]}").text)
    times = []
    for opportunity_id in seeded.advanceable[:sizes.advances]:
        response, seconds = measured(partial(client.post, f"/opportunities/{opportunity_id}/advance",
                                             data={"csrf_token": token, "need": "Forty AGVs"}))
        if response.status_code != 302:
            raise RuntimeError(f"advance {opportunity_id} answered {response.status_code}")
        times.append(seconds)
    with container.session_factory() as session:
        moved = session.scalars(select(Opportunity.stage).where(
            Opportunity.id.in_(seeded.advanceable[:sizes.advances])).distinct()).all()
    print(f"\n(b) Advance one stage through HTTP, {len(times)} opportunities (now all in {moved}):")
    print(f"    median {ms(median(times))}, p95 {ms(p95(times))}")
    return [Figure(f"(b) advance a stage via HTTP (median; p95 {ms(p95(times))})", ms(median(times)))]


@contextmanager
def captured(container: bootstrap.Container) -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements (with parameters) run on ``container``'s engine meanwhile."""
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        statements.append((statement, parameters))

    event.listen(container.db, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(container.db, "before_cursor_execute", capture)


def explain(app: Flask, container: bootstrap.Container, seeded: Seeded, full: bool) -> None:
    """EXPLAIN ANALYZE every opportunity query the list and board pages run, for each viewer."""
    print("\n(c) Query plans of the pages' opportunity queries (EXPLAIN ANALYZE on PostgreSQL)")
    for role, username in VIEWERS.items():
        client = log_in(app, username)
        for page in ("list", "board"):
            with captured(container) as statements:
                get_ok(client, pages(seeded)[page])
            for statement, parameters in statements:
                if "FROM opportunity" not in statement:
                    continue
                with container.db.connect() as connection:
                    plan = [row[0] for row in connection.exec_driver_sql(
                        f"EXPLAIN (ANALYZE, COSTS OFF) {statement}", parameters)]
                print(f"  {role} {page} {_kind(statement)}: {plan[-1].strip()}; "
                      f"{'; '.join(sorted({_scan(line) for line in plan if 'Scan' in line}))}")
                if full:
                    print("\n".join(f"      {line}" for line in plan))


def _kind(statement: str) -> str:
    if "GROUP BY" in statement:
        return "column totals"
    if "row_number" in statement:
        return "cards"
    return "count and sums" if statement.lstrip().startswith("SELECT count") else "page rows"


def _scan(line: str) -> str:
    return line.strip().lstrip("-> ").split("  (")[0]


def describe_setup(container: bootstrap.Container, sizes: Sizes, seeding: float, quick: bool) -> None:
    with container.db.connect() as connection:
        server = connection.scalar(text("SHOW server_version"))
        count = connection.scalar(text("SELECT count(*) FROM opportunity"))
        real = connection.scalar(text(
            "SELECT count(*) FROM opportunity WHERE process_instance_id IS NOT NULL"))
    print(f"Dealflow pipeline benchmark ({'quick' if quick else 'full'} sizes): Python "
          f"{sys.version.split()[0]}, PostgreSQL {server}, {os.cpu_count()} CPUs")
    print(f"{count:,} opportunities ({real} started through the engine, the rest bulk rows) over "
          f"3 business types and the demo organisation's {len(REPS)} reps, seeded in {seeding:.1f} s.")
    print("HTTP through Flask's test client (in process, no sockets).")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark the opportunity list, board and advance.")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--explain", action="store_true", help="print each query plan in full")
    parser.add_argument("--postgres-url", default=os.environ.get("DEALFLOW_BENCH_POSTGRES_URL",
                                                                 DEFAULT_POSTGRES_URL),
                        help="database to DROP and recreate (its name must contain 'bench')")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = QUICK if args.quick else FULL
    began = time.perf_counter()
    _bulk.recreate_database(args.postgres_url)
    migrate.upgrade(args.postgres_url)
    container = bootstrap.build(Settings(database_url=args.postgres_url), clock=ManualClock())
    bootstrap.deploy_shipped(container)
    seeded, seeding = measured(lambda: seed(container, sizes.total, sizes.engine_started, sizes.advances,
                                            random.Random(7)))
    _bulk.analyze(container.db)
    describe_setup(container, sizes, seeding, args.quick)
    app = create_app(container=container)
    figures = bench_pages(app, seeded, sizes)
    figures += bench_advance(app, container, seeded, sizes)
    explain(app, container, seeded, args.explain)
    container.db.dispose()
    print(f"\nSummary ({'quick' if args.quick else 'full'} sizes, whole run "
          f"{time.perf_counter() - began:.0f} s)")
    print(summary_table(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
