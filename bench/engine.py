"""Engine benchmark: how fast Dealflow's BPMN engine runs, persists, lists tasks and sweeps timers.

Run it from the project root (PostgreSQL must be reachable):

    PYTHONPATH=. .venv/bin/python bench/engine.py             # full run, a few minutes
    PYTHONPATH=. .venv/bin/python bench/engine.py --quick     # small sizes, a smoke run
    PYTHONPATH=. .venv/bin/python bench/engine.py --profile   # also cProfile persisted lifecycles

PostgreSQL is ``postgresql+psycopg://postgres@127.0.0.1:5432/dealflow_bench`` unless
``--postgres-url`` or ``DEALFLOW_BENCH_POSTGRES_URL`` says otherwise. That database is
DROPPED and created afresh, so its name must contain "bench". SQLite runs in a temporary
directory.

It prints, timed with ``time.perf_counter`` (medians over the number of runs it states):

(a) in-memory lifecycles/s of a 6-stage pipeline (start, 6 user tasks, end) driven by
    ``engine.stepping`` alone: the engine's limit;
(b) the same lifecycle through ``ProcessEngine`` with every action its own committed
    transaction, on SQLite and PostgreSQL, and its ratio to (a);
(c) task-list latency ("mine" and "claimable", first page of 25 by creation) with 10,000
    and 100,000 open instances on PostgreSQL, loaded by cloning a few hundred real ones;
(d) timer sweep time with 100,000 pending timers, none due and 1,000 due;
(e) the stored state size of a 10-stage pipeline at stage 6.

A summary table compares each figure with its target. This is a benchmark, not a test:
nothing is asserted about time.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import os
import pstats
import sqlite3
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

# This file is called engine.py and Python puts its folder first on sys.path, where it
# would shadow the ``engine`` package; put the project root first instead, then import.
# ruff: noqa: E402
sys.path[:] = [str(Path(__file__).resolve().parents[1])] + [
    p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import SpiffWorkflow
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

import bootstrap
from bench import _bulk
from bench._diagrams import pipeline, timer_wait
from bench._stats import Figure, measured, median, ms, p95, rate_runs, summary_table, timed
from core import migrate
from core.clock import ManualClock
from core.settings import Settings
from engine import HumanTask, SweepReport, TaskFilter, fire_due_timers, list_tasks
from engine.serializer import StateSerializer
from engine.specs import LoadedSpec, parse_sources
from engine.stepping import (
    DealflowScriptEngine,
    StepLog,
    advance,
    complete_user_task,
    new_workflow,
    ready_user_tasks,
)

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/dealflow_bench"
STAGE_DATA = {"note": "ok", "score": 3}
PIPELINE, LONG_PIPELINE, TIMER = "pipeline6", "pipeline10", "timer_wait"
OWNERS = 500  # task-list clones are spread over user_0 .. user_499
ME = "user_7"
FAR_AWAY = timedelta(days=3650)  # the not-due timers wait this much longer
TIMER_DURATION = timedelta(days=3)
MAX_STATE_BYTES = 12 * 1024
MAX_LATENCY = 0.005
MAX_EMPTY_SWEEP = 0.005
MAX_DUE_SWEEP = 10.0
LATENCY_GROWTH = 1.2  # "no worse at 100k than at 10k", allowing 20% for noise
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Sizes:
    runs: int  # timed runs whose median is reported, for (a) and (b)
    memory_lifecycles: int  # per run, (a)
    persisted_lifecycles: int  # per run, (b)
    seeds: int  # task-list instances started through the API before cloning, (c)
    open_instances: tuple[int, int]  # (c)
    queries: int  # per scope and size, (c)
    timers: int  # pending timers, (d)
    due: int  # of which due, (d)
    timer_seeds: int  # per group, started through the API, (d)
    due_runs: int  # sweeps of `due` due timers, (d)
    empty_sweeps: int  # sweeps with nothing due, (d)


FULL = Sizes(runs=5, memory_lifecycles=300, persisted_lifecycles=20, seeds=300,
             open_instances=(10_000, 100_000), queries=300, timers=100_000, due=1_000,
             timer_seeds=20, due_runs=3, empty_sweeps=201)
QUICK = Sizes(runs=3, memory_lifecycles=100, persisted_lifecycles=8, seeds=60,
              open_instances=(1_000, 5_000), queries=200, timers=5_000, due=100,
              timer_seeds=10, due_runs=2, empty_sweeps=201)


# -- processes ------------------------------------------------------------------------------

def pipeline_spec(stages: int) -> LoadedSpec:
    [loaded] = parse_sources({f"pipeline{stages}.bpmn": pipeline(stages)}).processes
    return loaded


def deploy_all(container: bootstrap.Container) -> None:
    with container.uow() as uow:
        for key, xml in ((PIPELINE, pipeline(6)), (LONG_PIPELINE, pipeline(10)), (TIMER, timer_wait())):
            container.engine.deploy(uow.session, {f"{key}.bpmn": xml}, "bench")
        uow.commit()


def open_container(url: str, clock: ManualClock) -> bootstrap.Container:
    """Migrate ``url``, wire a container on it and deploy the benchmark's processes."""
    migrate.upgrade(url)
    container = bootstrap.build(Settings(database_url=url), clock=clock)
    deploy_all(container)
    return container


