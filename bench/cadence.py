"""Follow-up cadence benchmark on PostgreSQL: starting cycles, firing a day's follow-ups, and
the no-contact flags and recycling forecast over a large lead table.

Run it from the project root (PostgreSQL must be reachable):

    PYTHONPATH=. .venv/bin/python bench/cadence.py            # 2,000 cycles, 100,000 leads
    PYTHONPATH=. .venv/bin/python bench/cadence.py --quick    # a smoke run

PostgreSQL is ``postgresql+psycopg://postgres@127.0.0.1:5432/dealflow_cadence_bench`` unless
``--postgres-url`` or ``DEALFLOW_BENCH_CADENCE_POSTGRES_URL`` says otherwise. That database
is DROPPED and created afresh, so its name must contain "bench".

(a) The sweep gives ``cycles`` newly assigned leads their ``lead_followup`` cycle, one
transaction each, as the scheduler does: cycles started per second.
(b) The clock moves eight days: the timer sweep gives every one of those leads its
follow-up task: follow-ups per second.
(c) ``leads`` leads in all (the rest written straight to the table with their cadence
columns, contacted from 0 to 90 days ago), then the queries a person's pages run:
the start page's no-contact counts (a rep, a manager, an admin), the list of leads not
contacted for 30 days, and what goes back to a pool within seven days; median and p95.
This is a benchmark, not a test: nothing is asserted about time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

# ruff: noqa: E402
sys.path[:] = [str(Path(__file__).resolve().parents[1])] + [
    p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from sqlalchemy import func, insert, select, text

import bootstrap
from bench._bulk import bench_parser, recreate_database
from bench._stats import Figure, median, ms, p95, summary_table
from core import migrate
from core.clock import ManualClock
from core.settings import Settings
from engine import HumanTask, fire_due_timers
from workflows.leads.follow_up_status import no_contact_counts, recycling_between
from workflows.leads.lists import LeadFilter, list_leads
from workflows.leads.models import Lead, Pool
from workflows.org.models import User
from workflows.org.visibility import Viewer, viewer_for

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/dealflow_cadence_bench"
REPS = ("zhang.wei", "li.na", "wang.fang", "zhao.qiang", "wu.jing", "sun.li", "ma.chao", "guo.hua")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    cycles, leads, queries = (200, 10_000, 50) if args.quick else (args.cycles, args.leads, 200)
    recreate_database(args.postgres_url)
    migrate.upgrade(args.postgres_url)
    clock = ManualClock()
    container = bootstrap.build(Settings(database_url=args.postgres_url), clock=clock)
    bootstrap.deploy_shipped(container)
    bootstrap.load_demo(container)
    bootstrap.follow_up_leads(container)  # the demo's own leads
    started = time.perf_counter()
    figures = start_cycles(container, cycles) + fire_follow_ups(container, clock, cycles)
    figures += page_queries(container, leads, queries)
    print(f"\nSummary (whole run {time.perf_counter() - started:.0f} s, load average at the end "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())})")
    print(summary_table(figures))


def start_cycles(container: bootstrap.Container, cycles: int) -> list[Figure]:
    now = container.engine.clock.now()
    with container.uow() as uow:
        pool = uow.session.scalars(select(Pool.id).order_by(Pool.id)).first()
        uow.session.execute(insert(Lead), [_lead(number, pool, now) for number in range(cycles)])
        uow.commit()
    began = time.perf_counter()
    started = 0
    while report := bootstrap.follow_up_leads(container):
        if not report.started:
            break
        started += len(report.started)
    elapsed = time.perf_counter() - began
    print(f"(a) {started:,} cycles started in {elapsed:.1f} s")
    return [Figure("(a) follow-up cycles started per second", f"{started / elapsed:.0f}/s")]


def fire_follow_ups(container: bootstrap.Container, clock: ManualClock, cycles: int) -> list[Figure]:
    clock.advance(days=8)  # warm leads: every seven days
    began = time.perf_counter()
    fired = 0
    while report := fire_due_timers(container.engine, container.session_factory, limit=500):
        if not report.fired:
            break
        fired += report.fired
    elapsed = time.perf_counter() - began
    with container.session_factory() as session:
        tasks = session.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.bpmn_id == "follow_up")) or 0
    print(f"(b) {fired:,} instances' timers fired in {elapsed:.1f} s: {tasks:,} follow-up tasks open")
    return [Figure("(b) follow-up tasks created per second (timer sweep)", f"{fired / elapsed:.0f}/s")]


def page_queries(container: bootstrap.Container, leads: int, queries: int) -> list[Figure]:
    now = container.engine.clock.now()
    with container.uow() as uow:
        pool = uow.session.scalars(select(Pool.id).order_by(Pool.id)).first()
        have = uow.session.scalar(select(func.count()).select_from(Lead)) or 0
        batch = [_lead(number, pool, now, aged=True) for number in range(have, leads)]
        for start in range(0, len(batch), 10_000):
            uow.session.execute(insert(Lead), batch[start:start + 10_000])
        uow.commit()
    with container.db.connect() as connection:
        connection.execute(text("ANALYZE lead"))
        connection.commit()
    viewers = {name: _viewer(container, name) for name in ("zhang.wei", "liu.yang", "admin")}
    checks = {
        "start page counts, a rep": lambda s: no_contact_counts(s, viewers["zhang.wei"], now),
        "start page counts, a manager": lambda s: no_contact_counts(s, viewers["liu.yang"], now),
        "start page counts, an admin (all)": lambda s: no_contact_counts(s, viewers["admin"], now),
        "30+ days list page, a manager": lambda s: list_leads(
            s, viewers["liu.yang"], LeadFilter("visible", no_contact=30), now),
        "back to the pool within 7 days, a manager": lambda s: recycling_between(
            s, viewers["liu.yang"], now, now + timedelta(days=7)),
    }
    figures = []
    print(f"(c) {leads:,} leads; {queries} runs of each query")
    for name, query in checks.items():
        timings = []
        with container.session_factory() as session:
            for _ in range(queries):
                began = time.perf_counter()
                query(session)
                timings.append(time.perf_counter() - began)
        print(f"    {name}: median {ms(median(timings))}  p95 {ms(p95(timings))}")
        figures.append(Figure(f"(c) {name}, median (p95)", f"{ms(median(timings))} ({ms(p95(timings))})"))
    return figures


def _lead(number: int, pool: int | None, now: object, aged: bool = False) -> dict[str, object]:
    """A worked lead; ``aged`` ones carry cadence columns as if contacted 0-90 days ago."""
    moment = now - timedelta(days=number % 91, hours=number % 24) if aged else now  # type: ignore[operator]
    return {"name": f"线索{number}", "company": f"公司{number}", "phone": f"136{number:08d}",
            "source": "import",
            "rating": "warm", "status": "working", "owner": REPS[number % len(REPS)], "pool_id": pool,
            "assigned_at": moment, "created_at": moment, "updated_at": moment, "match_name": f"线索{number}",
            "match_company": f"公司{number}", "followup_stale": not aged,
            "followup_since": moment if aged else None,
            "recycle_at": moment + timedelta(days=90) if aged else None}


def _viewer(container: bootstrap.Container, username: str) -> Viewer:
    with container.session_factory() as session:
        user_id = session.scalars(select(User.id).where(User.username == username)).one()
        viewer = viewer_for(session, user_id)
    assert viewer is not None
    return viewer


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = bench_parser(__doc__ or "", "DEALFLOW_BENCH_CADENCE_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    parser.add_argument("--cycles", type=int, default=2_000)
    parser.add_argument("--leads", type=int, default=100_000)
    return parser.parse_args(argv)


if __name__ == "__main__":
    main()
