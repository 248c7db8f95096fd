"""Reports benchmark on PostgreSQL: the sales funnel and the stage conversion over 100,000
opportunities with their stage history and 1,000,000 rows of engine history, and the approval
turnaround per approver over 80,000 approval decisions taken in five years.

Run it from the project root (PostgreSQL must be reachable):

    PYTHONPATH=. .venv/bin/python bench/reports.py            # 100,000 opportunities, 80,000 decisions
    PYTHONPATH=. .venv/bin/python bench/reports.py --quick    # 10,000 and 8,000, a smoke run
    PYTHONPATH=. .venv/bin/python bench/reports.py --explain  # also the reports' query plans

PostgreSQL is ``postgresql+psycopg://postgres@127.0.0.1:5432/dealflow_reports_bench`` unless
``--postgres-url`` or ``DEALFLOW_BENCH_REPORTS_POSTGRES_URL`` says otherwise. That database
is DROPPED and created afresh, so its name must contain "bench".

Setup: the demo organisation (ten reps in four teams, two branches), the shipped pipelines
and their three business types; then opportunities spread evenly over the reps, each with
a pipeline instance row and the history the engine and the step observer write for it
(``history_event``: started, stage entered, task created and completed, ended;
``opportunity_stage``: one row per stay), all written with COPY; the conversion report's
summary ``pipeline_stay`` is then filled by migration 0024's own statement. Each deal moves on from a
stage with a chance of 70%; one that stops there is lost (35%), abandoned (10%) or still
open; stays last 1 to 30 days over the last two years.
Approvals: contracts of the same reps submitted evenly over the last five years, each round
asking one to four directors (the rep's branch sales director first); a task is decided 1
hour to 5 days after it reached its approver, one in ten is handed to someone else first, and
15% of rounds end in a rejection (the tasks not yet decided are cancelled) and are submitted
again. The contracts, rounds, decisions and their task history are written with COPY;
``approval_decision.reached_at`` is then filled by migration 0026's own statement (timed).

(a) The report functions (the SQL and the assembly a page calls, each run in a session of its
own): the funnel and the conversion of the Standard sale pipeline for the company (the
general manager), a branch (the general manager narrowed to Shanghai) and a rep, each run
``runs`` times after a few untimed ones; median and p95 against the goal of 300 ms.
(b) The same as whole pages through Flask's test client (login session, scope pickers,
Jinja, Babel), median and p95.
(c) The approval turnaround report function for the same three scopes over five years and over
the default twelve months, median and p95 against the same goal; then its page over five years.
This is a benchmark, not a test: nothing is asserted about time.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

# ruff: noqa: E402
sys.path[:] = [str(Path(__file__).resolve().parents[1])] + [
    p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from flask.testing import FlaskClient
from sqlalchemy import event, select, text

import bootstrap
from bench._bulk import bench_parser, recreate_database
from bench._stats import Figure, median, ms, p95, summary_table
from core import migrate
from core.clock import ManualClock
from core.settings import Settings
from engine.deployment import require_latest
from web import create_app
from workflows.accounts.models import Account
from workflows.contracts.models import ContractType
from workflows.opportunities.models import BusinessType
from workflows.opportunities.pipeline import Stage, stages
from workflows.org.demo import DEMO_PASSWORD, PEOPLE, load_demo
from workflows.org.models import OrgUnit, User
from workflows.org.visibility import Viewer, viewer_for
from workflows.reports.approvals import turnaround
from workflows.reports.contracts import MoneyFilter, parse_money_filter
from workflows.reports.conversion import conversion
from workflows.reports.funnel import PipelineFilter, funnel
from workflows.reports.scope import ReportScope
from workflows.reports.table import Table

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/dealflow_reports_bench"
PIPELINES = {"Standard sale": "standard_sale", "Project tender": "project_tender",
             "Non-continuing project": "non_continuing_project"}
REPS = tuple(p.username for p in PEOPLE if p.role == "sales_rep")
GOAL_MS = 300.0
MOVE_ON, LOST, ABANDONED = 0.70, 0.35, 0.10
TIME_ZONE = "Asia/Shanghai"
# Approval roles in the order the decision table adds them, and who holds each (the sales
# director is the submitter's branch's); a task handed on goes to finance.
ROLES = ("sales_director", "commercial_director", "service_director", "general_manager")
HOLDERS = {"commercial_director": "li.ming", "service_director": "zhao.li", "general_manager": "wang.jianguo"}
BRANCH_DIRECTORS = {"sh": "chen.hao", "hz": "zhou.min"}
HANDED_TO = "sun.yan"
HANDED, REJECTED = 0.10, 0.15
APPROVAL_DAYS = 1800  # submissions spread over the five years up to the clock's day


@dataclass(frozen=True)
class Sizes:
    opportunities: int
    decisions: int  # approval decisions, at least
    runs: int  # timed runs per report and scope
    warmup: int


FULL = Sizes(opportunities=100_000, decisions=80_000, runs=100, warmup=5)
QUICK = Sizes(opportunities=10_000, decisions=8_000, runs=20, warmup=3)


@dataclass(frozen=True)
class Pipeline:
    type_id: int
    key: str
    definition_id: int
    open: list[Stage]
    ends: dict[str, Stage]  # status → its closed stage
    elements: dict[str, str]  # stage key → bpmn id


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__ or "", "DEALFLOW_BENCH_REPORTS_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    parser.add_argument("--explain", action="store_true", help="print the reports' query plans")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    began = time.perf_counter()
    recreate_database(args.postgres_url)
    migrate.upgrade(args.postgres_url)
    clock = ManualClock()
    container = bootstrap.build(Settings(database_url=args.postgres_url), clock=clock)
    bootstrap.deploy_shipped(container)
    seeding = time.perf_counter()
    pipelines = setup(container, sizes.opportunities, random.Random(11))
    backfill = setup_approvals(container, sizes.decisions, random.Random(13))
    settle(container)
    describe(container, time.perf_counter() - seeding, backfill)
    standard = pipelines["Standard sale"].type_id
    figures = bench_reports(container, standard, sizes, args.explain)
    figures += bench_pages(container, standard, sizes)
    figures += bench_turnaround(container, sizes, args.explain)
    figures.append(Figure("(c) migration 0026 filling reached_at", ms(backfill)))
    container.db.dispose()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nSummary ({'quick' if args.quick else 'full'} sizes, whole run "
          f"{time.perf_counter() - began:.0f} s, load average at the end {load})")
    print(summary_table(figures))
    return 0


# -- setup ----------------------------------------------------------------------------------

def setup(container: bootstrap.Container, count: int, rng: random.Random) -> dict[str, Pipeline]:
    now = container.engine.clock.now()
    with container.uow() as uow:
        load_demo(uow.session, now)
        types = [BusinessType(name=name, process_key=key) for name, key in PIPELINES.items()]
        uow.session.add_all(types)
        uow.session.flush()
        pipelines = {t.name: _pipeline(container, uow.session, t) for t in types}
        uow.commit()
    accounts = _accounts(container, now)
    rows = _generated(list(pipelines.values()), accounts, count, now, rng)
    with _copy(container) as copy:
        for table, columns in COLUMNS.items():
            copy(table, columns, getattr(rows, table))
    with container.db.begin() as connection:
        for table in ("process_instance", "opportunity"):
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) "
                                    f"FROM {table}"))
        _migration("0024_pipeline_stays").fill(connection)  # the conversion summary, as the upgrade fills it
    return pipelines


def _migration(name: str) -> Any:
    """A migration module, for the statement that fills its table from existing rows."""
    path = Path(__file__).resolve().parents[1] / "migrations" / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"migration_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pipeline(container: bootstrap.Container, session: Any, kind: BusinessType) -> Pipeline:
    definition = require_latest(session, kind.process_key)
    found = stages(container.engine, session, definition.id)
    outline = container.engine.outline(session, definition.id)
    elements = {e.properties["stage"]: e.id for e in reversed(outline) if e.properties.get("stage")}
    ends = {s.status: s for s in reversed([s for s in found if s.closed])}
    return Pipeline(kind.id, kind.process_key, definition.id, [s for s in found if not s.closed], ends,
                    elements)


def _accounts(container: bootstrap.Container, now: datetime) -> dict[str, int]:
    with container.uow() as uow:
        accounts = {rep: Account(name=f"{rep} bench account", owner=rep, created_at=now, updated_at=now)
                    for rep in REPS}
        uow.session.add_all(accounts.values())
        uow.commit()
        return {rep: account.id for rep, account in accounts.items()}


@dataclass
class Rows:
    """What COPY writes, table by table, in the order of ``COLUMNS``."""

    process_instance: list[tuple[Any, ...]] = field(default_factory=list)
    opportunity: list[tuple[Any, ...]] = field(default_factory=list)
    opportunity_stage: list[tuple[Any, ...]] = field(default_factory=list)
    history_event: list[tuple[Any, ...]] = field(default_factory=list)


COLUMNS = {
    "process_instance": ("id", "definition_id", "process_key", "business_key", "status", "state",
                         "serializer_version", "started_by", "started_at", "updated_at", "ended_at",
                         "version"),
    "opportunity": ("id", "name", "account_id", "business_type_id", "amount", "expected_close_date",
                    "source", "owner", "status", "stage", "stage_name", "probability", "stage_entered_at",
                    "close_reason", "process_instance_id", "created_at", "updated_at"),
    "opportunity_stage": ("opportunity_id", "stage", "name", "probability", "entered_at", "entered_by",
                          "left_at", "left_by"),
    "history_event": ("instance_id", "process_key", "business_key", "event", "task_guid", "bpmn_id", "name",
                      "actor", "at", "details"),
}


def _generated(pipelines: list[Pipeline], accounts: dict[str, int], count: int, now: datetime,
               rng: random.Random) -> Rows:
    """Rows for every table, deal by deal: the opportunity, its instance, its stays and its history."""
    rows = Rows()
    for number in range(1, count + 1):
        owner, pipeline = REPS[number % len(REPS)], pipelines[number % len(pipelines)]
        path, status = _path(pipeline, rng)
        start = now - timedelta(days=rng.uniform(40, 730))
        history = partial(_history, rows.history_event, number, pipeline, owner)
        history("instance_started", start)
        at = start
        for index, stage in enumerate(path):
            left = None if index == len(path) - 1 else at + timedelta(days=rng.uniform(1, 30))
            rows.opportunity_stage.append((number, stage.key, stage.name, stage.probability, at, owner, left,
                                           owner if left else None))
            history("stage_entered", at, stage)
            if not stage.closed:
                guid = f"{number:08d}-{index:04d}-4000-8000-000000000000"
                history("task_created", at, stage, guid)
                if left is not None:
                    history("task_completed", left, stage, guid)
            at = left or at
        if status != "open":
            history("instance_ended", at)
        current = path[-1]
        close = (at + timedelta(days=rng.randint(-30, 120))).date()
        cents = rng.randint(1_000, 2_000_000) * 100
        rows.opportunity.append((number, f"Deal {number}", accounts[owner], pipeline.type_id, cents, close,
                                 "other", owner, status, current.key, current.name, current.probability, at,
                                 "", number, start, at))
        ended = at if status != "open" else None
        rows.process_instance.append((number, pipeline.definition_id, pipeline.key, f"opportunity:{number}",
                                      "completed" if ended else "running", "{}", "1", owner, start, at, ended,
                                      1))
    return rows


def _history(events: list[tuple[Any, ...]], number: int, pipeline: Pipeline, owner: str, kind: str,
             when: datetime, stage: Stage | None = None, guid: str | None = None) -> None:
    """One ``history_event`` row as the engine writes it."""
    details = None
    if kind == "stage_entered" and stage is not None:
        details = json.dumps({"stage": stage.key, "probability": str(stage.probability)})
    events.append((number, pipeline.key, f"opportunity:{number}", kind, guid,
                   pipeline.elements.get(stage.key) if stage else None, stage.name if stage else None, owner,
                   when, details))


def _path(pipeline: Pipeline, rng: random.Random) -> tuple[list[Stage], str]:
    """The stages a deal went through and its status: on from each stage with MOVE_ON's chance."""
    reached = 0
    while reached < len(pipeline.open) and rng.random() < MOVE_ON:
        reached += 1
    if reached == len(pipeline.open):
        return [*pipeline.open, pipeline.ends["won"]], "won"
    roll = rng.random()
    status = "lost" if roll < LOST else "abandoned" if roll < LOST + ABANDONED else "open"
    path = pipeline.open[:reached + 1]
    return (path, status) if status == "open" else ([*path, pipeline.ends[status]], status)