# -- (a) in memory ----------------------------------------------------------------------------

def script_engine() -> DealflowScriptEngine:
    return DealflowScriptEngine(functions={}, invoke=lambda *args: None)


def memory_lifecycle(loaded: LoadedSpec, serializer: StateSerializer | None = None) -> None:
    """Start, complete every stage, end; with ``serializer``, save and restore after each action."""
    workflow = new_workflow(loaded, script_engine(), {"owner": "alice"})
    log = StepLog()
    advance(workflow, log)
    while tasks := ready_user_tasks(workflow):
        if serializer is not None:
            workflow = serializer.loads(serializer.dumps(workflow), loaded)
            workflow.script_engine = script_engine()
            [task] = ready_user_tasks(workflow)
        else:
            [task] = tasks
        complete_user_task(workflow, task, STAGE_DATA, log)
    if serializer is not None:
        serializer.dumps(workflow)
    if not workflow.is_completed():
        raise RuntimeError("the pipeline did not complete")


def bench_in_memory(sizes: Sizes) -> tuple[float, float]:
    loaded = pipeline_spec(6)
    serializer = StateSerializer()
    memory_lifecycle(loaded)
    print(f"\n(a) In-memory 6-stage lifecycles, {sizes.runs} runs x {sizes.memory_lifecycles}")
    rates = rate_runs(lambda: memory_lifecycle(loaded), sizes.memory_lifecycles, sizes.runs)
    print(f"    runs: {', '.join(f'{r:.0f}' for r in rates)} /s   median {median(rates):.0f} lifecycles/s")
    rates_io = rate_runs(lambda: memory_lifecycle(loaded, serializer), sizes.memory_lifecycles, sizes.runs)
    print(f"    with state save+restore around each action (no database): median "
          f"{median(rates_io):.0f} lifecycles/s  (a ceiling for (b))")
    return median(rates), median(rates_io)


# -- (b) persisted ----------------------------------------------------------------------------

def open_task(session: Session, instance_id: int) -> str | None:
    return session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id))


def run_instance(container: bootstrap.Container, key: str, owner: str, stages: int) -> int:
    """Start ``key`` and complete its first ``stages`` tasks, each action its own transaction.

    The next task's id is read inside the action's transaction (one indexed SELECT), as the
    engine does not return it.
    """
    with container.uow() as uow:
        instance = container.engine.start(uow.session, key, f"opportunity:{next(_numbers)}",
                                          {"owner": owner}, owner)
        instance_id, task_id = instance.id, open_task(uow.session, instance.id)
        uow.commit()
    for _ in range(stages):
        if task_id is None:
            raise RuntimeError(f"instance {instance_id} has no open task")
        with container.uow() as uow:
            container.engine.complete(uow.session, task_id, STAGE_DATA, owner)
            task_id = open_task(uow.session, instance_id)
            uow.commit()
    return instance_id


def statements_per_lifecycle(container: bootstrap.Container) -> int:
    count = 0

    def counter(*_: object) -> None:
        nonlocal count
        count += 1

    event.listen(container.db, "before_cursor_execute", counter)
    try:
        run_instance(container, PIPELINE, "alice", 6)
    finally:
        event.remove(container.db, "before_cursor_execute", counter)
    return count


