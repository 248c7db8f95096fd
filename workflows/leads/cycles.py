"""The follow-up cadence of any record a public pool takes back (a lead, an account): one
short cycle per owned record, from its last contact (or its assignment) to the next.

A cycle's deadlines are absolute (``warn_at``, ``recycle_at``, from the record's pool), so a
cycle started a little late changes nothing. Whatever changes what a record's cycle should
be (a new owner, a new rating or category, a contact, leaving the rep's hands) calls
``Pooled.reschedule_follow_up``; :func:`reconcile` then ends the old cycle (through its
``contact_logged`` message when a contact ended it, else by cancelling it) and starts the
next one if the record is still being worked. The sweep runs it for every such record, soon
after; a page that wants the change seen at once calls :func:`follow_up_now`.

The diagrams' services are here too (:func:`services` names them per kind): logging the
follow-up task's result, warning the owner before recycling, and recycling. Each checks
that its cycle is still the record's current one, so a late timer of a replaced cycle does
nothing. What differs between kinds (the diagram, what "still being worked" means, the
start data, how a record goes back) is a :class:`Followed`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.errors import DealflowError
from engine import DefinitionNotFound, NoMatchingWait, ProcessEngine, ServiceCall
from engine.models import ProcessInstance
from notifications import Notice, notify
from workflows.activities.models import CONTACT_KINDS, Activity
from workflows.keys import business_key, record_id
from workflows.org.models import User
from workflows.org.recipients import recipient
from workflows.services import Service

from .models import DEFAULT_RECYCLE_AFTER_DAYS, DEFAULT_WARN_DAYS_BEFORE, Pool, Pooled, PoolMember

log = logging.getLogger(__name__)

CONTACT_MESSAGE = "contact_logged"
SWEEP_BATCH = 500
STARTING = "followup_cycle_starting"  # session.info: the record whose cycle is being started

R = TypeVar("R", bound=Pooled)


@dataclass(frozen=True)
class Followed(Generic[R]):
    """One kind of record the cadence follows up, and what is particular to it."""

    kind: str  # its business keys' and activities' kind: "lead", "account"
    model: type[R]
    process: str  # the diagram of one cycle
    held: Callable[[R], bool]  # still being worked by an owner: followed up, and may be recycled
    start_data: Callable[[R], dict[str, Any]]  # what the diagram reads besides owner and deadlines
    title: Callable[[R], str]
    to_pool: Callable[[Session, R, Pool, datetime], object]  # back to ``pool``, remembering who had it
    page: str  # its page's path, "{}" for its id

    def key(self, record_id: int) -> str:
        return business_key(self.kind, record_id)


@dataclass(frozen=True)
class Deadlines:
    """When a record not contacted since ``since`` warns its owner and goes back to ``pool``."""

    since: datetime
    warn_at: datetime
    recycle_at: datetime
    pool: Pool | None


@dataclass
class SweepReport:
    started: list[str] = field(default_factory=list)  # business keys of records given a new cycle
    failed: list[tuple[str, str]] = field(default_factory=list)  # (business key, why)

    def extend(self, other: SweepReport) -> SweepReport:
        self.started += other.started
        self.failed += other.failed
        return self


def deadlines(session: Session, record: Pooled, now: datetime) -> Deadlines:
    """The deadlines of the record's next cycle: counted from its last contact or assignment."""
    since = max((moment for moment in (record.last_contacted_at, record.assigned_at) if moment), default=now)
    pool = home_pool(session, record)
    recycle_days = pool.recycle_after_days if pool else DEFAULT_RECYCLE_AFTER_DAYS
    warn_days = pool.warn_days_before if pool else DEFAULT_WARN_DAYS_BEFORE
    recycle_at = since + timedelta(days=recycle_days)
    return Deadlines(since, recycle_at - timedelta(days=warn_days), recycle_at, pool)


def home_pool(session: Session, record: Pooled) -> Pool | None:
    """Where the record goes back to: its own pool, else the first of its owner's, else the first."""
    if record.pool_id is not None:
        return session.get(Pool, record.pool_id)
    owners = select(PoolMember.pool_id).join(User, User.id == PoolMember.user_id).where(
        User.username == record.owner)
    return session.scalars(select(Pool).where(Pool.id.in_(owners)).order_by(Pool.id).limit(1)).first() \
        or session.scalars(select(Pool).order_by(Pool.id).limit(1)).first()


