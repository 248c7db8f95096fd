"""Seed the approval benchmark: a few hundred contracts submitted through the engine, then
cloned in bulk into tens of thousands of open approval tasks that the engine can still decide.

A clone copies a seed's contract (lines too), its approval instance, its pending round and
its open tasks, with new ids: the contract number and business key follow the new
contract id, and each open task gets a new guid (an md5 of the new instance id and the
seed's guid) that is also written into the copied workflow state, so completing a cloned
task loads the clone's own state and finds that task ready. A task's business columns stay
the seed's (its title is the seed's contract number, as the copied state says), so a step
on a clone finds them unchanged, as on the seed. Clones are spread over the
owner's accounts and over the past weeks (each is two minutes older than the one before).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text

import bootstrap
from workflows.accounts.models import Account
from workflows.approvals.submission import submit_contract
from workflows.catalog.demo import load_demo_catalog
from workflows.catalog.models import Product
from workflows.contracts.models import ContractType
from workflows.contracts.service import ContractInput, ContractLineInput, create_contract
from workflows.org.demo import PEOPLE, load_demo
from workflows.org.models import User
from workflows.org.visibility import Viewer, viewer_of

REPS = tuple(p.username for p in PEOPLE if p.role == "sales_rep")
ACCOUNTS_PER_REP = 100
MAX_TASKS_PER_ROUND = 4  # the shipped table asks at most four directors
WORDS = ("Robotics", "Logistics", "Medical", "Automotive", "Foods", "Textiles", "Electronics", "Chemicals")
TYPES = ("Product sale", "Maintenance service", "Project")
PRODUCTS = ("AGV-L500", "SVC-INSTALL", "SVC-MAINT")


@dataclass(frozen=True)
class Seeded:
    instances: list[int]  # the seeds' approval instances
    tasks: list[int]  # open approval tasks of each seed, in the same order


def prepare(container: bootstrap.Container) -> None:
    """The shipped processes, the demo organisation and catalogue, contract types and each
    rep's accounts."""
    bootstrap.deploy_shipped(container)
    now = container.engine.clock.now()
    with container.uow() as uow:
        load_demo(uow.session, now)
        load_demo_catalog(uow.session)
        uow.session.add_all([ContractType(name=name, approval_process_key="contract_approval")
                             for name in TYPES])
        uow.session.add_all([Account(name=f"{WORDS[n % len(WORDS)]} {rep} {n:03d}", owner=rep, created_at=now,
                                     updated_at=now) for rep in REPS for n in range(ACCOUNTS_PER_REP)])
        uow.commit()


def submit_seeds(container: bootstrap.Container, count: int, rng: random.Random) -> Seeded:
    """``count`` contracts, each by the next rep, at a margin anywhere from 5% to 45%, submitted."""
    with container.session_factory() as session:
        users = session.scalars(select(User).where(User.username.in_(REPS)))
        reps = {user.username: viewer_of(user) for user in users}
        accounts: dict[str, list[int]] = {}
        for account_id, owner in session.execute(select(Account.id, Account.owner)):
            accounts.setdefault(owner, []).append(account_id)
        types = list(session.scalars(select(ContractType.id)))
        products = list(session.scalars(select(Product.id).where(Product.code.in_(PRODUCTS))))
    instances = []
    for number in range(count):
        rep = reps[REPS[number % len(REPS)]]
        container.engine.clock.advance(minutes=1)
        data = _contract(rng, rng.choice(accounts[rep.username]), rng.choice(types), products)
        instances.append(_submit(container, rep, data))
    with container.db.connect() as connection:
        tasks = dict(connection.execute(text(
            "SELECT instance_id, count(*) FROM human_task WHERE instance_id = ANY(:ids) "
            "GROUP BY instance_id"),
            {"ids": instances}).all())
    if max(tasks.values()) > MAX_TASKS_PER_ROUND:
        raise RuntimeError("a seed has more open tasks than the clone statement rewrites")
    return Seeded(instances, [tasks[i] for i in instances])


def _contract(rng: random.Random, account_id: int, type_id: int, products: list[int]) -> ContractInput:
    lines = [ContractLineInput(str(rng.choice(products)), str(rng.randint(1, 8)),
                               f"{rng.randint(2, 200) * 1000}.00") for _ in range(rng.randint(1, 3))]
    revenue = sum(Decimal(line.quantity) * Decimal(line.unit_price) for line in lines)
    costs = (revenue * (1 - Decimal(rng.randint(500, 4500)) / 10000)).quantize(Decimal("0.01"))
    sales, maintenance = (revenue * Decimal("0.03")).quantize(Decimal("0.01")), Decimal("0.00")
    return ContractInput(account_id=str(account_id), contract_type_id=str(type_id), lines=lines,
                         sales_expense=str(sales), cost_reserve=str(costs - sales - maintenance),
                         maintenance_reserve=str(maintenance))


def _submit(container: bootstrap.Container, rep: Viewer, data: ContractInput) -> int:
    with container.uow() as uow:
        contract = create_contract(uow.session, rep, data, container.engine.clock.now())
        instance = submit_contract(uow.session, container.engine, rep, contract.id, "")
        uow.commit()
    return instance.id


def clones_for(seeded: Seeded, tasks_wanted: int) -> int:
    """How many clones (cycling through the seeds) bring the open approval tasks to ``tasks_wanted``."""
    have, clones = sum(seeded.tasks), 0
    while have < tasks_wanted:
        have += seeded.tasks[clones % len(seeded.tasks)]
        clones += 1
    return clones