def bench_persisted(container: bootstrap.Container, label: str, sizes: Sizes) -> float:
    for _ in range(2):  # warm the spec cache, the pool and prepared statements
        run_instance(container, PIPELINE, "alice", 6)
    rates = rate_runs(lambda: run_instance(container, PIPELINE, "alice", 6),
                      sizes.persisted_lifecycles, sizes.runs)
    statements = statements_per_lifecycle(container)
    print(f"    {label}: runs {', '.join(f'{r:.1f}' for r in rates)} /s   median {median(rates):.1f} "
          f"lifecycles/s   ({statements} SQL statements, 7 of them the benchmark's next-task lookups, "
          "and 7 commits per lifecycle)")
    return median(rates)


# -- (c) task lists ---------------------------------------------------------------------------

def load_seeds(container: bootstrap.Container, clock: ManualClock, count: int) -> list[int]:
    """Real instances at every stage, owned by distinct users, a minute apart."""
    seeds = []
    for i in range(count):
        clock.advance(minutes=1)
        seeds.append(run_instance(container, PIPELINE, f"user_{i % OWNERS}", i % 6))
    return seeds


@dataclass(frozen=True)
class Latency:
    samples: list[float]  # seconds per query
    rows: int  # tasks on the page

    def describe(self) -> str:
        return (f"median {ms(median(self.samples))}  p95 {ms(p95(self.samples))}  "
                f"({len(self.samples)} queries, {self.rows} tasks on the page)")


def query_latency(container: bootstrap.Container, task_filter: TaskFilter, queries: int) -> Latency:
    """Time first-page queries, each in its own session as a request would make it."""

    def query() -> int:
        with container.session_factory() as session:
            return len(list_tasks(session, task_filter, with_total=False).items)

    rows = [query() for _ in range(20)][-1]  # warm up
    return Latency([timed(query) for _ in range(queries)], rows)


def explain(container: bootstrap.Container, task_filter: TaskFilter) -> str:
    """EXPLAIN ANALYZE of the exact statement ``list_tasks`` sends (its first one)."""
    captured: list[tuple[str, Any]] = []

    def capture(_conn: object, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
        captured.append((statement, parameters))

    event.listen(container.db, "before_cursor_execute", capture)
    try:
        with container.session_factory() as session:
            list_tasks(session, task_filter, with_total=False)
    finally:
        event.remove(container.db, "before_cursor_execute", capture)
    statement, parameters = captured[0]
    with container.db.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters).all()
    return "\n".join(f"      {row[0]}" for row in rows)


SCOPES = {
    "mine": TaskFilter(user=ME, scope="mine", sort="created", per_page=25),
    "claimable": TaskFilter(user=ME, groups=("sales_rep",), scope="claimable", sort="created", per_page=25),
}


def measure_task_lists(container: bootstrap.Container, queries: int) -> dict[str, Latency]:
    with container.db.connect() as connection:
        running = _bulk.count_rows(connection, "process_instance", "status = 'running'")
        mine = _bulk.count_rows(connection, "human_task", f"assignee = '{ME}'")
        unassigned = _bulk.count_rows(connection, "human_task", "assignee IS NULL")
    print(f"    {running:,} open instances ({mine} tasks assigned to {ME}, {unassigned:,} unassigned)")
    results = {}
    for scope, task_filter in SCOPES.items():
        results[scope] = query_latency(container, task_filter, queries)
        print(f"      {scope:9s} {results[scope].describe()}")
    return results


def same_page_size(container: bootstrap.Container, small: dict[str, Latency], large: dict[str, Latency],
                   queries: int) -> dict[str, Latency]:
    """Large-size latencies with the page no longer than at the small size, for a fair growth ratio."""
    fair = {}
    for scope, task_filter in SCOPES.items():
        fair[scope] = large[scope]
        if small[scope].rows < large[scope].rows:
            fair[scope] = query_latency(container, replace(task_filter, per_page=small[scope].rows), queries)
            print(f"      {scope:9s} {fair[scope].describe()}  <- page cut to the size it had before")
    return fair


