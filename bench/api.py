"""API benchmark: Dealflow's JSON API over HTTP with token auth on PostgreSQL, against SpiffArena.

Run it from the project root (PostgreSQL must be reachable):

    PYTHONPATH=. .venv/bin/python bench/api.py             # full run, a few minutes
    PYTHONPATH=. .venv/bin/python bench/api.py --quick     # small sizes, a smoke run
    PYTHONPATH=. .venv/bin/python bench/api.py --profile   # also cProfile completions in-process

PostgreSQL is ``postgresql+psycopg://postgres@127.0.0.1:5432/dealflow_api_bench`` unless
``--postgres-url`` or ``DEALFLOW_BENCH_API_POSTGRES_URL`` says otherwise. That database is
DROPPED and created afresh, so its name must contain "bench".

The real app (``wsgi:app``, production settings) runs under gunicorn with one sync worker
on localhost; one client calls it over HTTP, a new connection per call, as a rep
("user_7") with a bearer token. The workload is a 6-stage sequential process, each stage
a user task with a required text field and a number field, which reps may start
(``camunda:candidateStarterGroups="sales_rep"``). It prints, timed with
``time.perf_counter`` around each whole HTTP call:

(a) start to first task: POST /processes/pipeline6/instances, whose answer holds the task;
(b) one completion: POST /tasks/{id}/complete;
(c) full lifecycles by one client: start, then complete each task the previous answer named;
(d) "my tasks": GET /tasks, the first page of 25 with the three tabs' counts as the inbox
    shows them (each exact up to a cap, "200+" past it), and GET /tasks?counts=false, the
    page and its total only (what SpiffArena's "my tasks" answers), at 5,000 and 100,000
    open instances, loaded by starting a few hundred in process at every stage and cloning
    them over 500 owners (bench/_bulk.py).

A summary compares each figure with SpiffArena's, measured on this kind of machine with
the same workload, and with the targets. This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

# Python puts this file's folder first on sys.path, where bench/engine.py would shadow the
# ``engine`` package; put the project root first instead, then import.
# ruff: noqa: E402
sys.path[:] = [str(Path(__file__).resolve().parents[1])] + [
    p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from sqlalchemy import text

import bootstrap
from bench import _bulk
from bench._common import PIPELINE, STAGE_DATA
from bench._diagrams import pipeline
from bench._http import Client, Server
from bench._stats import Figure, median, ms, p95, print_profile, summary_table
from bench._task_lists import ME, OWNERS, load_seeds
from core import migrate
from core.clock import ManualClock
from core.settings import Settings
from web import create_app
from workflows.org.passwords import hash_password
from workflows.org.service import insert_user
from workflows.org.tokens import issue_token
from workflows.org.units import insert_unit

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/dealflow_api_bench"
SPIFF_START, SPIFF_COMPLETION, SPIFF_RATE, SPIFF_MY_TASKS = 0.080, (0.053, 0.061), (2.2, 2.9), (0.036, 0.042)
MAX_COMPLETION, MIN_RATE, MAX_MY_TASKS = 0.006, 25.0, 0.015
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Sizes:
    seeds: int  # instances started in process at every stage, as clone sources
    open_instances: tuple[int, int]
    samples: int  # starts and completions timed one by one
    runs: int  # timed lifecycle runs whose median is reported
    lifecycles: int  # per run
    queries: int  # my-tasks calls per size


FULL = Sizes(seeds=300, open_instances=(5_000, 100_000), samples=300, runs=5, lifecycles=20, queries=300)
QUICK = Sizes(seeds=60, open_instances=(1_000, 5_000), samples=60, runs=3, lifecycles=8, queries=100)


# -- set-up -----------------------------------------------------------------------------------

def prepare(url: str, clock: ManualClock) -> tuple[bootstrap.Container, str]:
    """A fresh database with the pipeline deployed and the rep ``user_7``; returns their token."""
    _bulk.recreate_database(url)
    migrate.upgrade(url)
    container = bootstrap.build(Settings(database_url=url), clock=clock)
    with container.uow() as uow:
        container.engine.deploy(uow.session, {f"{PIPELINE}.bpmn": pipeline(6, starter_groups="sales_rep")},
                                "bench")
        team = insert_unit(uow.session, "Bench team", "team", None)
        user = insert_user(uow.session, username=ME, display_name="Bench rep", email="",
                           password_hash=hash_password(os.urandom(16).hex()), org_unit_id=team.id,
                           manager_id=None, roles=["sales_rep"], locale="en", timezone="UTC", now=clock.now())
        token = issue_token(uow.session, user.id, "bench", clock.now()).secret
        uow.commit()
    return container, token


def fill_to(container: bootstrap.Container, seeds: list[int], size: int) -> None:
    """Clone seeds until ``size`` instances are open, then refresh the planner's statistics."""
    with container.db.connect() as connection:
        running = _bulk.count_rows(connection, "process_instance", "status = 'running'")
    began = time.perf_counter()
    _bulk.clone_instances(container.db, seeds, size - running, OWNERS)
    _bulk.analyze(container.db)
    print(f"    cloned from {running:,} up to {size:,} open instances and analyzed in "
          f"{time.perf_counter() - began:.1f} s")


