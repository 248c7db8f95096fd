"""Planning visits and meetings with customers, changing and cancelling them, reading them.

A rep plans a visit with a lead, account, contact or opportunity they may see (that
record's visibility rule decides); the plan is then visible to whoever sees its owner, and
only its owner changes it. Each plan runs its own ``visit_plan`` process instance under the
business key ``visit:<id>``: the reminder before the visit, the task to log it after. A
new time cancels that instance and starts another, so the reminder and the log task follow
the visit; a new place or purpose changes nothing the process waits for. Cancelling the
plan cancels its instance. Functions work in the caller's ``Session`` and never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, SQLColumnExpression, func, select
from sqlalchemy.orm import Session

from core.errors import InvalidInput, NotFound, PermissionDenied, reject_fields
from core.phrases import Phrase
from engine import HumanTask, ProcessEngine, ProcessInstance
from workflows.activities.models import SUBJECTS
from workflows.activities.records import RECORDS
from workflows.inputs import Checker, page_window
from workflows.keys import VISIT, business_key
from workflows.org.visibility import Viewer, can_see_owner, owner_condition

from .models import KINDS, VisitPlan
from .periods import on_calendar

PROCESS = "visit_plan"
DEFAULT_REMIND_MINUTES = 60
MAX_REMIND_MINUTES = 7 * 24 * 60
MAX_DURATION_MINUTES = 24 * 60
MAX_PER_PAGE = 100
# The lists of "my visits": coming up, over and waiting for their log, logged, cancelled.
TABS = ("upcoming", "to_log", "logged", "cancelled")
_LOCAL_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


@dataclass(frozen=True)
class VisitInput:
    """A plan as typed. ``starts_at`` is a date and time on the planner's clock
    ("2026-03-02T10:00", as a datetime-local field sends it); minutes are whole numbers."""

    starts_at: str
    purpose: str
    kind: str = "visit"
    duration: str = "60"
    location: str = ""
    remind_minutes: str = str(DEFAULT_REMIND_MINUTES)


@dataclass(frozen=True)
class _Schedule:
    kind: str
    starts_at: datetime
    ends_at: datetime
    location: str
    purpose: str
    remind_minutes: int

    @property
    def remind_at(self) -> datetime:
        return self.starts_at - timedelta(minutes=self.remind_minutes)

    def times(self) -> tuple[datetime, datetime, datetime]:
        return self.starts_at, self.ends_at, self.remind_at


def plan_visit(session: Session, engine: ProcessEngine, viewer: Viewer, subject_type: str, subject_id: int,
               data: VisitInput, time_zone: str, now: datetime) -> VisitPlan:
    """A new visit of the viewer's with a record they may see, its reminder and log task set."""
    record = subject_of(session, viewer, subject_type, subject_id)
    schedule = _checked(data, time_zone, now)
    plan = VisitPlan(owner=viewer.username, subject_type=subject_type, subject_id=subject_id,
                     title=str(record.name)[:300], status="planned", created_at=now,
                     updated_at=now, **_columns(schedule))
    session.add(plan)
    session.flush()
    _start(session, engine, plan)
    return plan


def change_visit(session: Session, engine: ProcessEngine, viewer: Viewer, plan_id: int, data: VisitInput,
                 time_zone: str, now: datetime) -> VisitPlan:
    """Move a planned visit to a new time (its reminder and log task follow), or change its
    kind, place or purpose."""
    plan = _lock(session, viewer, plan_id)
    _require_owner(viewer, plan)
    if plan.status != "planned":
        raise InvalidInput(Phrase("A logged or cancelled visit cannot be changed"))
    current = (plan.starts_at, plan.ends_at, plan.remind_at)
    schedule = _checked(data, time_zone, now, current=current)
    rescheduled = schedule.times() != current
    if rescheduled:
        _stop(session, engine, plan, viewer, "rescheduled")
    for name, value in _columns(schedule).items():
        setattr(plan, name, value)
    plan.updated_at = now
    if rescheduled:
        plan.reminded_at = None
        _start(session, engine, plan)
    session.flush()
    return plan


def cancel_visit(session: Session, engine: ProcessEngine, viewer: Viewer, plan_id: int,
                 now: datetime) -> VisitPlan:
    """Call a planned visit off: no reminder, no log task. Cancelling twice changes nothing."""
    plan = _lock(session, viewer, plan_id)
    _require_owner(viewer, plan)
    if plan.status == "logged":
        raise InvalidInput(Phrase("A logged visit cannot be cancelled"))
    if plan.status == "planned":
        _stop(session, engine, plan, viewer, "cancelled")
        plan.status, plan.updated_at = "cancelled", now
        session.flush()
    return plan


def get_visit(session: Session, viewer: Viewer, plan_id: int) -> VisitPlan:
    """The plan, if the viewer may see its owner; otherwise it "does not exist"."""
    return _seen(session, viewer, session.get(VisitPlan, plan_id))


def list_visits(session: Session, viewer: Viewer, tab: str, now: datetime, person: str = "", page: int = 1,
                per_page: int = 25) -> tuple[list[VisitPlan], int]:
    """One page of the visits of ``person`` (by default everyone the viewer sees) in a tab,
    the next ones first for what is still to come or to log, the latest first otherwise."""
    conditions = [owned_by(session, viewer, person, VisitPlan.owner), *_tab(tab, now)]
    ascending = tab in ("upcoming", "to_log")
    order = VisitPlan.starts_at.asc() if ascending else VisitPlan.starts_at.desc()
    limit, offset = page_window(page, per_page, MAX_PER_PAGE)
    total = session.scalar(select(func.count()).select_from(VisitPlan).where(*conditions)) or 0
    rows = session.scalars(select(VisitPlan).where(*conditions).order_by(order, VisitPlan.id)
                           .limit(limit).offset(offset))
    return list(rows), total