@contextmanager
def _copy(container: bootstrap.Container) -> Iterator[Callable[[str, tuple[str, ...], list[Any]], None]]:
    """COPY rows into tables over one raw psycopg connection, committed at the end."""
    raw = container.db.raw_connection()
    try:
        cursor = raw.cursor()

        def copy(table: str, columns: tuple[str, ...], rows: list[Any]) -> None:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as stream:  # type: ignore[attr-defined]
                for row in rows:
                    stream.write_row(row)

        yield copy
        raw.commit()
    finally:
        raw.close()


@dataclass
class ApprovalRows:
    """What COPY writes for the approvals, table by table, in the order of ``APPROVAL_COLUMNS``."""

    process_instance: list[tuple[Any, ...]] = field(default_factory=list)
    contract: list[tuple[Any, ...]] = field(default_factory=list)
    approval_round: list[tuple[Any, ...]] = field(default_factory=list)
    approval_decision: list[tuple[Any, ...]] = field(default_factory=list)
    history_event: list[tuple[Any, ...]] = field(default_factory=list)


APPROVAL_COLUMNS = {
    "process_instance": COLUMNS["process_instance"],
    "contract": ("id", "number", "account_id", "contract_type_id", "owner", "status", "signed_on",
                 "sales_expense", "cost_reserve", "maintenance_reserve", "note", "approval_instance_id",
                 "submitted_at", "activated_at", "created_at", "updated_at"),
    "approval_round": ("id", "contract_id", "number", "instance_id", "submitted_by", "submitted_at",
                       "revenue", "gross_margin", "margin", "roles", "approvers", "stand_ins", "note",
                       "outcome", "decided_at"),
    "approval_decision": ("round_id", "task_guid", "role", "approver", "on_behalf_of", "decision", "comment",
                          "decided_at"),
    "history_event": COLUMNS["history_event"],
}


