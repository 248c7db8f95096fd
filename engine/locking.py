"""Lock a process instance and read it with its open task rows, in one statement.

Advancing an instance starts here: ``SELECT ... FOR UPDATE`` on PostgreSQL (SQLite's
``BEGIN IMMEDIATE`` already serialises writers) returning plain rows, which ``adopt``
turns into the session's object without a second query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, insert, inspect, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from core.phrases import Phrase

from .errors import InstanceBusy, InstanceNotFound
from .models import HumanTask, ProcessInstance
from .projection import OPEN_TASK_COLUMNS, BusinessColumns, open_task_columns


@dataclass(frozen=True)
class Locked:
    """A locked instance with its open task rows, read by the same statement."""

    instance: ProcessInstance
    tasks: dict[str, BusinessColumns]
    assignees: dict[str, str | None]


def lock(session: Session, instance_id: int | None = None, task_id: str | None = None,
         within: ColumnElement[bool] | None = None,
         missing: Callable[[], object] | None = None) -> Locked:
    """Load an instance, by id or by one of its tasks, hold its row lock until the
    transaction ends, and read its open task rows in the same statement.

    ``missing`` raises the error that fits when nothing matched. On PostgreSQL a lock
    that had to wait returns the instance as the other writer left it, but the joined
    task rows as they were when the statement began; the version the statement saw
    before the wait tells, and then the (now uncontended) statement runs again.
    """
    session.flush()  # what the caller changed goes first, as an ORM query would autoflush it
    connection = session.connection()
    postgresql = connection.dialect.name == "postgresql"
    stmt = _lock_statement(postgresql, task_id is not None, within)
    params = {"task_id": task_id} if task_id is not None else {"instance_id": instance_id}
    try:
        rows = connection.execute(stmt, params).all()
        if postgresql and rows and rows[0][-1] != rows[0][_VERSION]:
            rows = connection.execute(stmt, params).all()
    except OperationalError as exc:
        raise InstanceBusy(Phrase("This process is busy with another change; please try again")) from exc
    if not rows:
        if missing is not None:
            missing()
        raise InstanceNotFound(Phrase("Process %(id)s does not exist", id=instance_id))
    instance = adopt(session, dict(zip(_INSTANCE_ATTRIBUTES, rows[0], strict=False)))
    first = len(_INSTANCE_ATTRIBUTES)  # then the assignee, the task id and its business columns
    tasks = open_task_columns(row[first + 1:first + 1 + len(OPEN_TASK_COLUMNS)] for row in rows)
    assignees = {row[first + 1]: row[first] for row in rows if row[first + 1] is not None}
    return Locked(instance, tasks, assignees)



_INSTANCE_COLUMNS = [(attr.key, attr.columns[0]) for attr in inspect(ProcessInstance).column_attrs]
_INSTANCE_ATTRIBUTES = [key for key, _ in _INSTANCE_COLUMNS]
_VERSION = _INSTANCE_ATTRIBUTES.index("version")


@lru_cache(maxsize=1024)  # ``within`` conditions are built once per viewer and reused
def _lock_statement(postgresql: bool, by_task: bool, within: ColumnElement[bool] | None) -> Select[Any]:
    """Built once per kind: the instance's columns (found by id, or by the task it owns if
    that task is ``within``), each of its open task rows (assignee, then the columns the
    projector compares), and on PostgreSQL the instance's version as the statement's
    snapshot saw it. Plain rows: ``adopt`` makes the ORM object, cheaper than a query."""
    owning = select(HumanTask.instance_id).where(HumanTask.id == bindparam("task_id"))
    owner = (owning if within is None else owning.where(within)).scalar_subquery()
    stmt = (
        select(*(column for _, column in _INSTANCE_COLUMNS), HumanTask.assignee, *OPEN_TASK_COLUMNS)
        .outerjoin(HumanTask, HumanTask.instance_id == ProcessInstance.id)
        .where(ProcessInstance.id == (owner if by_task else bindparam("instance_id")))
    )
    if not postgresql:  # SQLite: BEGIN IMMEDIATE already serialises every writer
        return stmt
    before = aliased(ProcessInstance)
    seen = select(before.version).where(before.id == ProcessInstance.id).scalar_subquery()
    return stmt.add_columns(seen).with_for_update(of=ProcessInstance)


INSERT_INSTANCE = insert(ProcessInstance).returning(ProcessInstance.id)


def adopt(session: Session, values: dict[str, Any]) -> ProcessInstance:
    """The session's object for this instance row, with the row's values as loaded state
    (what a query with ``populate_existing`` would give); made without a query."""
    held = session.identity_map.get(identity_key(ProcessInstance, values["id"]))
    if isinstance(held, ProcessInstance):
        for name, value in values.items():
            set_committed_value(held, name, value)
        return held
    instance = ProcessInstance(**values)
    make_transient_to_detached(instance)  # no pending changes: as if just loaded
    session.add(instance)
    return instance