def task_list_figures(sizes: Sizes, results: dict[int, dict[str, Latency]],
                      fair: dict[str, Latency]) -> list[Figure]:
    small, large = sizes.open_instances
    figures = []
    for scope in SCOPES:
        for size in (small, large):
            latency = results[size][scope]
            figures.append(Figure(f"(c) {scope} p95 @ {size:,} open, {latency.rows} rows",
                                  f"{ms(p95(latency.samples))} (median {ms(median(latency.samples))})",
                                  "< 5 ms", p95(latency.samples) < MAX_LATENCY))
        growth = p95(fair[scope].samples) / p95(results[small][scope].samples)
        figures.append(Figure(f"(c) {scope} p95 @ {large:,} / @ {small:,}, {fair[scope].rows} rows both",
                              f"{growth:.2f}x", f"<= {LATENCY_GROWTH}x", growth <= LATENCY_GROWTH))
    return figures


def bench_task_lists(container: bootstrap.Container, clock: ManualClock, sizes: Sizes) -> list[Figure]:
    _bulk.truncate_runtime(container.db)
    print(f"\n(c) Task-list latency on PostgreSQL, list_tasks(with_total=False) in a new session each: "
          f"'{ME}', first page of 25 by created;\n    {sizes.seeds} instances started through the API "
          f"at every stage, cloned up to each size over {OWNERS} owners, 10% unassigned")
    seeds = load_seeds(container, clock, sizes.seeds)
    results: dict[int, dict[str, Latency]] = {}
    loaded = sizes.seeds
    for size in sizes.open_instances:
        began = time.perf_counter()
        _bulk.clone_instances(container.db, seeds, size - loaded, OWNERS)
        _bulk.analyze(container.db)
        seconds, loaded = time.perf_counter() - began, size
        print(f"    cloned up to {size:,} open instances and analyzed in {seconds:.1f} s")
        results[size] = measure_task_lists(container, sizes.queries)
    small, large = sizes.open_instances
    fair = same_page_size(container, results[small], results[large], sizes.queries)
    for scope, task_filter in SCOPES.items():
        print(f"    EXPLAIN ANALYZE of the {scope} query at {loaded:,}:")
        print(explain(container, task_filter))
    return task_list_figures(sizes, results, fair)


# -- (d) timers -------------------------------------------------------------------------------

def start_timer_seeds(container: bootstrap.Container, count: int) -> list[int]:
    return [run_instance(container, TIMER, "alice", 0) for _ in range(count)]


def load_timers(container: bootstrap.Container, clock: ManualClock,
                sizes: Sizes) -> tuple[list[int], datetime]:
    """``sizes.timers`` pending timers, ``sizes.due`` of them due once the clock passes start + 3 days.

    The not-due instances are started 10 years later in clock time, so their state waits that
    long, not only their timer row. Returns the templates of the due kind and their due moment:
    the templates' own timer rows are pushed out of reach, as they only serve as clone sources.
    """
    start = clock.now()
    clock.set(start + FAR_AWAY)
    later = start_timer_seeds(container, sizes.timer_seeds)
    clock.set(start)
    templates = start_timer_seeds(container, sizes.timer_seeds)
    with container.db.begin() as connection:
        connection.execute(text("UPDATE engine_timer SET due_at = due_at + :far "
                                "WHERE instance_id = ANY(:ids)"), {"far": FAR_AWAY * 2, "ids": templates})
    not_due = sizes.timers - sizes.due - len(later) - len(templates)
    _bulk.clone_instances(container.db, later, not_due)
    _bulk.clone_instances(container.db, templates, sizes.due, timer_due=start + TIMER_DURATION)
    _bulk.analyze(container.db)
    return templates, start + TIMER_DURATION


def pending_timers(container: bootstrap.Container, now: datetime) -> tuple[int, int]:
    with container.db.connect() as connection:
        total = _bulk.count_rows(connection, "engine_timer")
        due = int(connection.scalar(text("SELECT count(*) FROM engine_timer WHERE due_at <= :now"),
                                    {"now": now}) or 0)
    return total, due


def completed_instances(container: bootstrap.Container) -> int:
    with container.db.connect() as connection:
        return _bulk.count_rows(connection, "process_instance", "status = 'completed'")


def sweep(container: bootstrap.Container, clock: ManualClock) -> SweepReport:
    return fire_due_timers(container.engine, container.session_factory, now=clock.now(), limit=100_000)


