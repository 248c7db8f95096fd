"""Approver inbox benchmark: the /approvals page with 50,000 open approval tasks on PostgreSQL,
and approving 100 of them at once.

Run it from the project root (PostgreSQL must be reachable):

    PYTHONPATH=. .venv/bin/python bench/approvals.py            # full run, a few minutes
    PYTHONPATH=. .venv/bin/python bench/approvals.py --quick    # 5,000 tasks, a smoke run
    PYTHONPATH=. .venv/bin/python bench/approvals.py --explain  # also each inbox query's plan in full

PostgreSQL is ``postgresql+psycopg://postgres@127.0.0.1:5432/dealflow_approvals_bench`` unless
``--postgres-url`` or ``DEALFLOW_BENCH_APPROVALS_POSTGRES_URL`` says otherwise. That database is
DROPPED and created afresh, so its name must contain "bench".

The demo organisation's ten reps submit a few hundred contracts through the engine, at
margins from 5% to 45%, so the shipped decision table routes each to one to four directors;
those are cloned (bench/_approvals.py) until 50,000 approval tasks are open, each still
decidable through the engine. Requests go through Flask's test client, as in
bench/pipeline.py: the whole app in this process (login session, CSRF, visibility rule, SQL,
Jinja, Babel) without sockets, so the figures are server time. Page latencies are medians
and p95s of single requests after untimed warm-up ones; a bulk approval is one POST of
/approvals/decide with 100 task ids, each decided in its own transaction through the engine.
This is a benchmark, not a test: nothing is asserted about time.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
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
from sqlalchemy import text

import bootstrap
from bench import _approvals, _bulk
from bench._stats import Figure, measured, median, ms, p95, summary_table
from bench.pipeline import _scan, captured, csrf_token, get_ok, latencies, log_in
from core import migrate
from core.clock import ManualClock
from core.settings import Settings
from web import create_app

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/dealflow_approvals_bench"
DIRECTOR, HEAD_OFFICE, GENERAL_MANAGER = "chen.hao", "li.ming", "wang.jianguo"
PAGE_TARGET_MS = 200.0  # a page a person waits for
BULK = 100
PER_TASK_TARGET_MS = 50.0  # 100 approvals in 5 s: the director waits no longer than for a slow page


@dataclass(frozen=True)
class Sizes:
    tasks: int  # open approval tasks in all
    seeds: int  # contracts submitted through the engine, the clones' sources
    requests: int  # timed requests per page
    warmup: int
    bulk_runs: int  # timed bulk approvals of BULK tasks each


FULL = Sizes(tasks=50_000, seeds=400, requests=100, warmup=5, bulk_runs=3)
QUICK = Sizes(tasks=5_000, seeds=80, requests=20, warmup=3, bulk_runs=2)
PAGES = {  # label -> (who, URL)
    "first page": (DIRECTOR, "/approvals"),
    "filtered": (DIRECTOR, "/approvals?margin_max=20&account=robotics"),
    "sorted by margin": (DIRECTOR, "/approvals?sort=margin&desc=1"),
    "filtered + sorted, page 3": (DIRECTOR, "/approvals?contract_type=1&min_age=7&sort=total&page=3"),
    "team tab": (DIRECTOR, "/approvals?tab=team"),
    "first page, head office": (HEAD_OFFICE, "/approvals"),
    "team tab, general manager": (GENERAL_MANAGER, "/approvals?tab=team"),
}


def load(container: bootstrap.Container, sizes: Sizes) -> None:
    began = time.perf_counter()
    _approvals.prepare(container)
    seeded = _approvals.submit_seeds(container, sizes.seeds, random.Random(5))
    submitted = time.perf_counter() - began
    clones = _approvals.clones_for(seeded, sizes.tasks)
    _, cloning = measured(partial(_approvals.clone, container, seeded, clones))
    _bulk.analyze(container.db)
    print(f"{sizes.seeds} contracts submitted through the engine in {submitted:.1f} s "
          f"({sum(seeded.tasks)} approval tasks); {clones:,} clones added in {cloning:.1f} s")


def describe_setup(container: bootstrap.Container, quick: bool) -> None:
    with container.db.connect() as connection:
        server = connection.scalar(text("SHOW server_version"))
        tasks = dict(connection.execute(text(
            "SELECT t.assignee, count(*) FROM human_task t JOIN approval_round r "
            "ON r.instance_id = t.instance_id AND r.outcome = 'pending' GROUP BY t.assignee")).all())
        contracts = connection.scalar(text("SELECT count(*) FROM contract WHERE status = 'submitted'"))
        state = connection.scalar(text("SELECT avg(length(state)) FROM process_instance"))
    print(f"Dealflow approvals benchmark ({'quick' if quick else 'full'} sizes): Python "
          f"{sys.version.split()[0]}, PostgreSQL {server}, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"{sum(tasks.values()):,} open approval tasks on {contracts:,} submitted contracts "
          f"(state {state / 1024:.1f} KiB per instance on average); by approver: "
          + ", ".join(f"{name} {count:,}" for name, count in sorted(tasks.items(), key=lambda i: -i[1])))
    print("HTTP through Flask's test client (in process, no sockets).")


def bench_pages(app: Flask, sizes: Sizes) -> list[Figure]:
    print(f"\n(a) The inbox page, {sizes.requests} requests each after {sizes.warmup} untimed (median / p95)")
    clients: dict[str, FlaskClient] = {}
    figures = []
    for label, (username, url) in PAGES.items():
        client = clients.setdefault(username, log_in(app, username))
        total = shown_total(client, url)
        times = latencies(partial(get_ok, client, url), sizes.requests, sizes.warmup)
        print(f"    {label:<28} {ms(median(times)):>10} / {ms(p95(times)):>10}   "
              f"{username}, {total:>6,} tasks  {url}")
        figures.append(Figure(f"(a) {label}, {username} (median; p95 {ms(p95(times))})", ms(median(times)),
                              f"< {PAGE_TARGET_MS:.0f} ms", median(times) * 1000 < PAGE_TARGET_MS))
    return figures


def shown_total(client: FlaskClient, url: str) -> int:
    """The task count in the page's table footer."""
    found = re.search(r"<tfoot><tr><th[^>]*>([\d,]+) ", client.get(url).text)
    return int(found.group(1).replace(",", "")) if found else -1


