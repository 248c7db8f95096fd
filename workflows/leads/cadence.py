"""The follow-up cadence: one ``lead_followup`` cycle per owned lead, from its last contact
(or its assignment) to the next.

A cycle's deadlines are absolute (``warn_at``, ``recycle_at``, from the lead's pool), so a
cycle started a little late changes nothing. Whatever changes what a lead's cycle should
be (a new owner, a new rating, a contact, leaving the rep's hands) calls
``Lead.reschedule_follow_up``; :func:`reconcile` then ends the old cycle (through its
``contact_logged`` message when a contact ended it, else by cancelling it) and starts
the next one if the lead is still being worked. The sweep runs it for every such lead,
soon after; a page that wants the change seen at once calls :func:`follow_up_now`.

The diagram's services are here too: logging the follow-up task's result, warning the
owner before recycling, and recycling. Each checks that its cycle is still the lead's
current one, so a late timer of a replaced cycle does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.errors import DealflowError
from engine import DefinitionNotFound, ProcessEngine, ServiceCall
from engine.models import ProcessInstance
from notifications import Notice, notify
from workflows.activities.models import CONTACT_KINDS, Activity
from workflows.keys import LEAD, business_key, record_id
from workflows.org.models import User
from workflows.org.recipients import recipient

from .models import DEFAULT_RECYCLE_AFTER_DAYS, DEFAULT_WARN_DAYS_BEFORE, HELD, Lead, Pool, PoolMember
from .pools import to_pool

log = logging.getLogger(__name__)

FOLLOWUP_PROCESS = "lead_followup"
CONTACT_MESSAGE = "contact_logged"
SWEEP_BATCH = 500


@dataclass(frozen=True)
class Deadlines:
    """When a lead not contacted since ``since`` warns its owner and goes back to ``pool``."""

    since: datetime
    warn_at: datetime
    recycle_at: datetime
    pool: Pool | None


@dataclass
class SweepReport:
    started: list[int] = field(default_factory=list)  # lead ids given a new cycle
    failed: list[tuple[int, str]] = field(default_factory=list)


def deadlines(session: Session, lead: Lead, now: datetime) -> Deadlines:
    """The deadlines of the lead's next cycle: counted from its last contact or assignment."""
    since = max((moment for moment in (lead.last_contacted_at, lead.assigned_at) if moment), default=now)
    pool = home_pool(session, lead)
    recycle_days = pool.recycle_after_days if pool else DEFAULT_RECYCLE_AFTER_DAYS
    warn_days = pool.warn_days_before if pool else DEFAULT_WARN_DAYS_BEFORE
    recycle_at = since + timedelta(days=recycle_days)
    return Deadlines(since, recycle_at - timedelta(days=warn_days), recycle_at, pool)


def home_pool(session: Session, lead: Lead) -> Pool | None:
    """Where the lead goes back to: its own pool, else the first of its owner's, else the first."""
    if lead.pool_id is not None:
        return session.get(Pool, lead.pool_id)
    owners = select(PoolMember.pool_id).join(User, User.id == PoolMember.user_id).where(
        User.username == lead.owner)
    return session.scalars(select(Pool).where(Pool.id.in_(owners)).order_by(Pool.id).limit(1)).first() \
        or session.scalars(select(Pool).order_by(Pool.id).limit(1)).first()


def reconcile(session: Session, engine: ProcessEngine, lead: Lead, now: datetime) -> None:
    """End the lead's cycle if it no longer fits and start the one that does (locked lead)."""
    lead.followup_stale = False
    current = lead.followup_instance_id
    if current is not None and session.scalar(
            select(ProcessInstance.status).where(ProcessInstance.id == current)) == "running":
        _end_cycle(session, engine, lead, current)
    lead.followup_instance_id, lead.followup_since, lead.recycle_at = None, None, None
    if lead.owner is None or lead.status not in HELD:
        return
    due = deadlines(session, lead, now)
    lead.pool_id = lead.pool_id or (due.pool.id if due.pool else None)  # where it will go back to
    instance = engine.start(session, FOLLOWUP_PROCESS, business_key(LEAD, lead.id), {
        "owner": lead.owner, "rating": lead.rating, "title": _title(lead), "region": lead.region,
        "since": due.since.isoformat(), "warn_at": due.warn_at.isoformat(),
        "recycle_at": due.recycle_at.isoformat()})
    lead.followup_instance_id, lead.followup_since, lead.recycle_at = instance.id, due.since, due.recycle_at


def follow_up_now(session: Session, engine: ProcessEngine, lead_ids: Iterable[int], now: datetime) -> None:
    """Reconcile these leads' cycles in the caller's transaction, so a page shows the result at
    once. A cycle that cannot be started is left to the sweep (which logs why); the caller's
    own change stands."""
    for lead_id in lead_ids:
        try:
            with session.begin_nested():
                lead = _locked_stale(session, lead_id)
                if lead is not None:
                    reconcile(session, engine, lead, now)
        except DealflowError as exc:
            log.warning("follow-up of lead %s left to the sweep: %s", lead_id, exc)