# -- the calls --------------------------------------------------------------------------------

def start(client: Client) -> tuple[Any, float]:
    return client.call("POST", f"/processes/{PIPELINE}/instances",
                       {"business_key": f"opportunity:api-{next(_numbers)}"})


def complete(client: Client, task_id: str) -> tuple[Any, float]:
    return client.call("POST", f"/tasks/{task_id}/complete", STAGE_DATA)


def first_task(instance: Any) -> str:
    [task] = instance["open_tasks"]
    return str(task["id"])


def lifecycle(client: Client) -> None:
    """Start, then complete whatever task each answer names, until the instance ends."""
    instance, _ = start(client)
    while instance["open_tasks"]:
        instance, _ = complete(client, first_task(instance))
    if instance["status"] != "completed":
        raise RuntimeError(f"instance {instance['id']} ended {instance['status']}")


def describe(label: str, samples: list[float]) -> str:
    return f"{label}: median {ms(median(samples))}  p95 {ms(p95(samples))}  ({len(samples)} calls)"


def starts_and_completions(client: Client, sizes: Sizes) -> tuple[list[float], list[float]]:
    """(a) and (b): time each start, then the completion of the task it opened."""
    for _ in range(10):  # warm the worker: spec cache, connection pool, prepared statements
        lifecycle(client)
    started = [start(client) for _ in range(sizes.samples)]
    completions = [complete(client, first_task(instance))[1] for instance, _ in started]
    return [seconds for _, seconds in started], completions


def lifecycle_rates(client: Client, sizes: Sizes) -> list[float]:
    rates = []
    for _ in range(sizes.runs):
        began = time.perf_counter()
        for _ in range(sizes.lifecycles):
            lifecycle(client)
        rates.append(sizes.lifecycles / (time.perf_counter() - began))
    return rates


LISTS = {"inbox": "/tasks", "page": "/tasks?counts=false"}


def my_tasks(client: Client, container: bootstrap.Container, queries: int) -> dict[str, list[float]]:
    """"My tasks" as the inbox asks for it (with the three tabs' counts) and as a plain page."""
    with container.db.connect() as connection:
        running = _bulk.count_rows(connection, "process_instance", "status = 'running'")
        mine = _bulk.count_rows(connection, "human_task", f"assignee = '{ME}'")
        unassigned = _bulk.count_rows(connection, "human_task", "assignee IS NULL")
    page, _ = client.call("GET", LISTS["inbox"])
    tabs = ", ".join(f"{tab} {count}{'+' if tab in page['counts_capped'] else ''}"
                     for tab, count in page["counts"].items())
    print(f"    {running:,} open instances; {ME} has {mine:,} tasks, {unassigned:,} are unassigned; "
          f"the inbox's tabs read: {tabs}")
    samples = {}
    for kind, path in LISTS.items():
        for _ in range(20):
            client.call("GET", path)
        samples[kind] = [client.call("GET", path)[1] for _ in range(queries)]
        print("      " + describe(f"GET {path}", samples[kind]))
    return samples


# -- profile ----------------------------------------------------------------------------------

def profile_completions(container: bootstrap.Container, token: str, count: int = 20) -> None:
    """cProfile ``count`` lifecycles through the same WSGI app in process (Flask's test client)."""
    client = create_app(container=container).test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def run() -> None:
        for _ in range(count):
            instance = client.post(f"/api/v1/processes/{PIPELINE}/instances", json={}, headers=headers).json
            while instance["open_tasks"]:
                task_id = instance["open_tasks"][0]["id"]
                instance = client.post(f"/api/v1/tasks/{task_id}/complete", json=STAGE_DATA,
                                       headers=headers).json

    run()  # warm
    print_profile(run, f"cProfile of {count} lifecycles (start + 6 completions) through the app in "
                  "process, by cumulative time, project code only:", "web|workflows|engine|core", 25)


# -- main -------------------------------------------------------------------------------------

def spiff_ratio(theirs: float, ours: float) -> str:
    return f"{theirs / ours:.1f}x"


