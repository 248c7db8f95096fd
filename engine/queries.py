"""Read side: task lists, instance views, history and the process catalogue.

Only projection tables are read here; no query deserializes instance state.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal_column, or_, select
from sqlalchemy.orm import Session

from core.counting import capped_count

from .errors import InstanceNotFound
from .models import (
    EngineTimer,
    HistoryEvent,
    HumanTask,
    ProcessDefinition,
    ProcessInstance,
    TaskCandidate,
)

COMPLETION_EVENTS = ("task_completed", "element_completed", "timer_fired", "message_received")
SORTABLE = {
    "created": HumanTask.created_at, "due": HumanTask.due_at, "amount": HumanTask.amount,
    "title": HumanTask.title, "name": HumanTask.name, "stage": HumanTask.stage,
}


@dataclass(frozen=True)
class TaskFilter:
    """Which tasks: ``mine`` (assigned to me), ``claimable`` (unassigned, offered to me or my
    groups) or ``visible`` (both). Business-column filters narrow any of them."""

    user: str
    groups: Collection[str] = ()
    scope: str = "mine"
    process_key: str | None = None
    object_type: str | None = None
    stage: str | None = None
    owner: str | None = None
    due_before: datetime | None = None
    sort: str = "created"
    descending: bool = False
    page: int = 1
    per_page: int = 25
    # Replaces the scope with the caller's own rule of who sees what (e.g. managers'
    # subtrees), which the engine cannot know.
    condition: ColumnElement[bool] | None = None


@dataclass(frozen=True)
class Page:
    items: Sequence[HumanTask]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_tasks(session: Session, f: TaskFilter, with_total: bool = True) -> Page:
    stmt = _filtered(select(HumanTask), f)
    column = SORTABLE.get(f.sort, HumanTask.created_at)
    order = column.desc() if f.descending else column.asc()
    rows = session.scalars(
        stmt.order_by(order, HumanTask.id).limit(f.per_page).offset((f.page - 1) * f.per_page)
    ).all()
    total = count_tasks(session, f) if with_total else len(rows)
    return Page(rows, total, f.page, f.per_page)


def count_tasks(session: Session, f: TaskFilter, cap: int | None = None) -> int:
    """How many tasks match ``f``; with ``cap``, at most ``cap + 1``, so a caller can tell
    "more than ``cap``" while the database reads no more than that many rows."""
    if cap is None:
        return session.scalar(_filtered(select(func.count()).select_from(HumanTask), f)) or 0
    return capped_count(session, _filtered(select(literal_column("1")).select_from(HumanTask), f), cap)


def _filtered(stmt: Select, f: TaskFilter) -> Select:  # type: ignore[type-arg]
    stmt = stmt.where(_scope(f))
    for column, value in ((HumanTask.process_key, f.process_key), (HumanTask.object_type, f.object_type),
                          (HumanTask.stage, f.stage), (HumanTask.owner, f.owner)):
        if value is not None:
            stmt = stmt.where(column == value)
    if f.due_before is not None:
        stmt = stmt.where(HumanTask.due_at <= f.due_before)
    return stmt


def _scope(f: TaskFilter) -> ColumnElement[bool]:
    if f.condition is not None:
        return f.condition
    mine = HumanTask.assignee == f.user
    if f.scope == "mine":
        return mine
    offered = exists().where(
        TaskCandidate.task_id == HumanTask.id,
        or_(and_(TaskCandidate.kind == "user", TaskCandidate.name == f.user),
            and_(TaskCandidate.kind == "group", TaskCandidate.name.in_(list(f.groups)))),
    )
    claimable = and_(HumanTask.assignee.is_(None), offered)
    return claimable if f.scope == "claimable" else or_(mine, claimable)


@dataclass(frozen=True)
class InstanceView:
    instance: ProcessInstance
    active_elements: list[str]
    completed_elements: list[str]
    open_tasks: Sequence[HumanTask]
    history: Sequence[HistoryEvent] = field(default_factory=list)


def instance_view(session: Session, instance_id: int) -> InstanceView:
    """An instance with the diagram ids to highlight: where it is and where it has been."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise InstanceNotFound(f"Process {instance_id} does not exist")
    tasks = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).all()
    timers = session.scalars(select(EngineTimer.bpmn_id).where(EngineTimer.instance_id == instance_id)).all()
    events = history(session, instance_id)
    completed = [e.bpmn_id for e in events if e.event in COMPLETION_EVENTS and e.bpmn_id]
    return InstanceView(
        instance=instance,
        active_elements=sorted({t.bpmn_id for t in tasks} | set(timers)),
        completed_elements=sorted(set(completed)),
        open_tasks=tasks,
        history=events,
    )


def task_completion(session: Session, task_id: str) -> HistoryEvent | None:
    """The event recording how a user task closed: completed by someone, or cancelled
    because the process moved on without it (another approver's rejection ended the round)."""
    return session.scalars(select(HistoryEvent).where(
        HistoryEvent.task_guid == task_id, HistoryEvent.event.in_(("task_completed", "task_cancelled")))
        .order_by(HistoryEvent.id)).first()


def history(session: Session, instance_id: int) -> Sequence[HistoryEvent]:
    return session.scalars(
        select(HistoryEvent).where(HistoryEvent.instance_id == instance_id).order_by(HistoryEvent.id)
    ).all()


@dataclass(frozen=True)
class CatalogueEntry:
    definition: ProcessDefinition
    running: int
    total: int


def catalogue(session: Session) -> list[CatalogueEntry]:
    """Every deployed version with its instance counts, newest version of each key first."""
    counts = (
        select(ProcessInstance.definition_id,
               func.count().label("total"),
               func.count().filter(ProcessInstance.status == "running").label("running"))
        .group_by(ProcessInstance.definition_id).subquery()
    )
    rows = session.execute(
        select(ProcessDefinition, counts.c.running, counts.c.total)
        .outerjoin(counts, counts.c.definition_id == ProcessDefinition.id)
        .order_by(ProcessDefinition.key, ProcessDefinition.version.desc())
    ).all()
    return [CatalogueEntry(d, running or 0, total or 0) for d, running, total in rows]
