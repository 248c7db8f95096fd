"""The generated data set of the reports benchmark (``bench/reports.py``): opportunities with
their stage history and the engine's history, and approval rounds with their decisions,
written with COPY as the engine and the step observers would have written them; the
summaries (``pipeline_stay``, ``approval_decision.reached_at``) filled by their migrations'
own statements. See ``bench/reports.py`` for the shape of the data."""

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
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

import bootstrap
from bench._stats import ms
from engine.deployment import require_latest
from workflows.accounts.models import Account
from workflows.contracts.models import ContractType
from workflows.opportunities.models import BusinessType
from workflows.opportunities.pipeline import Stage, stages
from workflows.org.demo import PEOPLE, load_demo

PIPELINES = {"Standard sale": "standard_sale", "Project tender": "project_tender",
             "Non-continuing project": "non_continuing_project"}
REPS = tuple(p.username for p in PEOPLE if p.role == "sales_rep")
MOVE_ON, LOST, ABANDONED = 0.70, 0.35, 0.10
# Approval roles in the order the decision table adds them, and who holds each (the sales
# director is the submitter's branch's); a task handed on goes to finance.
ROLES = ("sales_director", "commercial_director", "service_director", "general_manager")
HOLDERS = {"commercial_director": "li.ming", "service_director": "zhao.li", "general_manager": "wang.jianguo"}
BRANCH_DIRECTORS = {"sh": "chen.hao", "hz": "zhou.min"}
HANDED_TO = "sun.yan"
HANDED, REJECTED = 0.10, 0.15
APPROVAL_DAYS = 1800  # submissions spread over the five years up to the clock's day


@dataclass(frozen=True)
class Pipeline:
    type_id: int
    key: str
    definition_id: int
    open: list[Stage]
    ends: dict[str, Stage]  # status → its closed stage
    elements: dict[str, str]  # stage key → bpmn id



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