def figures(starts: list[float], completions: list[float], rates: list[float],
            lists: dict[int, dict[str, list[float]]], sizes: Sizes) -> list[Figure]:
    rate = median(rates)
    return [
        Figure("(a) start to first task, median (p95)", f"{ms(median(starts))} ({ms(p95(starts))})",
               f"SpiffArena 80 ms: {spiff_ratio(SPIFF_START, median(starts))} faster"),
        Figure("(b) one completion, median (p95)", f"{ms(median(completions))} ({ms(p95(completions))})",
               "< 6 ms", median(completions) < MAX_COMPLETION),
        Figure("(b) vs SpiffArena 53-61 ms", f"{spiff_ratio(SPIFF_COMPLETION[0], median(completions))}-"
               f"{spiff_ratio(SPIFF_COMPLETION[1], median(completions))} faster"),
        Figure("(c) lifecycles/s, one client", f"{rate:.1f}/s", ">= 25/s", rate >= MIN_RATE),
        Figure("(c) vs SpiffArena 2.2-2.9/s", f"{rate / SPIFF_RATE[1]:.1f}x-{rate / SPIFF_RATE[0]:.1f}x"),
        *list_figures(lists, sizes),
    ]


def list_figures(lists: dict[int, dict[str, list[float]]], sizes: Sizes) -> list[Figure]:
    small, large = sizes.open_instances
    figures = []
    for kind, label in (("inbox", "with the 3 tab counts"), ("page", "page + total only")):
        at_small, at_large = lists[small][kind], lists[large][kind]
        figures += [
            Figure(f"(d) my tasks {label} @ {small:,}, median (p95)",
                   f"{ms(median(at_small))} ({ms(p95(at_small))})",
                   f"SpiffArena 36-42 ms: {spiff_ratio(SPIFF_MY_TASKS[0], median(at_small))}-"
                   f"{spiff_ratio(SPIFF_MY_TASKS[1], median(at_small))} faster"),
            Figure(f"(d) my tasks {label} @ {large:,}, p95 (median)",
                   f"{ms(p95(at_large))} ({ms(median(at_large))})", "p95 < 15 ms",
                   p95(at_large) < MAX_MY_TASKS),
        ]
    return figures


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def describe_setup(container: bootstrap.Container, sizes: Sizes, quick: bool, workers: int) -> None:
    with container.db.connect() as connection:
        server = connection.scalar(text("SHOW server_version"))
    print(f"Dealflow API benchmark ({'quick' if quick else 'full'} sizes): Python {sys.version.split()[0]}, "
          f"PostgreSQL {server}, {os.cpu_count()} CPUs; gunicorn, {workers} sync worker(s), one client "
          "over HTTP on localhost (a new connection per call), bearer token of a sales rep")
    print(f"Load average before the run: {load()} (other work on the machine slows every figure)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark Dealflow's JSON API over HTTP.")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--postgres-url", default=os.environ.get("DEALFLOW_BENCH_API_POSTGRES_URL",
                                                                 DEFAULT_POSTGRES_URL),
                        help="database to DROP and recreate (its name must contain 'bench')")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn sync workers")
    parser.add_argument("--profile", action="store_true", help="also cProfile lifecycles in process")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = QUICK if args.quick else FULL
    began = time.perf_counter()
    clock = ManualClock()
    container, token = prepare(args.postgres_url, clock)
    describe_setup(container, sizes, args.quick, args.workers)
    small, large = sizes.open_instances
    print(f"\nLoading {small:,} open instances: {sizes.seeds} started in process at every stage, "
          f"then cloned over {OWNERS} owners, 10% unassigned")
    seeds = load_seeds(container, clock, sizes.seeds)
    fill_to(container, seeds, small)
    lists: dict[int, dict[str, list[float]]] = {}
    with Server(args.postgres_url, args.workers) as server:
        client = Client(server.port, token)
        print(f"\n(d) my tasks at {small:,} open")
        lists[small] = my_tasks(client, container, sizes.queries)
        print(f"\n(a), (b) {sizes.samples} starts, then {sizes.samples} completions of the tasks they opened")
        starts, completions = starts_and_completions(client, sizes)
        print("    " + describe("start to first task", starts))
        print("    " + describe("one completion", completions))
        print(f"\n(c) lifecycles by one client, {sizes.runs} runs x {sizes.lifecycles}")
        rates = lifecycle_rates(client, sizes)
        runs = ", ".join(f"{r:.1f}" for r in rates)
        print(f"    runs: {runs} /s   median {median(rates):.1f} lifecycles/s")
        print(f"\n(d) my tasks at {large:,} open")
        fill_to(container, seeds, large)
        lists[large] = my_tasks(client, container, sizes.queries)
        later = starts_and_completions(client, replace(sizes, samples=sizes.samples // 3))[1]
        print("    " + describe(f"one completion at {large:,} open", later))
    if args.profile:
        profile_completions(container, token)
    container.db.dispose()
    mode = "quick" if args.quick else "full"
    print(f"\nSummary ({mode} sizes, whole run {time.perf_counter() - began:.0f} s, load average at the "
          f"end {load()})")
    print(summary_table(figures(starts, completions, rates, lists, sizes)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