def setup_approvals(container: bootstrap.Container, count: int, rng: random.Random) -> float:
    """Contracts with their approval rounds, decisions and task history; returns the seconds
    migration 0026's statement took to fill ``reached_at`` for them."""
    now = container.engine.clock.now()
    with container.uow() as uow:
        kind = ContractType(name="Bench sale", approval_process_key="contract_approval")
        uow.session.add(kind)
        uow.session.flush()
        definition_id = require_latest(uow.session, "contract_approval").id
        accounts = {str(owner): account_id for owner, account_id in uow.session.execute(
            select(Account.owner, Account.id).where(Account.owner.in_(REPS)))}
        first_instance = uow.session.scalar(text("SELECT max(id) FROM process_instance")) or 0
        uow.commit()
    rows = _approvals(definition_id, kind.id, accounts, first_instance, count, now, rng)
    with _copy(container) as copy:
        for table, columns in APPROVAL_COLUMNS.items():
            copy(table, columns, getattr(rows, table))
    with container.db.begin() as connection:
        for table in ("process_instance", "contract", "approval_round"):
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) "
                                    f"FROM {table}"))
    with container.db.begin() as connection:
        began = time.perf_counter()
        _migration("0026_approval_decision_reached_at").fill(connection)
        return time.perf_counter() - began


