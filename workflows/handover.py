"""Handover when a rep leaves: one act moves everything they own to a successor.

Leads go to the successor or back to a pool; accounts, contacts, opportunities,
contracts and planned visits to the successor. Open tasks assigned to the leaver are
reassigned through the engine (their history says so), and the running processes of the
moved records get the successor as their ``owner``, so tasks still to come reach the
successor too. Moved leads and accounts are followed up by the successor from now on: their
follow-up cycles are redone (workflows.leads.cycles), counted from the handover. A preview
shows the counts first; the act is audited. One transaction.
Admins only: it moves records across teams.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, cast, func, literal, or_, select, update
from sqlalchemy.orm import Session

from core.errors import reject_fields
from core.phrases import Phrase
from engine import HumanTask, ProcessEngine, ProcessInstance
from workflows.accounts.models import Account, Contact
from workflows.audit import record
from workflows.contracts.models import Contract
from workflows.inputs import Checker, parse_id
from workflows.keys import ACCOUNT, CONTRACT, LEAD, OPPORTUNITY, VISIT
from workflows.leads.models import HELD, Lead, Pool, Pooled
from workflows.leads.pools import to_pool
from workflows.opportunities.models import Opportunity
from workflows.org.models import User
from workflows.org.rules import require_admin
from workflows.org.visibility import Viewer
from workflows.visits.models import VisitPlan

OWNED: dict[str, Any] = {"accounts": Account, "contacts": Contact, "opportunities": Opportunity,
                         "contracts": Contract}
# The business keys processes run under, by the record they name.
KEYED: dict[str, Any] = {OPPORTUNITY: Opportunity, CONTRACT: Contract, LEAD: Lead, VISIT: VisitPlan,
                         ACCOUNT: Account}


@dataclass(frozen=True)
class Handover:
    """How many of each the leaver has, which is what a handover moves."""

    leads: int
    accounts: int
    contacts: int
    opportunities: int
    contracts: int
    visits: int  # planned, not yet logged
    tasks: int
    processes: int


def preview_handover(session: Session, actor: Viewer, leaver_id: int) -> Handover:
    require_admin(actor)
    username = _user(session, leaver_id, "leaver_id").username
    return _counts(session, username, len(_processes(session, username)))


def hand_over(session: Session, engine: ProcessEngine, actor: Viewer, leaver_id: str, successor_id: str,
              pool_id: str, now: datetime) -> Handover:
    """Move everything ``leaver`` owns to ``successor`` (open leads to ``pool_id`` when given);
    every bad choice is named at once."""
    require_admin(actor)
    leaver = _user(session, parse_id(leaver_id) or 0, "leaver_id")
    successor, pool = _choices(session, leaver, successor_id, pool_id)
    processes = _processes(session, leaver.username)  # found before the owners change
    done = _counts(session, leaver.username, len(processes))
    old, new = leaver.username, successor.username
    for instance_id in processes:
        engine.update_data(session, instance_id, {"owner": new}, actor.username)
    for task_id in session.scalars(select(HumanTask.id).where(HumanTask.assignee == old)).all():
        engine.assign(session, task_id, new, actor.username)
    for model in OWNED.values():  # followed-up records count from the successor's first day
        values = model.assignment(new, now) if issubclass(model, Pooled) else {"owner": new}
        session.execute(update(model).where(model.owner == old).values(**values))
    leads = session.scalars(select(Lead).where(_open_lead(old))).all()
    for lead in leads:
        if pool is not None:
            to_pool(lead, pool, now)
        else:
            lead.give_to(new, now, "handover")
    session.execute(update(Lead).where(Lead.owner == old)  # converted and lost ones
                    .values(owner=new, assigned_via="handover"))
    session.execute(update(VisitPlan).where(_planned_visit(old)).values(owner=new, updated_at=now))
    record(session, actor.username, "handover", f"user:{leaver.id}",
           {**asdict(done), "successor": new, "leads_to_pool": pool.name if pool else None}, now)
    session.flush()
    return done


def _choices(session: Session, leaver: User, successor_id: str, pool_id: str) -> tuple[User, Pool | None]:
    """The successor (another active user) and the pool open leads go to, if one was chosen."""
    check = Checker()
    successor = session.get(User, parse_id(successor_id) or 0)
    if successor is None:
        check.problem("successor_id", Phrase("is not a user"))
    elif successor.id == leaver.id or not successor.active:
        check.problem("successor_id", Phrase("must be another active user"))
    pool = session.get(Pool, parse_id(pool_id) or 0) if pool_id.strip() else None
    if pool_id.strip() and pool is None:
        check.problem("pool_id", Phrase("is not a pool"))
    check.done()
    assert successor is not None
    return successor, pool


def _counts(session: Session, username: str, processes: int) -> Handover:
    owned = {name: _count(session, model, model.owner == username) for name, model in OWNED.items()}
    return Handover(leads=_count(session, Lead, _open_lead(username)), **owned,
                    visits=_count(session, VisitPlan, _planned_visit(username)),
                    tasks=_count(session, HumanTask, HumanTask.assignee == username), processes=processes)


def _processes(session: Session, username: str) -> list[int]:
    """Running instances of the records ``username`` owns (their business keys name them)."""
    keys = [ProcessInstance.business_key.in_(
        select(literal(f"{kind}:") + cast(model.id, String)).where(model.owner == username))
        for kind, model in KEYED.items()]
    running = select(ProcessInstance.id).where(ProcessInstance.status == "running", or_(*keys))
    return list(session.scalars(running.order_by(ProcessInstance.id)))


def _planned_visit(username: str) -> ColumnElement[bool]:
    """Visits still to come or to log: the successor makes them (a logged one stays the leaver's)."""
    return (VisitPlan.owner == username) & (VisitPlan.status == "planned")


def _open_lead(username: str) -> ColumnElement[bool]:
    return (Lead.owner == username) & Lead.status.in_(HELD)


def _count(session: Session, model: Any, condition: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(model).where(condition)) or 0


def _user(session: Session, user_id: int, field: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        reject_fields({field: Phrase("is not a user")})
    assert user is not None
    return user