def bench_bulk(app: Flask, container: bootstrap.Container, sizes: Sizes) -> list[Figure]:
    """POST /approvals/decide with the director's 100 oldest tasks, then the next 100, ..."""
    client = log_in(app, DIRECTOR)
    totals = []
    print(f"\n(b) Approve {BULK} tasks at once: POST /approvals/decide as {DIRECTOR}, {sizes.bulk_runs} runs")
    for run in range(1, sizes.bulk_runs + 1):
        page = client.get(f"/approvals?per_page={BULK}").text
        ids = re.findall(r'name="task_ids" value="([0-9a-f-]{36})"', page)[:BULK]
        data = {"csrf_token": csrf_token(page), "decision": "approve", "comment": "", "task_ids": ids}
        before = _count(container, "approval_decision")
        response, seconds = measured(partial(client.post, "/approvals/decide", data=data))
        decided = _count(container, "approval_decision") - before
        if response.status_code != 200 or decided != len(ids):
            raise RuntimeError(f"bulk approval answered {response.status_code} and decided {decided}")
        totals.append(seconds)
        active = _count(container, "contract", "status = 'active'")
        print(f"    run {run}: {len(ids)} approved in {seconds:.2f} s "
              f"({seconds / len(ids) * 1000:.1f} ms a task); {active:,} contracts active so far")
    per_task = [t / BULK for t in totals]
    return [Figure(f"(b) approve {BULK} at once, total (median of {len(totals)} runs)",
                   f"{median(totals):.2f} s"),
            Figure(f"(b) approve {BULK} at once, per task (median of the runs)",
                   ms(median(per_task)), f"< {PER_TASK_TARGET_MS:.0f} ms",
                   median(per_task) * 1000 < PER_TASK_TARGET_MS)]


def _count(container: bootstrap.Container, table: str, where: str = "TRUE") -> int:
    with container.db.connect() as connection:
        return _bulk.count_rows(connection, table, where)


def explain(app: Flask, container: bootstrap.Container, full: bool) -> None:
    """EXPLAIN ANALYZE each inbox query the pages run: total time and the scans used."""
    print("\n(c) Query plans of the inbox's queries (EXPLAIN ANALYZE on PostgreSQL)")
    clients: dict[str, FlaskClient] = {}
    for label, (username, url) in PAGES.items():
        client = clients.setdefault(username, log_in(app, username))
        with captured(container) as statements:
            get_ok(client, url)
        inbox = [(sql, parameters) for sql, parameters in statements if "approval_round" in sql]
        for statement, parameters in inbox:
            plan = query_plan(container, statement, parameters)
            scans = sorted({_scan(line) for line in plan if "Scan" in line})
            kind = "count" if statement.lstrip().startswith("SELECT count") else "rows"
            print(f"  {label} {kind}: {plan[-1].strip()}; {'; '.join(scans)}")
            if full:
                print("\n".join(f"      {line}" for line in plan))


def query_plan(container: bootstrap.Container, statement: str, parameters: Any) -> list[str]:
    with container.db.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, COSTS OFF) {statement}", parameters)
        return [row[0] for row in rows]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark the approver inbox and bulk approval.")
    for flag, meaning in (("--quick", "small sizes, for a smoke run"),
                          ("--explain", "print each query plan in full")):
        parser.add_argument(flag, action="store_true", help=meaning)
    parser.add_argument("--postgres-url", help="the database to DROP and recreate (named '...bench...')",
                        default=os.environ.get("DEALFLOW_BENCH_APPROVALS_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    return parser.parse_args(argv)


def fresh_container(url: str) -> bootstrap.Container:
    """A new, migrated benchmark database and a container on it, its clock stopped."""
    _bulk.recreate_database(url)
    migrate.upgrade(url)
    return bootstrap.build(Settings(database_url=url), clock=ManualClock())


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes, began = QUICK if args.quick else FULL, time.perf_counter()
    container = fresh_container(args.postgres_url)
    load(container, sizes)
    describe_setup(container, args.quick)
    app = create_app(container=container)
    figures = bench_pages(app, sizes)
    explain(app, container, args.explain)
    figures += bench_bulk(app, container, sizes)
    container.db.dispose()
    print(f"\nSummary ({'quick' if args.quick else 'full'} sizes, whole run "
          f"{time.perf_counter() - began:.0f} s)\n{summary_table(figures)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