def reconcile_stale(engine: ProcessEngine, session_factory: sessionmaker[Session],
                    now: datetime | None = None, limit: int = SWEEP_BATCH) -> SweepReport:
    """Give every lead whose cycle no longer fits the one that does, each in its own transaction.

    A lead that fails stays marked and is tried again by the next sweep; with the follow-up
    process not deployed (yet), the sweep stops at the first lead and waits for it."""
    now = now or engine.clock.now()
    report = SweepReport()
    with session_factory() as session:
        ids = session.scalars(select(Lead.id).where(Lead.followup_stale.is_(True))
                              .order_by(Lead.id).limit(limit)).all()
    for lead_id in ids:
        with session_factory() as session:
            try:
                lead = _locked_stale(session, lead_id)
                if lead is None:
                    continue
                reconcile(session, engine, lead, now)
                session.commit()
                if lead.followup_instance_id is not None:
                    report.started.append(lead_id)
            except DealflowError as exc:
                session.rollback()
                log.warning("follow-up of lead %s failed: %s", lead_id, exc)
                report.failed.append((lead_id, str(exc)))
                if isinstance(exc, DefinitionNotFound):
                    break
    return report


def _locked_stale(session: Session, lead_id: int) -> Lead | None:
    return session.scalars(select(Lead).where(Lead.id == lead_id, Lead.followup_stale.is_(True))
                           .with_for_update().execution_options(populate_existing=True)).first()


def _end_cycle(session: Session, engine: ProcessEngine, lead: Lead, instance_id: int) -> None:
    """A contact since the cycle began ends it as the diagram says; any other change cancels it."""
    if lead.last_contacted_at and lead.followup_since and lead.last_contacted_at > lead.followup_since:
        try:
            with session.begin_nested():
                engine.send_message(session, CONTACT_MESSAGE, business_key(LEAD, lead.id),
                                    {"contacted_at": lead.last_contacted_at.isoformat()})
            return
        except DealflowError:
            pass  # not waiting for it any more (recycling under way): cancelled below
    engine.cancel(session, instance_id, None, "the lead's follow-up was rescheduled")


def _title(lead: Lead) -> str:
    return f"{lead.name} · {lead.company}" if lead.company else lead.name


# -- the diagram's services ----------------------------------------------------------------------


def _current_lead(call: ServiceCall) -> Lead | None:
    """The call's lead, locked, if this cycle is still its current one."""
    lead_id = record_id(LEAD, call.business_key)
    if lead_id is None:
        return None
    lead = call.session.scalars(select(Lead).where(Lead.id == lead_id).with_for_update()
                                .execution_options(populate_existing=True)).first()
    if lead is None or lead.followup_instance_id != call.instance_id:
        return None
    return lead


def log_follow_up(call: ServiceCall, now: datetime) -> bool:
    """Keep the follow-up task's result on the lead as its owner's activity; True if it reached them.
    The results that did (call, visit, meeting) are the activity kinds that count as a contact."""
    lead = _current_lead(call)
    result = str(call.data.get("result") or "")
    reached = result in CONTACT_KINDS
    if lead is None:
        return reached
    outcome = str(call.data.get("outcome") or "")
    call.session.add(Activity(
        kind=result if reached else "call", subject_type="lead", subject_id=lead.id,
        owner=lead.owner or "", happened_at=now, next_step=str(call.data.get("next_step") or "")[:300],
        outcome=outcome if reached else f"[no answer] {outcome}", created_at=now))
    if reached:
        lead.contacted(now)
    return reached


def warn_recycle(call: ServiceCall, now: datetime) -> dict[str, Any]:
    """Tell the owner when the lead goes back to the pool unless they reach it first."""
    lead = _current_lead(call)
    if lead is None or lead.owner is None or lead.recycle_at is None:
        return {"warned": None}
    to = recipient(call.session, lead.owner)
    pool = home_pool(call.session, lead)
    if to is not None:
        key = f"lead:{lead.id}:recycle-warning:{call.instance_id}"
        notify(call.session, Notice(to, "recycled_to_pool", key, template="recycle_warning",
                                    link=f"/leads/{lead.id}", context={
                                        "record": _title(lead), "pool": pool.name if pool else "",
                                        "recycle_at": lead.recycle_at, "since": lead.followup_since}), now)
    return {"warned": lead.owner}


def recycle(call: ServiceCall, now: datetime) -> dict[str, Any]:
    """Put the lead back in its pool and tell its owner and the owner's manager."""
    lead = _current_lead(call)
    if lead is None or lead.owner is None or lead.status not in HELD:
        return {"recycled": False}
    pool = home_pool(call.session, lead)
    if pool is None:
        return {"recycled": False, "reason": "there is no pool to return it to"}
    owner, since = lead.owner, lead.followup_since
    to_pool(lead, pool, now)
    lead.followup_instance_id = lead.followup_since = lead.recycle_at = None
    days = (now - since).days if since else pool.recycle_after_days
    context = {"record": _title(lead), "pool": pool.name, "days": days, "owner": owner}
    key = f"lead:{lead.id}:recycled:{call.instance_id}"
    manager = _manager_of(call.session, owner)
    told = [recipient(call.session, owner), recipient(call.session, manager) if manager else None]
    for to, template in zip(told, ("recycled_to_pool", "recycled_team"), strict=True):
        if to is not None:
            notify(call.session, Notice(to, "recycled_to_pool", key, template=template,
                                        link=f"/leads/{lead.id}", context=context), now)
    return {"recycled": True, "pool": pool.name, "owner": owner}


def _manager_of(session: Session, username: str) -> str | None:
    manager_id = session.scalar(select(User.manager_id).where(User.username == username))
    return session.scalar(select(User.username).where(User.id == manager_id)) if manager_id else None


SERVICES = {"lead.log_follow_up": log_follow_up, "lead.warn_recycle": warn_recycle, "lead.recycle": recycle}
