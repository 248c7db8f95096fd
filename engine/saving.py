"""Save a step: the instance's new state and the rows its projections gained and lost.

The instance row is written with the version it was read at as a condition (the
optimistic lock the ORM would apply) and the ORM object is told the new values, so it
has nothing left to flush. On PostgreSQL the whole step is one statement: the UPDATE of
the instance as a CTE that every other change is conditional on, so a lost version check
writes nothing at all. Elsewhere (SQLite, in process) each table's rows are one
statement. Timers change rarely and are written apart on every database: a timer whose
due moment moved is deleted and re-inserted under the same unique key, which two CTEs of
one statement could do in either order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    Column,
    Connection,
    CursorResult,
    Delete,
    Exists,
    Insert,
    Select,
    Update,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from core.phrases import Phrase

from .errors import InstanceBusy
from .models import EngineTimer, HistoryEvent, HumanTask, ProcessInstance, TaskCandidate
from .projection import BUSINESS_COLUMNS, StepChanges
from .serializer import SERIALIZER_VERSION

CHANGED_MEANWHILE = Phrase("This process was changed by someone else; please reload")
STORED = ("definition_id", "state", "serializer_version", "status", "error", "updated_at", "ended_at",
          "version")


def save_step(session: Session, instance: ProcessInstance, state: str, now: datetime,
              changes: StepChanges) -> None:
    """Write the instance's ``state`` (and the version it runs on, which a migration changes)
    and the step's ``changes``; InstanceBusy if someone else wrote the instance since it was read."""
    values = {"definition_id": instance.definition_id, "state": state,
              "serializer_version": SERIALIZER_VERSION, "status": instance.status,
              "error": instance.error, "updated_at": now, "ended_at": instance.ended_at,
              "version": instance.version + 1}
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        stored: int = connection.execute(_one_statement(_shape(changes)),
                                         _parameters(instance, values, changes)).scalar_one()
    else:
        stored = _statement_by_statement(connection, instance, values, changes)
    if stored != 1:
        raise InstanceBusy(CHANGED_MEANWHILE)
    if changes.stale_timers:
        connection.execute(_DELETE_TIMERS, {"ids": changes.stale_timers})
    if changes.new_timers:
        connection.execute(_INSERT_TIMERS, changes.new_timers)
    for name, value in values.items():
        set_committed_value(instance, name, value)
    _forget(session, HumanTask, changes.closed, expunge=True)
    _forget(session, HumanTask, [row["task_id"] for row in changes.changed])
    _forget(session, EngineTimer, changes.stale_timers, expunge=True)


# -- PostgreSQL: one statement ------------------------------------------------------------------

Rows = tuple[tuple[str, ...], int]  # the columns given and how many rows
Shape = tuple[Rows, bool, int, Rows, Rows]  # history, any closed, changed, opened, candidates


def _shape(changes: StepChanges) -> Shape:
    return (_rows(changes.history), bool(changes.closed), len(changes.changed), _rows(changes.opened),
            _rows(changes.candidates))


def _rows(rows: list[dict[str, Any]]) -> Rows:
    return (tuple(rows[0]) if rows else (), len(rows))


def _parameters(instance: ProcessInstance, values: Mapping[str, Any], changes: StepChanges) -> dict[str, Any]:
    parameters = {f"i_{name}": value for name, value in values.items()}
    # No parameter may share a name with a human_task column: SQLAlchemy would add it to
    # the SET clause of the task UPDATEs (which is why the instance's id is "stored_id").
    parameters.update(stored_id=instance.id, seen=instance.version, closed=changes.closed)
    for prefix, rows in (("h", changes.history), ("c", changes.changed), ("t", changes.opened),
                         ("k", changes.candidates)):
        for number, row in enumerate(rows):
            parameters.update({f"{prefix}{number}_{name}": value for name, value in row.items()})
    return parameters


