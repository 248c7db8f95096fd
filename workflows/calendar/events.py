"""What a calendar shows between two moments: visits and meetings, the reminders before
them and the tasks falling due, of the people the viewer sees, or of one of them.

Each kind is one range query on an indexed time column (a plan's owner and start, a
task's due date), bounded to ``limit`` rows; a span holding more says so rather than
growing without end. A task is on the calendar of the person it is assigned to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import HumanTask
from workflows.org.visibility import Viewer
from workflows.visits.models import VisitPlan
from workflows.visits.plans import MAX_DURATION_MINUTES, MAX_REMIND_MINUTES, owned_by

MAX_EVENTS = 300  # of each kind, in one span


@dataclass(frozen=True)
class Event:
    kind: str  # "visit", "meeting", "reminder" or "task"
    starts_at: datetime
    ends_at: datetime | None
    title: str  # the record it is about
    what: str  # a visit's purpose, a task's name
    person: str  # whose calendar it is on
    status: str = ""  # a visit's: "planned", "overdue" (over, not logged) or "logged"
    location: str = ""
    plan_id: int | None = None
    task_id: str | None = None
    remind_minutes: int | None = None


@dataclass(frozen=True)
class Events:
    items: list[Event]  # in time order
    truncated: bool  # some kind had more than the limit in the span


def calendar_events(session: Session, viewer: Viewer, begins: datetime, ends: datetime, now: datetime,
                    person: str = "", limit: int = MAX_EVENTS) -> Events:
    """Everything a calendar shows from ``begins`` up to ``ends``."""
    parts = [visits_between(session, viewer, begins, ends, now, person, limit),
             reminders_between(session, viewer, begins, ends, person, limit),
             tasks_due_between(session, viewer, begins, ends, person, limit)]
    return merged(parts)


def merged(parts: Sequence[Events]) -> Events:
    items = sorted((e for part in parts for e in part.items), key=lambda e: (e.starts_at, e.kind, e.title))
    return Events(items, any(part.truncated for part in parts))


def visits_between(session: Session, viewer: Viewer, begins: datetime, ends: datetime, now: datetime,
                   person: str = "", limit: int = MAX_EVENTS) -> Events:
    """Visits and meetings under way at any moment of the span; cancelled ones are off the calendar."""
    earliest_start = begins - timedelta(minutes=MAX_DURATION_MINUTES)  # keeps to the (owner, start) index
    rows = session.scalars(select(VisitPlan).where(
        owned_by(session, viewer, person, VisitPlan.owner), VisitPlan.status != "cancelled",
        VisitPlan.starts_at >= earliest_start, VisitPlan.starts_at < ends, VisitPlan.ends_at > begins)
        .order_by(VisitPlan.starts_at, VisitPlan.id).limit(limit + 1)).all()
    return Events([Event(plan.kind, plan.starts_at, plan.ends_at, plan.title, plan.purpose, plan.owner,
                         plan.state(now), plan.location, plan_id=plan.id,
                         remind_minutes=plan.remind_minutes) for plan in rows[:limit]], len(rows) > limit)


def reminders_between(session: Session, viewer: Viewer, begins: datetime, ends: datetime, person: str = "",
                      limit: int = MAX_EVENTS) -> Events:
    """The reminders of visits still planned that fall in the span, sent or to come."""
    latest_start = ends + timedelta(minutes=MAX_REMIND_MINUTES)  # keeps to the (owner, start) index
    rows = session.scalars(select(VisitPlan).where(
        owned_by(session, viewer, person, VisitPlan.owner), VisitPlan.status == "planned",
        VisitPlan.starts_at >= begins, VisitPlan.starts_at < latest_start,
        VisitPlan.remind_at >= begins, VisitPlan.remind_at < ends)
        .order_by(VisitPlan.remind_at, VisitPlan.id).limit(limit + 1)).all()
    return Events([Event("reminder", plan.remind_at, None, plan.title, plan.purpose, plan.owner,
                         "sent" if plan.reminded_at else "", plan_id=plan.id)
                   for plan in rows[:limit]], len(rows) > limit)


def tasks_due_between(session: Session, viewer: Viewer, begins: datetime, ends: datetime, person: str = "",
                      limit: int = MAX_EVENTS) -> Events:
    """Open tasks falling due in the span, of the people the viewer sees."""
    rows = session.scalars(select(HumanTask).where(
        owned_by(session, viewer, person, HumanTask.assignee), HumanTask.assignee.is_not(None),
        HumanTask.due_at >= begins, HumanTask.due_at < ends)
        .order_by(HumanTask.due_at, HumanTask.id).limit(limit + 1)).all()
    items = [Event("task", task.due_at, None, task.title or "", task.name, task.assignee or "",
                   task_id=task.id) for task in rows[:limit] if task.due_at is not None]
    return Events(items, len(rows) > limit)