def reconcile(session: Session, engine: ProcessEngine, followed: Followed[R], record: R,
              now: datetime) -> None:
    """End the record's cycle if it no longer fits and start the one that does (locked record)."""
    record.followup_stale = False
    current = record.followup_instance_id
    if current is not None and session.scalar(
            select(ProcessInstance.status).where(ProcessInstance.id == current)) == "running":
        _end_cycle(session, engine, followed, record, current)
    record.followup_instance_id, record.followup_since, record.recycle_at = None, None, None
    if not followed.held(record):
        return
    due = deadlines(session, record, now)
    record.pool_id = record.pool_id or (due.pool.id if due.pool else None)  # where it will go back to
    record.followup_since, record.recycle_at = due.since, due.recycle_at
    # Deadlines already past (a record left unreached for long) fire while the cycle starts: its
    # services know it as the record's cycle before the record knows the instance's id.
    session.info[STARTING] = followed.key(record.id)
    try:
        instance = engine.start(session, followed.process, followed.key(record.id), {
            **followed.start_data(record), "owner": record.owner, "title": followed.title(record),
            "since": due.since.isoformat(), "warn_at": due.warn_at.isoformat(),
            "recycle_at": due.recycle_at.isoformat()})
    finally:
        del session.info[STARTING]
    if instance.status == "running":  # else it has run its course already: the record is back in its pool
        record.followup_instance_id = instance.id


def follow_up_now(session: Session, engine: ProcessEngine, followed: Followed[R], record_ids: Iterable[int],
                  now: datetime) -> None:
    """Reconcile these records' cycles in the caller's transaction, so a page shows the result
    at once. A cycle that cannot be started is left to the sweep (which logs why); the
    caller's own change stands."""
    for record_id_ in record_ids:
        try:
            with session.begin_nested():
                record = _locked_stale(session, followed, record_id_)
                if record is not None:
                    reconcile(session, engine, followed, record, now)
        except DealflowError as exc:
            log.warning("follow-up of %s left to the sweep: %s", followed.key(record_id_), exc)


def reconcile_stale(engine: ProcessEngine, session_factory: sessionmaker[Session], followed: Followed[R],
                    now: datetime | None = None, limit: int = SWEEP_BATCH) -> SweepReport:
    """Give every record whose cycle no longer fits the one that does, each in its own transaction.

    A record that fails stays marked and is tried again by the next sweep; with the follow-up
    process not deployed (yet), the sweep stops at the first record and waits for it."""
    now = now or engine.clock.now()
    report = SweepReport()
    model = followed.model
    with session_factory() as session:
        ids = session.scalars(select(model.id).where(model.followup_stale.is_(True))
                              .order_by(model.id).limit(limit)).all()
    for record_id_ in ids:
        key = followed.key(record_id_)
        with session_factory() as session:
            try:
                record = _locked_stale(session, followed, record_id_)
                if record is None:
                    continue
                reconcile(session, engine, followed, record, now)
                session.commit()
                if record.followup_instance_id is not None:
                    report.started.append(key)
            except DealflowError as exc:
                session.rollback()
                log.warning("follow-up of %s failed: %s", key, exc)
                report.failed.append((key, str(exc)))
                if isinstance(exc, DefinitionNotFound):
                    break
    return report


def _locked_stale(session: Session, followed: Followed[R], record_id_: int) -> R | None:
    model = followed.model
    return session.scalars(select(model).where(model.id == record_id_, model.followup_stale.is_(True))
                           .with_for_update().execution_options(populate_existing=True)).first()


def _end_cycle(session: Session, engine: ProcessEngine, followed: Followed[R], record: R,
               instance_id: int) -> None:
    """A contact since the cycle began ends it as the diagram says; any other change cancels it.
    Only "nobody waits for that message" falls back to cancelling: a busy instance or a failing
    step is raised, so the sweep keeps the record stale and says why."""
    contacted, since = record.last_contacted_at, record.followup_since
    if contacted and since and contacted > since:
        try:
            with session.begin_nested():
                engine.send_message(session, CONTACT_MESSAGE, followed.key(record.id),
                                    {"contacted_at": contacted.isoformat()})
            return
        except NoMatchingWait:
            pass  # not waiting for it any more (recycling under way): cancelled below
    engine.cancel(session, instance_id, None, f"the {followed.kind}'s follow-up was rescheduled")


