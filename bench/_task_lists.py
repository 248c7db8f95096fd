"""(c) Task-list latency at 10,000 and 100,000 open instances on PostgreSQL."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import event

import bootstrap
from bench import _bulk
from bench._common import PIPELINE, Sizes, run_instance
from bench._stats import Figure, median, ms, p95, timed
from core.clock import ManualClock
from engine import TaskFilter, list_tasks

OWNERS = 500  # task-list clones are spread over user_0 .. user_499
ME = "user_7"
MAX_LATENCY = 0.005
LATENCY_GROWTH = 1.2  # "no worse at 100k than at 10k", allowing 20% for noise


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


