"""(d) The timer sweep with 100,000 pending timers: none due, then 1,000 due."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text

import bootstrap
from bench import _bulk
from bench._common import TIMER, Sizes, run_instance
from bench._stats import Figure, measured, median, ms, p95, timed
from core.clock import ManualClock
from engine import SweepReport, fire_due_timers

FAR_AWAY = timedelta(days=3650)  # the not-due timers wait this much longer
TIMER_DURATION = timedelta(days=3)
MAX_EMPTY_SWEEP = 0.005
MAX_DUE_SWEEP = 10.0


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