# -- the diagrams' services ----------------------------------------------------------------------


def services(followed: Followed[R]) -> dict[str, Service]:
    """The services a kind's cycle calls, by the names its diagram uses (``lead.recycle``...)."""
    return {f"{followed.kind}.log_follow_up": partial(log_follow_up, followed),
            f"{followed.kind}.warn_recycle": partial(warn_recycle, followed),
            f"{followed.kind}.recycle": partial(recycle, followed)}


def _current(followed: Followed[R], call: ServiceCall) -> R | None:
    """The call's record, locked, if this cycle is still its current one."""
    found = record_id(followed.kind, call.business_key)
    if found is None:
        return None
    model = followed.model
    record = call.session.scalars(select(model).where(model.id == found).with_for_update()
                                  .execution_options(populate_existing=True)).first()
    if record is None:
        return None
    starting = record.followup_instance_id is None and call.session.info.get(STARTING) == followed.key(found)
    return record if record.followup_instance_id == call.instance_id or starting else None


def log_follow_up(followed: Followed[R], call: ServiceCall, now: datetime) -> bool:
    """Keep the follow-up task's result on the record as its owner's activity; True if it reached
    them. The results that did (call, visit, meeting) are the activity kinds that count as a contact."""
    record = _current(followed, call)
    result = str(call.data.get("result") or "")
    reached = result in CONTACT_KINDS
    if record is None:
        return reached
    outcome = str(call.data.get("outcome") or "")
    call.session.add(Activity(
        kind=result if reached else "call", subject_type=followed.kind, subject_id=record.id,
        owner=record.owner or "", happened_at=now, next_step=str(call.data.get("next_step") or "")[:300],
        outcome=outcome if reached else f"[no answer] {outcome}", created_at=now))
    if reached:
        record.contacted(now)
    return reached


def warn_recycle(followed: Followed[R], call: ServiceCall, now: datetime) -> dict[str, Any]:
    """Tell the owner when the record goes back to the pool unless they reach it first."""
    record = _current(followed, call)
    if record is None or record.owner is None or record.recycle_at is None:
        return {"warned": None}
    to = recipient(call.session, record.owner)
    pool = home_pool(call.session, record)
    if to is not None:
        key = f"{followed.key(record.id)}:recycle-warning:{call.instance_id}"
        context = {"record": followed.title(record), "pool": pool.name if pool else "",
                   "recycle_at": record.recycle_at, "since": record.followup_since}
        notify(call.session, Notice(to, "recycled_to_pool", key, template="recycle_warning",
                                    link=followed.page.format(record.id), context=context), now)
    return {"warned": record.owner}


def recycle(followed: Followed[R], call: ServiceCall, now: datetime) -> dict[str, Any]:
    """Put the record back in its pool and tell its owner and the owner's manager."""
    record = _current(followed, call)
    if record is None or record.owner is None or not followed.held(record):
        return {"recycled": False}
    pool = home_pool(call.session, record)
    if pool is None:
        return {"recycled": False, "reason": "there is no pool to return it to"}
    owner, since = record.owner, record.followup_since
    followed.to_pool(call.session, record, pool, now)
    record.followup_instance_id = record.followup_since = record.recycle_at = None
    days = (now - since).days if since else pool.recycle_after_days
    context = {"record": followed.title(record), "pool": pool.name, "days": days, "owner": owner}
    key = f"{followed.key(record.id)}:recycled:{call.instance_id}"
    manager = _manager_of(call.session, owner)
    told = [recipient(call.session, owner), recipient(call.session, manager) if manager else None]
    for to, template in zip(told, ("recycled_to_pool", "recycled_team"), strict=True):
        if to is not None:
            notify(call.session, Notice(to, "recycled_to_pool", key, template=template,
                                        link=followed.page.format(record.id), context=context), now)
    return {"recycled": True, "pool": pool.name, "owner": owner}


def _manager_of(session: Session, username: str) -> str | None:
    manager_id = session.scalar(select(User.manager_id).where(User.username == username))
    return session.scalar(select(User.username).where(User.id == manager_id)) if manager_id else None