@lru_cache(maxsize=256)
def _one_statement(shape: Shape) -> Select[Any]:
    """Built once per shape (which rows of each kind): the instance UPDATE as a CTE that
    every other change is conditional on, then how many instance rows it wrote."""
    history, closed, changed, opened, candidates = shape
    stored = (
        update(ProcessInstance)
        .where(ProcessInstance.id == bindparam("stored_id"), ProcessInstance.version == bindparam("seen"))
        .values({name: bindparam(f"i_{name}") for name in STORED})
        .returning(ProcessInstance.id)
        .cte("stored")
    )
    written = exists(select(stored.c.id))
    ctes: list[Any] = []
    if history[1]:
        ctes.append(_insert(HistoryEvent, "h", history, written).cte("history"))
    if closed:
        ctes.append(delete(HumanTask).where(HumanTask.id.in_(bindparam("closed", expanding=True)), written)
                    .cte("closed"))
    for number in range(changed):
        ctes.append(update(HumanTask)
                    .where(HumanTask.id == bindparam(f"c{number}_task_id"), written)
                    .values({name: bindparam(f"c{number}_{name}") for name in BUSINESS_COLUMNS})
                    .cte(f"changed_{number}"))
    if opened[1]:
        ctes.append(_insert(HumanTask, "t", opened, written).cte("opened"))
    if candidates[1]:  # their foreign key is checked at the end of the statement, after "opened"
        ctes.append(_insert(TaskCandidate, "k", candidates, written).cte("candidates"))
    return select(func.count()).select_from(stored).add_cte(*ctes)


def _insert(model: type[Any], prefix: str, rows: Rows, written: Exists) -> Insert:
    """INSERT ... SELECT of the rows' bound values, each row only if the instance was written."""
    names, count = rows
    columns: list[Column[Any]] = [model.__table__.c[name] for name in names]
    selects = [select(*(bindparam(f"{prefix}{number}_{c.key}", type_=c.type) for c in columns)).where(written)
               for number in range(count)]
    return insert(model).from_select(names, selects[0] if count == 1 else union_all(*selects))


# -- everywhere else: a statement per table -------------------------------------------------

def _statement_by_statement(connection: Connection, instance: ProcessInstance, values: Mapping[str, Any],
                            changes: StepChanges) -> int:
    result = connection.execute(_STORE, {**{f"i_{name}": v for name, v in values.items()},
                                         "instance_id": instance.id, "seen": instance.version})
    if cast(CursorResult[Any], result).rowcount != 1:
        return 0
    if changes.history:
        connection.execute(_INSERT_HISTORY, changes.history)
    if changes.closed:
        connection.execute(_DELETE_TASKS, {"ids": changes.closed})
    if changes.changed:
        connection.execute(_UPDATE_TASK, changes.changed)
    if changes.opened:
        connection.execute(_INSERT_TASKS, changes.opened)
    if changes.candidates:
        connection.execute(_INSERT_CANDIDATES, changes.candidates)
    return 1


# Built once: a statement object reused with new parameters skips SQLAlchemy's per-call
# cache-key work.
_STORE: Update = (
    update(ProcessInstance)
    .where(ProcessInstance.id == bindparam("instance_id"), ProcessInstance.version == bindparam("seen"))
    .values({name: bindparam(f"i_{name}") for name in STORED})
)
_INSERT_HISTORY: Insert = insert(HistoryEvent)
_INSERT_TASKS: Insert = insert(HumanTask)
_INSERT_CANDIDATES: Insert = insert(TaskCandidate)
_DELETE_TASKS: Delete = delete(HumanTask).where(HumanTask.id.in_(bindparam("ids", expanding=True)))
_UPDATE_TASK: Update = update(HumanTask).where(HumanTask.id == bindparam("task_id")).values(
    {name: bindparam(name) for name in BUSINESS_COLUMNS})
_DELETE_TIMERS: Delete = delete(EngineTimer).where(EngineTimer.id.in_(bindparam("ids", expanding=True)))
_INSERT_TIMERS: Insert = insert(EngineTimer)


def _forget(session: Session, model: type[Any], ids: Iterable[Any], expunge: bool = False) -> None:
    """Rows changed behind the ORM's back: drop (deleted) or expire (updated) any copy the
    session holds, so a later ``session.get`` reads the database, not a stale object."""
    for row_id in ids:
        held = session.identity_map.get(identity_key(model, row_id))
        if held is None:
            continue
        if expunge:
            session.expunge(held)
        else:
            session.expire(held)
