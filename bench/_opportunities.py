"""Seed the pipeline benchmark's opportunities: a few hundred started through the engine
(so their stage path is real) and the rest inserted as rows in bulk, with the stage,
probability and status the list and the board read.

Bulk rows have no process instance behind them: neither page reads workflow state, so
they cost those pages exactly what real ones would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

import bootstrap
from engine import FormInvalid
from engine.deployment import require_latest
from workflows.accounts.models import Account
from workflows.opportunities import service
from workflows.opportunities.models import BusinessType, Opportunity
from workflows.opportunities.pipeline import Stage, stages
from workflows.opportunities.service import OpportunityInput
from workflows.org.demo import PEOPLE, load_demo
from workflows.org.models import User
from workflows.org.visibility import Viewer, viewer_for

REPS = tuple(p.username for p in PEOPLE if p.role == "sales_rep")
PIPELINES = {"Standard sale": "standard_sale", "Project tender": "project_tender",
             "Non-continuing project": "non_continuing_project"}
STATUS_WEIGHTS = {"open": 70, "won": 15, "lost": 10, "abandoned": 5}
# Whatever a stage gate of the shipped pipelines may require; each gate keeps only its own fields.
GATE_DATA = {"need": "Forty AGVs", "quote_amount": "480000", "proposal_amount": "490000",
             "bid_amount": "470000", "contract_amount": "465000", "expected_close_date": "2026-06-30"}
ACCOUNTS_PER_REP = 40


@dataclass(frozen=True)
class Seeded:
    business_types: dict[str, int]  # name → id
    advanceable: list[int]  # engine-started, at their first stage, owned by ADVANCE_OWNER
    total: int


ADVANCE_OWNER = "wang.fang"


def seed(container: bootstrap.Container, total: int, engine_started: int, advance_sample: int,
         rng: random.Random) -> Seeded:
    """``total`` opportunities, of which ``engine_started`` went through the engine; the first
    ``advance_sample`` of those stay at their first stage for the advance measurement."""
    now = container.engine.clock.now()
    with container.uow() as uow:
        load_demo(uow.session, now)
        types = [BusinessType(name=name, process_key=key) for name, key in PIPELINES.items()]
        uow.session.add_all(types)
        uow.session.flush()
        accounts = {rep: [_account(uow.session, f"{rep} account {number}", rep, now)
                          for number in range(ACCOUNTS_PER_REP)] for rep in REPS}
        uow.commit()
        ids = {t.name: t.id for t in types}
    advanceable = _engine_started(container, ids, accounts, engine_started, advance_sample, rng)
    _bulk_rows(container, ids, accounts, total - engine_started, rng)
    return Seeded(business_types=ids, advanceable=advanceable, total=total)


def _account(session: Any, name: str, owner: str, now: Any) -> int:
    account = Account(name=name, owner=owner, created_at=now, updated_at=now)
    session.add(account)
    session.flush()
    return account.id


def _engine_started(container: bootstrap.Container, types: dict[str, int], accounts: dict[str, list[int]],
                    count: int, reserved: int, rng: random.Random) -> list[int]:
    """Create ``count`` through the service; all but the ``reserved`` advance 0 to 3 stages."""
    viewers = _viewers(container)
    kept = []
    for number in range(count):
        owner = ADVANCE_OWNER if number < reserved else REPS[number % len(REPS)]
        kind = "Standard sale" if number < reserved else rng.choice(list(types))
        data = OpportunityInput(name=f"Engine deal {number}", account_id=str(rng.choice(accounts[owner])),
                                business_type_id=str(types[kind]), amount=str(rng.randint(1_000, 2_000_000)))
        with container.uow() as uow:
            created = service.create_opportunity(uow.session, container.engine, viewers[owner], data,
                                                 container.engine.clock.now())
            uow.commit()
        if number < reserved:
            kept.append(created.id)
        else:
            _advance_some(container, viewers[owner], created.id, rng.randint(0, 3))
    return kept


def _advance_some(container: bootstrap.Container, viewer: Viewer, opportunity_id: int,
                  stages_to_go: int) -> None:
    for _ in range(stages_to_go):
        try:
            with container.uow() as uow:
                service.advance(uow.session, container.engine, viewer, opportunity_id, GATE_DATA, [])
                uow.commit()
        except FormInvalid:  # a gate wants a field GATE_DATA lacks: it stays where it is
            return


def _viewers(container: bootstrap.Container) -> dict[str, Viewer]:
    with container.session_factory() as session:
        found = {}
        reps = select(User.username, User.id).where(User.username.in_(REPS))
        for username, user_id in session.execute(reps):
            viewer = viewer_for(session, user_id)
            assert viewer is not None
            found[username] = viewer
        return found


def _bulk_rows(container: bootstrap.Container, types: dict[str, int], accounts: dict[str, list[int]],
               count: int, rng: random.Random) -> None:
    """Insert ``count`` rows spread evenly over the reps and the business types."""
    now = container.engine.clock.now()
    with container.session_factory() as session:
        pipelines = {type_id: _pipeline(container, session, key)
                     for name, type_id in types.items() for key in [PIPELINES[name]]}
    rows = []
    for number in range(count):
        owner = REPS[number % len(REPS)]
        type_id = rng.choice(list(types.values()))
        stage = _stage_for(pipelines[type_id], rng)
        entered = now - timedelta(days=rng.randint(0, 90), hours=rng.randint(0, 23))
        rows.append({
            "name": f"Deal {number} {rng.choice(('robots', 'cranes', 'conveyors', 'AGVs', 'sensors'))}",
            "account_id": rng.choice(accounts[owner]), "business_type_id": type_id,
            "amount": Decimal(rng.randint(1_000, 2_000_000)),
            "expected_close_date": (now + timedelta(days=rng.randint(-180, 180))).date(), "source": "other",
            "owner": owner, "status": stage.status, "stage": stage.key, "stage_name": stage.name,
            "probability": stage.probability, "stage_entered_at": entered, "close_reason": "",
            "created_at": entered, "updated_at": entered})
    with container.uow() as uow:
        uow.session.execute(insert(Opportunity), rows)
        uow.commit()


def _pipeline(container: bootstrap.Container, session: Any, key: str) -> list[Stage]:
    return stages(container.engine, session, require_latest(session, key).id)


def _stage_for(pipeline: list[Stage], rng: random.Random) -> Stage:
    status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
    candidates = [s for s in pipeline if s.status == status] or [s for s in pipeline if not s.closed]
    return rng.choice(candidates)