def _approvals(definition_id: int, type_id: int, accounts: dict[str, int], first_instance: int, count: int,
               now: datetime, rng: random.Random) -> ApprovalRows:
    """Contract after contract until ``count`` decisions: each round's tasks, handovers and decisions."""
    rows, decisions, number, round_id = ApprovalRows(), 0, 0, 0
    branches = {p.username: p.unit.split("_")[0] for p in PEOPLE}
    while decisions < count:
        number += 1
        owner, instance = REPS[number % len(REPS)], first_instance + number
        holders = {**HOLDERS, "sales_director": BRANCH_DIRECTORS[branches[owner]]}
        roles = ROLES[:rng.randint(1, len(ROLES))]
        submitted = start = now - timedelta(days=rng.uniform(7, APPROVAL_DAYS))
        for attempt in (1, 2):
            round_id += 1
            rejected = attempt == 1 and rng.random() < REJECTED
            ended, taken = _round(rows, number, instance, attempt, round_id, owner, submitted, roles, holders,
                                  rejected, rng)
            decisions += taken
            rows.approval_round.append((
                round_id, number, attempt, instance, owner, submitted, 10_000_000, 3_000_000,
                Decimal("0.3000"), json.dumps(roles), json.dumps({role: holders[role] for role in roles}),
                "{}", "", "rejected" if rejected else "approved", ended))
            if not rejected:
                break
            submitted = ended + timedelta(days=rng.uniform(1, 5))
        rows.contract.append((number, f"B{number:07d}", accounts[owner], type_id, owner, "active",
                              ended.date(), 0, 7_000_000, 0, "", instance, submitted, ended, start, ended))
        rows.process_instance.append((instance, definition_id, "contract_approval", f"contract:{number}",
                                      "completed", "{}", "1", owner, start, ended, ended, 1))
    return rows


