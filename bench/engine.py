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
import os
import sqlite3
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

# This file is called engine.py and Python puts its folder first on sys.path, where it
# would shadow the ``engine`` package; put the project root first instead, then import.
# ruff: noqa: E402
sys.path[:] = [str(Path(__file__).resolve().parents[1])] + [
    p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import SpiffWorkflow
from sqlalchemy import event, text

import bootstrap
from bench import _bulk
from bench._common import (
    FULL,
    LONG_PIPELINE,
    PIPELINE,
    QUICK,
    STAGE_DATA,
    Sizes,
    open_container,
    pipeline_spec,
    run_instance,
)
from bench._stats import Figure, median, print_profile, rate_runs, summary_table, timed
from bench._task_lists import bench_task_lists
from bench._timers import bench_timers
from core.clock import ManualClock
from engine.serializer import StateSerializer
from engine.specs import LoadedSpec
from engine.stepping import (
    DealflowScriptEngine,
    StepLog,
    advance,
    complete_user_task,
    new_workflow,
    ready_user_tasks,
)

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/dealflow_bench"
MAX_STATE_BYTES = 12 * 1024


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
    print_profile(lambda: [run_instance(container, PIPELINE, "alice", 6) for _ in range(count)],
                  f"cProfile of {count} persisted lifecycles on PostgreSQL, by cumulative time, "
                  "engine/ and core/ only:", "engine|core")


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