def log_task(session: Session, plan: VisitPlan) -> HumanTask | None:
    """The open "Log the visit" task of the plan, once the visit is over."""
    if plan.instance_id is None or plan.status != "planned":
        return None
    return session.scalars(select(HumanTask).where(HumanTask.instance_id == plan.instance_id)).first()


def owned_by(session: Session, viewer: Viewer, person: str,
             owner: SQLColumnExpression[str | None]) -> ColumnElement[bool]:
    """"The owner column is ``person``", or, without one, "is anyone the viewer sees"; a person
    the viewer may not see "does not exist"."""
    if not person:
        return owner_condition(viewer, owner)
    if not can_see_owner(session, viewer, person):
        raise NotFound(Phrase("This person does not exist"))
    return owner == person


def subject_of(session: Session, viewer: Viewer, subject_type: str, subject_id: int) -> Any:
    """The record a visit is planned with, if the viewer may see it; otherwise it "does not exist"."""
    if subject_type not in SUBJECTS:
        raise NotFound(Phrase("This record does not exist"))
    return RECORDS[subject_type](session, viewer, subject_id)


def _tab(tab: str, now: datetime) -> list[ColumnElement[bool]]:
    if tab == "to_log":
        return [VisitPlan.status == "planned", VisitPlan.ends_at <= now]
    if tab in ("logged", "cancelled"):
        return [VisitPlan.status == tab]
    return [VisitPlan.status == "planned", VisitPlan.ends_at > now]


def _checked(data: VisitInput, time_zone: str, now: datetime,
             current: tuple[datetime, datetime, datetime] | None = None) -> _Schedule:
    """The schedule typed; a new time must still be to come (the ``current`` one of a plan
    being changed may have begun already)."""
    check = Checker()
    kind = check.choice("kind", data.kind, KINDS)
    starts_at = _moment(check, "starts_at", data.starts_at, time_zone)
    duration = check.whole("duration", data.duration, 5, MAX_DURATION_MINUTES)
    remind = check.whole("remind_minutes", data.remind_minutes, 0, MAX_REMIND_MINUTES)
    location = check.text("location", data.location, 300)
    purpose = check.text("purpose", data.purpose, 300, required=True)
    check.done()
    assert starts_at is not None and duration is not None and remind is not None
    schedule = _Schedule(kind, starts_at, starts_at + timedelta(minutes=duration), location, purpose, remind)
    if schedule.times() != current and starts_at <= now:
        reject_fields({"starts_at": Phrase("must be in the future")})
    return schedule


def _moment(check: Checker, field: str, raw: str, time_zone: str) -> datetime | None:
    """A date and time on the person's clock, as the moment in UTC it names."""
    value = raw.strip()
    try:
        local = datetime.fromisoformat(value) if _LOCAL_MOMENT.fullmatch(value) else None
    except ValueError:
        local = None
    if local is None:
        check.problem(field, Phrase("must be a date and time (YYYY-MM-DD HH:MM)"))
        return None
    if on_calendar(check, field, local.date()) is None:
        return None
    return local.replace(tzinfo=ZoneInfo(time_zone)).astimezone(UTC)


def _columns(schedule: _Schedule) -> dict[str, Any]:
    return {"kind": schedule.kind, "starts_at": schedule.starts_at, "ends_at": schedule.ends_at,
            "location": schedule.location, "purpose": schedule.purpose,
            "remind_minutes": schedule.remind_minutes, "remind_at": schedule.remind_at}


def _lock(session: Session, viewer: Viewer, plan_id: int) -> VisitPlan:
    """The plan, locked against a second change at the same moment, if the viewer sees it."""
    return _seen(session, viewer, session.scalars(select(VisitPlan).where(VisitPlan.id == plan_id)
                                                  .with_for_update().execution_options(populate_existing=True))
                 .first())


def _seen(session: Session, viewer: Viewer, plan: VisitPlan | None) -> VisitPlan:
    if plan is None or not can_see_owner(session, viewer, plan.owner):
        raise NotFound(Phrase("This visit does not exist"))
    return plan


def _require_owner(viewer: Viewer, plan: VisitPlan) -> None:
    if plan.owner != viewer.username:
        raise PermissionDenied(Phrase("Only the person who planned this visit can change it"))


def _start(session: Session, engine: ProcessEngine, plan: VisitPlan) -> None:
    data = {"owner": plan.owner, "title": plan.title, "remind_at": plan.remind_at.isoformat(),
            "ends_at": plan.ends_at.isoformat()}
    plan.instance_id = engine.start(session, PROCESS, business_key(VISIT, plan.id), data, plan.owner).id


def _stop(session: Session, engine: ProcessEngine, plan: VisitPlan, viewer: Viewer, reason: str) -> None:
    instance = session.get(ProcessInstance, plan.instance_id) if plan.instance_id is not None else None
    if instance is not None and instance.status == "running":
        engine.cancel(session, instance.id, viewer.username, reason)