def _round(rows: ApprovalRows, number: int, instance: int, attempt: int, round_id: int, owner: str,
           submitted: datetime, roles: tuple[str, ...], holders: dict[str, str], rejected: bool,
           rng: random.Random) -> tuple[datetime, int]:
    """One round's tasks, as the engine and the step observer write them; when it ended and how
    many decisions it took. A rejection ends the round: tasks not decided by then are cancelled."""
    tasks = []
    for index, role in enumerate(roles):
        guid = f"{number:08d}-{attempt:04d}-4000-9000-{index:012d}"
        approver, reached = holders[role], submitted
        event = partial(_approval_history, rows.history_event, instance, number, guid, role)
        event("task_created", submitted, None, None)
        if rng.random() < HANDED:
            reached = submitted + timedelta(hours=rng.uniform(1, 48))
            event("task_assigned", reached, "admin", {"from": approver, "to": HANDED_TO})
            approver = HANDED_TO
        tasks.append((reached + timedelta(hours=rng.uniform(1, 120)), guid, role, approver, holders[role]))
    tasks.sort()
    last = rng.randrange(len(tasks)) if rejected else len(tasks) - 1
    for position, (decided, guid, role, approver, asked) in enumerate(tasks):
        event = partial(_approval_history, rows.history_event, instance, number, guid, role)
        if position > last:
            event("task_cancelled", tasks[last][0], None, None)
            continue
        decision = "reject" if rejected and position == last else "approve"
        event("task_completed", decided, approver, {"data": {"decision": decision}})
        rows.approval_decision.append((round_id, guid, role, approver, asked if approver != asked else None,
                                       decision, "Too cheap" if decision == "reject" else "", decided))
    return tasks[last][0], last + 1


def _approval_history(events: list[tuple[Any, ...]], instance: int, number: int, guid: str, role: str,
                      kind: str, when: datetime, actor: str | None, details: dict[str, Any] | None) -> None:
    """One ``history_event`` row of an approval task as the engine writes it."""
    events.append((instance, "contract_approval", f"contract:{number}", kind, guid, "approve",
                   f"Approve ({role})", actor, when, json.dumps(details) if details is not None else None))