def empty_sweeps(container: bootstrap.Container, clock: ManualClock, sizes: Sizes) -> list[float]:
    total, due = pending_timers(container, clock.now())
    print(f"    nothing due: {total:,} pending, {due} due at {clock.now():%Y-%m-%d %H:%M}")
    for _ in range(20):
        sweep(container, clock)
    samples = [timed(lambda: sweep(container, clock)) for _ in range(sizes.empty_sweeps)]
    print(f"      median {ms(median(samples))}  p95 {ms(p95(samples))}  ({sizes.empty_sweeps} sweeps)")
    return samples


def due_sweeps(container: bootstrap.Container, clock: ManualClock, sizes: Sizes,
               templates: list[int], due_at: datetime) -> list[float]:
    """Sweeps that each fire ``sizes.due`` timers; fresh due clones replace the fired ones."""
    clock.set(due_at + timedelta(minutes=1))
    samples = []
    for run in range(sizes.due_runs):
        if run:
            _bulk.clone_instances(container.db, templates, sizes.due, timer_due=due_at)
        total, due = pending_timers(container, clock.now())
        completed = completed_instances(container)
        report, seconds = measured(lambda: sweep(container, clock))
        samples.append(seconds)
        print(f"    run {run + 1}: {total:,} pending, {due:,} due -> fired {report.fired:,} "
              f"({completed_instances(container) - completed:,} instances completed), "
              f"failed {len(report.failed)}, in {seconds:.2f} s ({seconds / max(report.fired, 1) * 1000:.1f} "
              "ms per instance)")
    return samples


def bench_timers(container: bootstrap.Container, clock: ManualClock, sizes: Sizes) -> list[Figure]:
    _bulk.truncate_runtime(container.db)
    print(f"\n(d) Timer sweep on PostgreSQL (fire_due_timers, limit=100000), {sizes.timers:,} pending timers")
    (templates, due_at), seconds = measured(lambda: load_timers(container, clock, sizes))
    print(f"    loaded {2 * sizes.timer_seeds} through the API and cloned the rest in {seconds:.1f} s")
    empty = empty_sweeps(container, clock, sizes)
    busy = due_sweeps(container, clock, sizes, templates, due_at)
    return [
        Figure(f"(d) sweep, {sizes.timers:,} pending, 0 due", f"{ms(median(empty))} (p95 {ms(p95(empty))})",
               "< 5 ms", median(empty) < MAX_EMPTY_SWEEP),
        Figure(f"(d) sweep, {sizes.timers:,} pending, {sizes.due:,} due",
               f"{median(busy):.2f} s (median of {len(busy)})", "< 10 s", median(busy) < MAX_DUE_SWEEP),
    ]


# -- (e) state size ---------------------------------------------------------------------------

def bench_state_size(container: bootstrap.Container) -> Figure:
    instance_id = run_instance(container, LONG_PIPELINE, "alice", 5)
    with container.db.connect() as connection:
        raw, stored = connection.execute(text(
            "SELECT octet_length(state), pg_column_size(state) FROM process_instance WHERE id = :id"),
            {"id": instance_id}).one()
    print(f"\n(e) State of a 10-stage pipeline at stage 6: {raw:,} bytes of JSON "
          f"({stored:,} bytes on disk after PostgreSQL's compression)")
    return Figure("(e) state bytes, 10-stage pipeline at stage 6", f"{raw:,} B", "< 12 KiB",
                  raw < MAX_STATE_BYTES)


# -- main -------------------------------------------------------------------------------------

def bench_persisted_all(sqlite: bootstrap.Container, postgres: bootstrap.Container, memory_rate: float,
                        sizes: Sizes) -> list[Figure]:
    print(f"\n(b) Persisted 6-stage lifecycles through ProcessEngine, each action its own committed "
          f"transaction, {sizes.runs} runs x {sizes.persisted_lifecycles}")
    figures = []
    for label, container in (("SQLite", sqlite), ("PostgreSQL", postgres)):
        rate = bench_persisted(container, label, sizes)
        ratio = rate / memory_rate
        print(f"      ratio (b)/(a) = {ratio:.3f}")
        on_postgres = label == "PostgreSQL"
        figures += [Figure(f"(b) {label} lifecycles/s", f"{rate:.1f}/s"),
                    Figure(f"(b)/(a) {label}", f"{ratio:.3f}", ">= 0.25" if on_postgres else "-",
                           ratio >= 0.25 if on_postgres else None)]
    return figures


