"""Chasing overdue instalments: a task for the contract's owner the day after an instalment
falls due with money still outstanding, withdrawn once it is paid.

A periodic job (the same scheduler that fires timers) finds overdue instalments nobody
is chasing yet, through the ``due_on`` index, and starts the shipped
``overdue_instalment`` process for each, in one transaction per instalment so one bad
row never holds up the rest. Recording the collection that pays an instalment off
cancels its chase in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.errors import DealflowError
from engine import ProcessEngine, ProcessInstance
from workflows.keys import CONTRACT, business_key
from workflows.org.visibility import Viewer

from .models import Collection, Contract, Instalment
from .plan import CollectionInput, record_collection

CHASE_PROCESS = "overdue_instalment"
BATCH = 200


@dataclass
class ChaseReport:
    started: list[int] = field(default_factory=list)  # instalment ids now being chased
    failed: list[tuple[int, str]] = field(default_factory=list)


def chase_overdue_instalments(engine: ProcessEngine, session_factory: sessionmaker[Session],
                              today: date) -> ChaseReport:
    """Start a chase for each instalment past due, unpaid and not yet chased."""
    report = ChaseReport()
    with session_factory() as session:
        overdue = session.scalars(select(Instalment.id).join(Contract)
                                  .where(Instalment.due_on < today, Instalment.collected < Instalment.amount,
                                         Instalment.chase_instance_id.is_(None), Contract.status == "active")
                                  .order_by(Instalment.due_on, Instalment.id).limit(BATCH)).all()
    for instalment_id in overdue:
        with session_factory() as session:
            try:
                if _start_chase(session, engine, instalment_id, today):
                    report.started.append(instalment_id)
                session.commit()
            except DealflowError as exc:
                session.rollback()
                report.failed.append((instalment_id, str(exc)))
    return report


def collect(session: Session, engine: ProcessEngine, actor: Viewer, instalment_id: int,
            data: CollectionInput, now: datetime) -> Collection:
    """Record money received; paying an instalment off ends its chase, if one is running."""
    collection = record_collection(session, actor, instalment_id, data, now)
    instalment = session.get_one(Instalment, instalment_id)
    if instalment.outstanding == 0 and instalment.chase_instance_id is not None:
        if session.get_one(ProcessInstance, instalment.chase_instance_id).status == "running":
            engine.cancel(session, instalment.chase_instance_id, actor.username, "instalment paid")
    return collection


def _start_chase(session: Session, engine: ProcessEngine, instalment_id: int, today: date) -> bool:
    """Lock the instalment and start its chase, unless another sweep or a payment got there first."""
    instalment = session.scalars(select(Instalment).where(Instalment.id == instalment_id)
                                 .with_for_update().execution_options(populate_existing=True)).one()
    if instalment.chase_instance_id is not None or instalment.outstanding <= 0 or instalment.due_on >= today:
        return False
    contract = session.get_one(Contract, instalment.contract_id)
    data = {"owner": contract.owner, "title": f"{contract.number} #{instalment.position}",
            "amount": str(instalment.outstanding), "due_on": instalment.due_on.isoformat()}
    instance = engine.start(session, CHASE_PROCESS, business_key(CONTRACT, contract.id), data)
    instalment.chase_instance_id = instance.id
    return True