def settle(container: bootstrap.Container) -> None:
    """VACUUM ANALYZE after the bulk load, as autovacuum soon would: otherwise it runs during the
    first measurements, and every first read of a fresh page writes its hint bits."""
    with container.db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def describe(container: bootstrap.Container, seconds: float, backfill: float) -> None:
    with container.db.connect() as connection:
        server = connection.scalar(text("SHOW server_version"))
        counts = {table: connection.scalar(text(f"SELECT count(*) FROM {table}"))
                  for table in ("opportunity", "opportunity_stage", "pipeline_stay", "history_event",
                                "contract", "approval_decision")}
    print(f"Dealflow pipeline reports benchmark: Python {sys.version.split()[0]}, PostgreSQL {server}, "
          f"{os.cpu_count()} CPUs")
    print(f"{counts['opportunity']:,} opportunities over {len(PIPELINES)} business types and {len(REPS)} "
          f"reps, {counts['opportunity_stage']:,} stage stays, {counts['history_event']:,} history events; "
          f"seeded in {seconds:.0f} s")
    print(f"{counts['contract']:,} contracts with {counts['approval_decision']:,} approval decisions over "
          f"five years; migration 0026 filled their reached_at in {ms(backfill)}")


# -- measurements ---------------------------------------------------------------------------

def scopes(container: bootstrap.Container) -> dict[str, tuple[Viewer, ReportScope]]:
    """Company: the general manager; branch: the general manager narrowed to Shanghai; a rep."""
    with container.session_factory() as session:
        shanghai = session.scalars(select(OrgUnit).where(OrgUnit.name.contains("Shanghai branch"))).one()
        branch = ReportScope(shanghai.id, shanghai.path, shanghai.name)
    return {"company": (_viewer(container, "wang.jianguo"), ReportScope()),
            "branch": (_viewer(container, "wang.jianguo"), branch),
            "rep": (_viewer(container, "zhang.wei"), ReportScope())}


def bench_reports(container: bootstrap.Container, type_id: int, sizes: Sizes,
                  show_plans: bool) -> list[Figure]:
    print(f"\n(a) Report functions, Standard sale, {sizes.runs} runs each after {sizes.warmup} untimed "
          "(median / p95)")
    figures = []
    for scope_name, (viewer, scope) in scopes(container).items():
        reports: dict[str, Callable[[Any], object]] = {
            "funnel": lambda session, v=viewer, s=scope: funnel(
                session, container.engine, v, s, session.get(BusinessType, type_id), PipelineFilter(type_id)),
            "conversion": lambda session, v=viewer, s=scope: conversion(
                session, container.engine, v, s, session.get(BusinessType, type_id), PipelineFilter(type_id),
                TIME_ZONE),
        }
        for report, run in reports.items():
            times = _latencies(partial(_in_session, container, run), sizes)
            if show_plans:
                with container.session_factory() as session:
                    _explain(container, session, partial(run, session))
            print(f"    {report:<10} {scope_name:<8} {ms(median(times)):>10} / {ms(p95(times)):>10}")
            figures.append(Figure(f"(a) {report}, {scope_name} (median; p95 {ms(p95(times))})",
                                  ms(median(times)), f"< {GOAL_MS:.0f} ms", median(times) * 1000 < GOAL_MS))
    return figures


def bench_pages(container: bootstrap.Container, type_id: int, sizes: Sizes) -> list[Figure]:
    print(f"\n(b) Pages through Flask's test client, {sizes.runs} requests each (median / p95)")
    app = create_app(container=container)
    figures = []
    for scope_name, (username, extra) in _page_viewers(container).items():
        client = _log_in(app.test_client(), username)
        for page in ("funnel", "conversion"):
            url = f"/reports/{page}?business_type={type_id}{extra}"
            times = _latencies(partial(_get_ok, client, url), sizes)
            print(f"    {page:<10} {scope_name:<8} {ms(median(times)):>10} / {ms(p95(times)):>10}   {url}")
            figures.append(Figure(f"(b) {page} page, {scope_name} (median; p95 {ms(p95(times))})",
                                  ms(median(times))))
    return figures


def _page_viewers(container: bootstrap.Container) -> dict[str, tuple[str, str]]:
    """Who logs in for each scope, and what the query string adds for it."""
    with container.session_factory() as session:
        shanghai = session.scalars(select(OrgUnit.id).where(OrgUnit.name.contains("Shanghai branch"))).one()
    return {"company": ("wang.jianguo", ""), "branch": ("wang.jianguo", f"&unit={shanghai}"),
            "rep": ("zhang.wei", "")}


