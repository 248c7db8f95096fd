"""Watching one deployed version: where its running instances wait and how long work takes.

Everything here is SQL over the projections (``human_task``, ``engine_timer``,
``history_event``) and ``process_instance``'s own columns; no instance state is read.
Messages an instance waits for are not projected, so an instance waiting only for one shows
no element here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from core.db import median, numbered, seconds_between
from core.pages import SlicePage

from .models import EngineTimer, HistoryEvent, HumanTask, ProcessDefinition, ProcessInstance


@dataclass(frozen=True)
class WaitingWork:
    """How much work waits at one element: open user tasks and waiting timers."""

    bpmn_id: str
    tasks: int
    timers: int

    @property
    def total(self) -> int:
        return self.tasks + self.timers


@dataclass(frozen=True)
class ElementTime:
    """Time from a user task's creation to its completion, over every completed one."""

    bpmn_id: str
    name: str
    completed: int
    average: timedelta
    median: timedelta


@dataclass(frozen=True)
class RunningInstance:
    id: int
    business_key: str | None
    started_at: datetime
    updated_at: datetime
    error: str | None
    waits_at: list[str]  # bpmn ids of its open tasks and waiting timers


InstancePage = SlicePage[RunningInstance]


@dataclass(frozen=True)
class VersionCounts:
    running: int
    failing: int  # running, with a step that failed (``process_instance.error``)


def waiting_work(session: Session, definition_id: int) -> list[WaitingWork]:
    """Open tasks and waiting timers of the version's instances, per element, busiest first."""
    tasks: dict[str, int] = {bpmn_id: count for bpmn_id, count in session.execute(
        select(HumanTask.bpmn_id, func.count()).where(HumanTask.definition_id == definition_id)
        .group_by(HumanTask.bpmn_id))}
    timers: dict[str, int] = {bpmn_id: count for bpmn_id, count in session.execute(
        select(EngineTimer.bpmn_id, func.count())
        .join(ProcessInstance, ProcessInstance.id == EngineTimer.instance_id)
        .where(*_running(definition_id)).group_by(EngineTimer.bpmn_id))}
    counts = [WaitingWork(bpmn_id, tasks.get(bpmn_id, 0), timers.get(bpmn_id, 0))
              for bpmn_id in sorted(tasks.keys() | timers.keys())]
    return sorted(counts, key=lambda c: -c.total)


def time_per_element(session: Session, definition_id: int) -> list[ElementTime]:
    """Average and median time from creation to completion of each user task of the version's
    instances (those moved onto it included), from their history; open tasks do not count."""
    created, done = aliased(HistoryEvent), aliased(HistoryEvent)
    pairs = (
        select(created.bpmn_id.label("bpmn_id"), created.name.label("name"),
               seconds_between(session, created.at, done.at).label("seconds"))
        .join(ProcessInstance, ProcessInstance.id == created.instance_id)
        .join(done, and_(done.task_guid == created.task_guid, done.event == "task_completed"))
        .where(ProcessInstance.definition_id == definition_id, created.event == "task_created",
               created.bpmn_id.is_not(None))
        .cte("pairs")
    )
    ranked = select(pairs.c.bpmn_id, pairs.c.name, pairs.c.seconds,
                    *numbered(pairs.c.bpmn_id, pairs.c.seconds)).cte("ranked")
    rows = session.execute(
        select(ranked.c.bpmn_id, func.max(ranked.c.name), func.count(), func.avg(ranked.c.seconds),
               median(ranked.c.n, ranked.c.total, ranked.c.seconds))
        .group_by(ranked.c.bpmn_id).order_by(ranked.c.bpmn_id)).all()
    return [ElementTime(bpmn_id, name or bpmn_id, count, _duration(average), _duration(median))
            for bpmn_id, name, count, average, median in rows]


def running_instances(session: Session, definition_id: int, number: int = 1, per_page: int = 25,
                      at: str | None = None) -> InstancePage:
    """Page ``number`` of the version's running instances, oldest first, each with where it
    waits; ``at`` keeps those waiting at that element."""
    number = max(1, number)
    stmt = select(ProcessInstance.id, ProcessInstance.business_key, ProcessInstance.started_at,
                  ProcessInstance.updated_at, ProcessInstance.error).where(*_running(definition_id))
    if at:
        stmt = stmt.where(_waits_at(at))
    rows = session.execute(stmt.order_by(ProcessInstance.id).offset((number - 1) * per_page)
                           .limit(per_page + 1)).all()
    ids = [row.id for row in rows[:per_page]]
    waits: dict[int, list[str]] = {i: [] for i in ids}
    tasks = select(HumanTask.instance_id, HumanTask.bpmn_id).where(HumanTask.instance_id.in_(ids))
    timers = select(EngineTimer.instance_id, EngineTimer.bpmn_id).where(EngineTimer.instance_id.in_(ids))
    for instance_id, bpmn_id in session.execute(tasks.union_all(timers)):
        if bpmn_id not in waits[instance_id]:
            waits[instance_id].append(bpmn_id)
    items = [RunningInstance(row.id, row.business_key, row.started_at, row.updated_at, row.error,
                             waits[row.id]) for row in rows[:per_page]]
    return InstancePage(items, number, len(rows) > per_page)


def version_counts(session: Session, definition_id: int) -> VersionCounts:
    running, failing = session.execute(
        select(func.count(), func.count(ProcessInstance.error)).where(*_running(definition_id))).one()
    return VersionCounts(running or 0, failing or 0)


def versions_of(session: Session, key: str) -> Sequence[ProcessDefinition]:
    """Every deployed version of a process key, newest first."""
    return session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key)
                           .order_by(ProcessDefinition.version.desc())).all()


def _running(definition_id: int) -> tuple[ColumnElement[bool], ...]:
    return ProcessInstance.definition_id == definition_id, ProcessInstance.status == "running"


def _waits_at(bpmn_id: str) -> ColumnElement[bool]:
    return or_(
        exists().where(HumanTask.instance_id == ProcessInstance.id, HumanTask.bpmn_id == bpmn_id),
        exists().where(EngineTimer.instance_id == ProcessInstance.id, EngineTimer.bpmn_id == bpmn_id),
    )


def _duration(seconds: Any) -> timedelta:
    return timedelta(seconds=round(float(seconds or 0)))
