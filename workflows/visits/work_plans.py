"""Work plans: a rep's goal for a week or a month, read against the visits they planned in it.

A plan holds only the goal (how many visits and meetings) and a note; its visits are the
owner's visit plans starting in the period, so planning, moving or cancelling a visit
shows in the plan at once. Its progress (planned, logged, over without a log) is counted
in the database, for a page of plans in one query. A plan is the owner's to write and
visible to whoever sees its owner: their manager follows it. Functions work in the
caller's ``Session`` and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from core.errors import NotFound, PermissionDenied
from core.phrases import Phrase
from workflows.inputs import Checker, page_window
from workflows.org.visibility import Viewer, can_see_owner

from .models import PERIODS, VisitPlan, WorkPlan
from .periods import first_day, following, on_calendar, utc_bounds
from .plans import owned_by

MAX_GOAL = 1000
MAX_PER_PAGE = 100
MAX_VISITS_SHOWN = 200


@dataclass(frozen=True)
class WorkPlanInput:
    """A plan as typed: ``day`` is any day of the week or month it is for."""

    period: str
    day: str
    goal: str
    note: str = ""


@dataclass(frozen=True)
class Progress:
    planned: int = 0  # visits and meetings planned in the period, cancelled ones aside
    logged: int = 0
    overdue: int = 0  # over, and not logged yet

    @property
    def upcoming(self) -> int:
        return self.planned - self.logged - self.overdue


@dataclass(frozen=True)
class WorkPlanRow:
    plan: WorkPlan
    progress: Progress


def create_work_plan(session: Session, viewer: Viewer, data: WorkPlanInput, time_zone: str,
                     now: datetime) -> WorkPlan:
    """The viewer's plan for the week or month holding ``data.day``; one per period."""
    check = Checker()
    period = check.choice("period", data.period, PERIODS)
    day = on_calendar(check, "day", check.date("day", data.day))
    if not data.day.strip():
        check.problem("day", Phrase("is required"))
    goal = check.whole("goal", data.goal, 0, MAX_GOAL)
    note = check.text("note", data.note, 2000)
    check.done()
    assert day is not None and goal is not None
    starts_on = first_day(period, day)
    if session.scalar(select(WorkPlan.id).where(WorkPlan.owner == viewer.username, WorkPlan.period == period,
                                                WorkPlan.starts_on == starts_on)) is not None:
        check.problem("day", Phrase("you already have a plan for this period"))
        check.done()
    begins_at, ends_at = utc_bounds(starts_on, following(period, starts_on), time_zone)
    plan = WorkPlan(owner=viewer.username, period=period, starts_on=starts_on, begins_at=begins_at,
                    ends_at=ends_at, goal=goal, note=note, created_at=now, updated_at=now)
    session.add(plan)
    session.flush()
    return plan


def change_work_plan(session: Session, viewer: Viewer, plan_id: int, goal: str, note: str,
                     now: datetime) -> WorkPlan:
    """A new goal or note; only the plan's owner writes it."""
    plan = get_work_plan(session, viewer, plan_id)
    if plan.owner != viewer.username:
        raise PermissionDenied(Phrase("Only the owner of a work plan can change it"))
    check = Checker()
    plan_goal = check.whole("goal", goal, 0, MAX_GOAL)
    plan_note = check.text("note", note, 2000)
    check.done()
    assert plan_goal is not None
    plan.goal, plan.note, plan.updated_at = plan_goal, plan_note, now
    session.flush()
    return plan


def get_work_plan(session: Session, viewer: Viewer, plan_id: int) -> WorkPlan:
    """The plan, if the viewer may see its owner; otherwise it "does not exist"."""
    plan = session.get(WorkPlan, plan_id)
    if plan is None or not can_see_owner(session, viewer, plan.owner):
        raise NotFound(Phrase("This work plan does not exist"))
    return plan


def visits_in(session: Session, plan: WorkPlan) -> list[VisitPlan]:
    """The owner's visits of the period, in time order, cancelled ones included (struck)."""
    in_period = (VisitPlan.owner == plan.owner, VisitPlan.starts_at >= plan.begins_at,
                 VisitPlan.starts_at < plan.ends_at)
    return list(session.scalars(select(VisitPlan).where(*in_period)
                                .order_by(VisitPlan.starts_at, VisitPlan.id).limit(MAX_VISITS_SHOWN)))


def list_work_plans(session: Session, viewer: Viewer, now: datetime, person: str = "", page: int = 1,
                    per_page: int = 25) -> tuple[list[WorkPlanRow], int]:
    """One page of the plans of ``person`` (by default everyone the viewer sees), the latest
    period first, each with its progress."""
    condition = owned_by(session, viewer, person, WorkPlan.owner)
    limit, offset = page_window(page, per_page, MAX_PER_PAGE)
    total = session.scalar(select(func.count()).select_from(WorkPlan).where(condition)) or 0
    plans = session.scalars(select(WorkPlan).where(condition)
                            .order_by(WorkPlan.starts_on.desc(), WorkPlan.owner, WorkPlan.id)
                            .limit(limit).offset(offset)).all()
    progress = progress_of(session, plans, now)
    return [WorkPlanRow(plan, progress.get(plan.id, Progress())) for plan in plans], total


def progress_of(session: Session, plans: Sequence[WorkPlan], now: datetime) -> dict[int, Progress]:
    """Each plan's progress by plan id, counted in one query; a plan with no visits is left out."""
    if not plans:
        return {}
    in_period = and_(VisitPlan.owner == WorkPlan.owner, VisitPlan.starts_at >= WorkPlan.begins_at,
                     VisitPlan.starts_at < WorkPlan.ends_at, VisitPlan.status != "cancelled")
    logged = func.sum(case((VisitPlan.status == "logged", 1), else_=0))
    overdue = func.sum(case((and_(VisitPlan.status == "planned", VisitPlan.ends_at <= now), 1), else_=0))
    rows = session.execute(select(WorkPlan.id, func.count(VisitPlan.id), logged, overdue)
                           .join(VisitPlan, in_period).where(WorkPlan.id.in_([p.id for p in plans]))
                           .group_by(WorkPlan.id))
    return {plan_id: Progress(count, int(done or 0), int(late or 0)) for plan_id, count, done, late in rows}