def bench_turnaround(container: bootstrap.Container, sizes: Sizes, show_plans: bool) -> list[Figure]:
    print(f"\n(c) Approval turnaround, {sizes.runs} runs each after {sizes.warmup} untimed (median / p95)")
    periods = turnaround_periods(container)
    figures = []
    for scope_name, (viewer, scope) in scopes(container).items():
        for period, f in periods.items():
            def run(session: Any, v: Viewer = viewer, s: ReportScope = scope, f: MoneyFilter = f) -> Table:
                return turnaround(session, v, s, f, TIME_ZONE)

            with container.session_factory() as session:
                totals = run(session).totals
            times = _latencies(partial(_in_session, container, run), sizes)
            if show_plans:
                with container.session_factory() as session:
                    _explain(container, session, partial(run, session), "approval_decision")
            counted = totals[1] if totals else 0
            print(f"    {period:<10} {scope_name:<8} {ms(median(times)):>10} / {ms(p95(times)):>10}   "
                  f"{counted:,} decisions")
            figures.append(Figure(f"(c) turnaround {period}, {scope_name} (median; p95 {ms(p95(times))})",
                                  ms(median(times)), f"< {GOAL_MS:.0f} ms", median(times) * 1000 < GOAL_MS))
    app = create_app(container=container)
    five_years = periods["5 years"]
    for scope_name, (username, extra) in _page_viewers(container).items():
        client = _log_in(app.test_client(), username)
        url = (f"/reports/contracts/approvals?since={five_years.since.isoformat()}"
               f"&until={five_years.until.isoformat()}{extra}")
        times = _latencies(partial(_get_ok, client, url), sizes)
        print(f"    {'page':<10} {scope_name:<8} {ms(median(times)):>10} / {ms(p95(times)):>10}   {url}")
        figures.append(Figure(f"(c) turnaround page 5 years, {scope_name} (median; p95 {ms(p95(times))})",
                              ms(median(times))))
    return figures


def turnaround_periods(container: bootstrap.Container) -> dict[str, MoneyFilter]:
    """The page's default twelve months, and the five years (sixty months) it allows at most."""
    today = container.engine.clock.now().astimezone(ZoneInfo(TIME_ZONE)).date()
    twelve = parse_money_filter({}, today, {}, breakdowns=())
    after = twelve.until + timedelta(days=1)
    return {"5 years": MoneyFilter(date(after.year - 5, after.month, 1), twelve.until, twelve.bucket, ""),
            "12 months": twelve}


def _in_session(container: bootstrap.Container, run: Callable[[Any], object]) -> None:
    """One run in a session of its own, as a page request has: one transaction held over a
    hundred runs made PostgreSQL twice as slow after the first few (measured, 250 vs 130 ms)."""
    with container.session_factory() as session:
        run(session)


def _latencies(action: Callable[[], object], sizes: Sizes) -> list[float]:
    for _ in range(sizes.warmup):
        action()
    times = []
    for _ in range(sizes.runs):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return times


def _explain(container: bootstrap.Container, session: Any, action: Callable[[], object],
             table: str = "opportunity") -> None:
    """EXPLAIN ANALYZE the statements over ``table`` that ``action`` runs."""
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        statements.append((statement, parameters))

    event.listen(container.db, "before_cursor_execute", capture)
    try:
        action()
    finally:
        event.remove(container.db, "before_cursor_execute", capture)
    for statement, parameters in statements:
        if table not in statement:
            continue
        plan = [row[0] for row in session.connection().exec_driver_sql(
            f"EXPLAIN (ANALYZE, COSTS OFF) {statement}", parameters)]
        print("\n".join(f"      {line}" for line in plan))


def _viewer(container: bootstrap.Container, username: str) -> Viewer:
    with container.session_factory() as session:
        user_id = session.scalars(select(User.id).where(User.username == username)).one()
        viewer = viewer_for(session, user_id)
    assert viewer is not None
    return viewer


def _log_in(client: FlaskClient, username: str) -> FlaskClient:
    token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                           "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(f"could not log in as {username}")
    return client


def _get_ok(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")


if __name__ == "__main__":
    raise SystemExit(main())