def statement_breakdown(container: bootstrap.Container, count: int = 10) -> None:
    """Per lifecycle: each kind of SQL statement, how often it runs and its time in cursor.execute."""
    calls: Counter[str] = Counter()
    seconds: defaultdict[str, float] = defaultdict(float)
    started: list[float] = []

    def before(*_: object) -> None:
        started.append(time.perf_counter())

    def after(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        kind = " ".join(statement.replace("(", " ").split()[:3])
        calls[kind] += 1
        seconds[kind] += time.perf_counter() - started.pop()

    event.listen(container.db, "before_cursor_execute", before)
    event.listen(container.db, "after_cursor_execute", after)
    try:
        wall = timed(lambda: [run_instance(container, PIPELINE, "alice", 6) for _ in range(count)])
    finally:
        event.remove(container.db, "before_cursor_execute", before)
        event.remove(container.db, "after_cursor_execute", after)
    print(f"\nSQL per persisted lifecycle on PostgreSQL (mean of {count}; wall {wall / count * 1000:.1f} ms, "
          f"of which {sum(seconds.values()) / count * 1000:.1f} ms in cursor.execute, commits not included):")
    for kind, n in calls.most_common():
        note = "  (the benchmark's own next-task lookup)" if kind == "SELECT human_task.id FROM" else ""
        print(f"    {n / count:5.1f} x  {seconds[kind] / count * 1000:6.2f} ms  {kind}{note}")


def profile_lifecycles(container: bootstrap.Container, count: int = 10) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(lambda: [run_instance(container, PIPELINE, "alice", 6) for _ in range(count)])
    stats = pstats.Stats(profiler, stream=sys.stdout)
    root = str(Path(__file__).resolve().parents[1])
    print(f"\ncProfile of {count} persisted lifecycles on PostgreSQL, by cumulative time, "
          "engine/ and core/ only:")
    stats.sort_stats("cumulative").print_stats(f"{root}/(engine|core)/", 20)
    print("by own time:")
    stats.sort_stats("tottime").print_stats(15)


def describe_setup(sizes: Sizes, postgres: bootstrap.Container, quick: bool) -> None:
    with postgres.db.connect() as connection:
        server = connection.scalar(text("SHOW server_version"))
    print(f"Dealflow engine benchmark ({'quick' if quick else 'full'} sizes): Python "
          f"{sys.version.split()[0]}, SpiffWorkflow {SpiffWorkflow.__version__}, SQLite "
          f"{sqlite3.sqlite_version}, PostgreSQL {server}, {os.cpu_count()} CPUs")
    print(f"Rates are medians of {sizes.runs} timed runs; latencies are medians and p95s of single calls.")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark Dealflow's BPMN engine.")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--postgres-url", default=os.environ.get("DEALFLOW_BENCH_POSTGRES_URL",
                                                                 DEFAULT_POSTGRES_URL),
                        help="database to DROP and recreate (its name must contain 'bench')")
    parser.add_argument("--profile", action="store_true",
                        help="also cProfile a few persisted lifecycles on PostgreSQL")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = QUICK if args.quick else FULL
    began = time.perf_counter()
    clock = ManualClock()  # one clock for every container: the engine's clock is process-wide
    _bulk.recreate_database(args.postgres_url)
    postgres = open_container(args.postgres_url, clock)
    describe_setup(sizes, postgres, args.quick)
    memory_rate, memory_io_rate = bench_in_memory(sizes)
    figures = [Figure("(a) in-memory lifecycles/s (engine limit)", f"{memory_rate:.0f}/s"),
               Figure("(a) in memory + state save/restore per action", f"{memory_io_rate:.0f}/s")]
    with tempfile.TemporaryDirectory(prefix="dealflow-bench-") as folder:
        sqlite = open_container(f"sqlite:///{Path(folder) / 'bench.db'}", clock)
        figures += bench_persisted_all(sqlite, postgres, memory_rate, sizes)
        sqlite.db.dispose()
    statement_breakdown(postgres)
    if args.profile:
        profile_lifecycles(postgres)
    figures += bench_task_lists(postgres, clock, sizes)
    figures += bench_timers(postgres, clock, sizes)
    figures.append(bench_state_size(postgres))
    postgres.db.dispose()
    mode = "quick" if args.quick else "full"
    print(f"\nSummary ({mode} sizes, whole run {time.perf_counter() - began:.0f} s)")
    print(summary_table(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