_SEEDS = """
    FROM generate_series(1, :count) AS g
    JOIN unnest(CAST(:seeds AS integer[])) WITH ORDINALITY AS s(id, k) ON s.k = (g - 1) % :nseeds + 1
    JOIN contract c ON c.approval_instance_id = s.id
"""
_NEW_GUID = "CAST(md5('approval-clone:' || (:base_instance + g) || ':' || {guid}) AS uuid)::text"
_AGE = "make_interval(secs => g * :spacing)"
_OWNER_ACCOUNTS = """
    CREATE TEMPORARY TABLE bench_owner_account ON COMMIT DROP AS
    SELECT owner, id AS account_id, row_number() OVER (PARTITION BY owner ORDER BY id) - 1 AS k FROM account
"""
_CONTRACTS = f"""
    INSERT INTO contract (id, number, account_id, opportunity_id, quote_id, contract_type_id, owner, status,
        signed_on, start_on, end_on, sales_expense, cost_reserve, maintenance_reserve, note,
        approval_instance_id, submitted_at, activated_at, created_at, updated_at)
    SELECT :base_contract + g, 'B-' || lpad(CAST(:base_contract + g AS text), 7, '0'), a.account_id,
        NULL, NULL, c.contract_type_id, c.owner, c.status, c.signed_on, c.start_on, c.end_on,
        c.sales_expense, c.cost_reserve, c.maintenance_reserve, c.note, :base_instance + g,
        c.submitted_at - {_AGE}, NULL, c.created_at - {_AGE}, c.updated_at - {_AGE}
    {_SEEDS}
    JOIN bench_owner_account a ON a.owner = c.owner AND a.k = g % :accounts_per_owner
"""
_LINES = f"""
    INSERT INTO contract_line (contract_id, position, product_id, description, quantity, unit_price)
    SELECT :base_contract + g, l.position, l.product_id, l.description, l.quantity, l.unit_price
    {_SEEDS}
    JOIN contract_line l ON l.contract_id = c.id
"""
# The seed's open task guids (at most four), each replaced in the state by the clone's.
_STATE = "p.state"
for _n in range(1, MAX_TASKS_PER_ROUND + 1):
    _guid = f"coalesce(t.ids[{_n}], '#none#')"
    _STATE = f"replace({_STATE}, {_guid}, {_NEW_GUID.format(guid=_guid)})"
_INSTANCES = f"""
    INSERT INTO process_instance (id, definition_id, process_key, business_key, status, state,
        serializer_version, started_by, started_at, updated_at, version)
    SELECT :base_instance + g, p.definition_id, p.process_key, 'contract:' || (:base_contract + g), p.status,
        {_STATE}, p.serializer_version, p.started_by, p.started_at - {_AGE}, p.updated_at - {_AGE}, p.version
    {_SEEDS}
    JOIN process_instance p ON p.id = s.id
    CROSS JOIN LATERAL (SELECT array_agg(h.id ORDER BY h.id) AS ids FROM human_task h
                        WHERE h.instance_id = s.id) AS t
"""
_TASKS = f"""
    INSERT INTO human_task (id, instance_id, definition_id, process_key, bpmn_id, name, lane, assignee,
        form_key, created_at, due_at, follow_up_at, business_key, object_type, object_id, title, amount,
        stage, owner, region)
    SELECT {_NEW_GUID.format(guid="t.id")}, :base_instance + g, t.definition_id, t.process_key, t.bpmn_id,
        t.name, t.lane, t.assignee, t.form_key, t.created_at - {_AGE}, t.due_at - {_AGE}, t.follow_up_at,
        'contract:' || (:base_contract + g), t.object_type, CAST(:base_contract + g AS text), t.title,
        t.amount, t.stage, t.owner, t.region
    {_SEEDS}
    JOIN human_task t ON t.instance_id = s.id
"""
_TIMERS = f"""
    INSERT INTO engine_timer (instance_id, task_guid, bpmn_id, due_at)
    SELECT :base_instance + g, e.task_guid, e.bpmn_id, e.due_at - {_AGE}
    {_SEEDS}
    JOIN engine_timer e ON e.instance_id = s.id
"""
_ROUNDS = f"""
    INSERT INTO approval_round (contract_id, number, instance_id, submitted_by, submitted_at, revenue,
        gross_margin, margin, roles, approvers, stand_ins, note, outcome, decided_at)
    SELECT :base_contract + g, r.number, :base_instance + g, r.submitted_by, r.submitted_at - {_AGE},
        r.revenue, r.gross_margin, r.margin, r.roles, r.approvers, r.stand_ins, r.note, r.outcome,
        r.decided_at
    {_SEEDS}
    JOIN approval_round r ON r.instance_id = s.id AND r.outcome = 'pending'
"""
_SEQUENCES = ("process_instance", "contract")


def clone(container: bootstrap.Container, seeded: Seeded, count: int, spacing_seconds: int = 120) -> None:
    """Add ``count`` clones of the seeds, in one transaction."""
    with container.db.begin() as connection:
        params: dict[str, Any] = {
            "seeds": seeded.instances, "nseeds": len(seeded.instances), "count": count,
            "base_instance": connection.scalar(text("SELECT max(id) FROM process_instance")),
            "base_contract": connection.scalar(text("SELECT max(id) FROM contract")),
            "accounts_per_owner": ACCOUNTS_PER_REP, "spacing": spacing_seconds}
        connection.execute(text(_OWNER_ACCOUNTS))
        for statement in (_INSTANCES, _CONTRACTS, _LINES, _TASKS, _TIMERS, _ROUNDS):
            connection.execute(text(statement), params)
        for table in _SEQUENCES:
            connection.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"))
