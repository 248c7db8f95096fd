"""Write the query-side tables from a workflow, in the transaction that changed it.

Work is proportional to what changed: the instance's open tasks and timers are
compared with the rows already there, so a step that creates one task writes one row.
The projector only works out the rows (``StepChanges``); ``saving.py`` writes them with
the instance's new state once the whole step is known, without an ORM unit of work. The
history rows are also handed to step observers as (unsaved) ``HistoryEvent`` objects
carrying the same values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.task import Task
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from .models import EngineTimer, HistoryEvent, HumanTask, ProcessInstance
from .parsing import is_wrapped, unwrap_expression
from .stepping import StepLog, has_timer_events, ready_user_tasks, waiting_timers


@dataclass(frozen=True)
class BusinessColumns:
    """The business object a task is about, as the inbox shows and filters it."""

    object_type: str | None = None
    object_id: str | None = None
    title: str | None = None
    amount: Decimal | None = None
    owner: str | None = None
    region: str | None = None


BusinessResolver = Callable[[str | None, Mapping[str, Any]], BusinessColumns]
# What a task row keeps when it is projected anew (an instance moved to another version):
# who has it and since when, rather than what the new version would say of a new task.
CARRIED_COLUMNS = ("assignee", "created_at", "due_at", "follow_up_at")
BUSINESS_COLUMNS = tuple(f.name for f in fields(BusinessColumns))  # as human_task names them too
# An instance's open task rows as the projector compares them: task guid -> business columns.
OpenTasks = Mapping[str, BusinessColumns]


def business_from_data(business_key: str | None, data: Mapping[str, Any]) -> BusinessColumns:
    """Default resolver: ``type:id`` business keys and well-known data keys."""
    object_type, _, object_id = (business_key or "").partition(":")
    return BusinessColumns(
        object_type=object_type or None,
        object_id=object_id or None,
        title=_text(data.get("title"), 300),
        amount=_decimal(data.get("amount")),
        owner=_text(data.get("owner"), 100),
        region=_text(data.get("region"), 100),
    )


@dataclass
class StepChanges:
    """The rows one step adds, changes and removes, as column values by name."""

    history: list[dict[str, Any]] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)  # task guids no longer open
    changed: list[dict[str, Any]] = field(default_factory=list)  # task_id and business columns
    opened: list[dict[str, Any]] = field(default_factory=list)  # new human_task rows
    candidates: list[dict[str, Any]] = field(default_factory=list)  # their candidate rows
    stale_timers: list[int] = field(default_factory=list)  # engine_timer ids
    new_timers: list[dict[str, Any]] = field(default_factory=list)


class Projector:
    """Works out what one step changed in the query-side tables (``changes``) and which
    history it wrote (``events``), against ``open_tasks``: the instance's task rows as read
    with the instance lock. ``carried`` are task rows the caller deleted to have them
    projected anew (``CARRIED_COLUMNS`` by task guid): they come back with those values and
    without the history of a new task."""

    def __init__(self, session: Session, instance: ProcessInstance, now: datetime,
                 business: BusinessResolver, evaluate: Callable[[Task, str], Any],
                 open_tasks: OpenTasks, carried: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.session = session
        self.instance = instance
        self.now = now
        self.business = business
        self.evaluate = evaluate
        self.open_tasks = open_tasks
        self.carried = carried or {}
        self.events: list[HistoryEvent] = []  # the history rows this step writes, in order
        self.changes = StepChanges()

    def project(self, workflow: BpmnWorkflow, log: StepLog, actor: str | None,
                details: Mapping[str, dict[str, Any]]) -> None:
        """Record what ``log`` saw happen, then bring open tasks and timers up to date."""
        for task in log.completed:
            self.history(_completion_event(task), task, actor if task.task_spec.manual else None,
                         details.get(str(task.id)))
            if not task.task_spec.manual:  # user tasks marked their stage when they were created
                self._stage_entered(task, actor)
        self._tasks(workflow, actor, {str(task.id) for task in log.completed})
        self._timers(workflow)
        if workflow.is_completed() and self.instance.status == "running":
            self.instance.status = "completed"
            self.instance.ended_at = self.now
            self.history("instance_completed")

    def history(self, event: str, task: Task | None = None, actor: str | None = None,
                details: dict[str, Any] | None = None) -> None:
        spec = task.task_spec if task is not None else None
        row = {
            "instance_id": self.instance.id, "process_key": self.instance.process_key,
            "business_key": self.instance.business_key, "event": event, "actor": actor, "at": self.now,
            "task_guid": str(task.id) if task is not None else (details or {}).get("task_guid"),
            "bpmn_id": getattr(spec, "bpmn_id", None), "name": getattr(spec, "bpmn_name", None),
            "details": details,
        }
        self.changes.history.append(row)
        self.events.append(HistoryEvent(**row))

    def _stage_entered(self, task: Task, actor: str | None = None) -> None:
        """Elements with a ``stage`` property mark a stage change: a user task is a stage where
        work waits; any other element (an end event, a gateway waiting to reopen) a closed state."""
        props = (getattr(task.task_spec, "extensions", None) or {}).get("properties", {})
        if props.get("stage"):
            details = {"stage": props["stage"], "probability": props.get("probability")}
            if not task.task_spec.manual:
                details["closed"] = True
            self.history("stage_entered", task, actor, details=details)

    def _tasks(self, workflow: BpmnWorkflow, actor: str | None, completed: set[str]) -> None:
        ready = {str(t.id): t for t in ready_user_tasks(workflow)}
        rows = self.open_tasks
        self.changes.closed = [guid for guid in rows if guid not in ready]
        for guid in self.changes.closed:
            if guid not in completed:  # the process moved on without it: say so in its history
                self.history("task_cancelled", workflow.tasks.get(UUID(guid)), actor, {"task_guid": guid})
        for guid, task in ready.items():
            columns = self.business(self.instance.business_key, task.data)
            if guid not in rows:
                self._new_task(task, columns, actor)
            elif rows[guid] != columns:
                self.changes.changed.append({"task_id": guid, **_business_values(columns)})

    def _new_task(self, task: Task, columns: BusinessColumns, actor: str | None) -> None:
        spec = task.task_spec
        ext = spec.extensions or {}
        props = ext.get("properties", {})
        guid = str(task.id)
        carried = self.carried.get(guid)
        self.changes.opened.append({
            "id": guid, "instance_id": self.instance.id,
            "definition_id": self.instance.definition_id, "process_key": self.instance.process_key,
            "bpmn_id": spec.bpmn_id, "name": spec.bpmn_name or spec.bpmn_id, "lane": spec.lane,
            "assignee": self._value(task, ext.get("assignee")), "form_key": ext.get("formKey"),
            "created_at": self.now, "due_at": self._moment(task, ext.get("dueDate")),
            "follow_up_at": self._moment(task, ext.get("followUpDate")),
            "business_key": self.instance.business_key, "stage": props.get("stage"),
            **_business_values(columns), **(carried or {}),
        })
        groups = ext.get("candidateGroups") or ([role_name(spec.lane)] if spec.lane else [])
        candidates = [("group", g) for g in dict.fromkeys(groups)]
        candidates += [("user", u) for u in dict.fromkeys(ext.get("candidateUsers", []))]
        self.changes.candidates += [{"task_id": guid, "kind": k, "name": n} for k, n in candidates]
        if carried is None:
            self.history("task_created", task)
            self._stage_entered(task, actor)

    def _timers(self, workflow: BpmnWorkflow) -> None:
        wanted = {str(task.id): (task, due) for task, due in waiting_timers(workflow)}
        if not wanted and not has_timer_events(workflow):  # no row can exist: spare the query
            return
        rows = {guid: (timer_id, due) for timer_id, guid, due in self.session.execute(
            _TIMERS, {"instance_id": self.instance.id})}
        stale = self.changes.stale_timers = [
            timer_id for guid, (timer_id, due) in rows.items()
            if guid not in wanted or due != wanted[guid][1]]
        for guid, (task, due) in wanted.items():
            if guid not in rows or rows[guid][0] in stale:
                self.changes.new_timers.append({"instance_id": self.instance.id, "task_guid": guid,
                                                "bpmn_id": task.task_spec.bpmn_id, "due_at": due})

    def _value(self, task: Task, raw: str | None) -> str | None:
        if not raw:
            return None
        value = self.evaluate(task, unwrap_expression(raw)) if is_wrapped(raw) else raw
        return _text(value, 100)

    def _moment(self, task: Task, raw: str | None) -> datetime | None:
        """Due and follow-up dates: an ISO duration from now, a date-time, or an expression."""
        if not raw:
            return None
        value = self.evaluate(task, unwrap_expression(raw)) if is_wrapped(raw) else raw
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if isinstance(value, date):
            return datetime.combine(value, time(), UTC)
        text = str(value).strip()
        if text.startswith("P"):
            duration = TimerEventDefinition.parse_iso_duration(text)
            delta: timedelta = TimerEventDefinition.get_timedelta_from_start(duration, self.now)
            return self.now + delta
        moment: datetime = TimerEventDefinition.get_datetime(text)
        return moment.astimezone(UTC)


def open_task_columns(rows: Iterable[Sequence[Any]]) -> dict[str, BusinessColumns]:
    """Task guid -> business columns, from rows of (id, *BUSINESS_COLUMNS); None ids skipped."""
    return {row[0]: BusinessColumns(*row[1:]) for row in rows if row[0] is not None}


# What the instance lock reads of each open task, and the timers read (built once: a
# statement object reused with new parameters skips SQLAlchemy's per-call cache-key work).
OPEN_TASK_COLUMNS = (HumanTask.id, *(getattr(HumanTask, name) for name in BUSINESS_COLUMNS))
_TIMERS = select(EngineTimer.id, EngineTimer.task_guid, EngineTimer.due_at).where(
    EngineTimer.instance_id == bindparam("instance_id"))


def role_name(lane: str) -> str:
    """Lane "Sales Director" is the candidate group ``sales_director``."""
    return re.sub(r"[^0-9a-z]+", "_", lane.strip().lower()).strip("_")


def _completion_event(task: Task) -> str:
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition):
        return "timer_fired"
    if isinstance(definition, MessageEventDefinition):
        return "message_received"
    return "task_completed" if task.task_spec.manual else "element_completed"


def _business_values(columns: BusinessColumns) -> dict[str, Any]:
    return {name: getattr(columns, name) for name in BUSINESS_COLUMNS}


def _text(value: Any, limit: int) -> str | None:
    return None if value is None or value == "" else str(value)[:limit]


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None

