"""Finding and re-pointing the rows that refer to a merged record, and pointing them back.

Three kinds of reference point at an account, contact or lead, all found from the schema
rather than listed by hand, so a table added later is merged too:

- a foreign key to its table (contacts, opportunities, contracts, child accounts, a lead's
  conversion links, pool claims, import rows, ...);
- ``subject_type``/``subject_id`` pairs, the convention for rows about any kind of record
  (activities, message recipients);
- the business key (``lead:42``) of running processes and of their open tasks.

Each change is one ``UPDATE ... WHERE column = old ... RETURNING`` the primary keys, kept
as a :class:`Move`; undoing it updates exactly those rows back, and only while they still
hold the new value. Where a unique constraint says the survivor already has that row (the
same message sent to both duplicates), the loser's copy is deleted instead, and kept whole
in the move to be put back on undo.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Table, UniqueConstraint, delete, exists, insert, tuple_, update
from sqlalchemy.orm import Session

import workflows.schema  # noqa: F401  (every table registered: references are found on the metadata)
from core.db import Base
from engine import HumanTask, ProcessInstance
from workflows.keys import business_key

from .snapshot import plain, values_of

CHUNK = 500  # primary keys per statement when moving rows back


@dataclass(frozen=True)
class Move:
    """The rows of ``table`` (by primary key) whose ``column`` went from ``old`` to ``new``, and
    the rows deleted as the survivor's duplicates. ``follows`` marks a value that follows the
    survivor (an owner) rather than a related row."""

    table: str
    column: str
    old: Any
    new: Any
    keys: list[list[Any]]
    dropped: list[dict[str, Any]] = field(default_factory=list)
    follows: bool = False

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def move_references(session: Session, kind: str, table: Table, survivor: int, loser: int,
                    merged: Collection[int], key_kind: str | None) -> list[Move]:
    """Point everything that refers to ``loser`` at ``survivor``. The merged records' own
    rows are left alone (a child account being merged is not re-parented: it goes)."""
    moves = []
    for other, column in foreign_keys_to(table):
        spared = [other.c.id.not_in(merged)] if other is table else []
        moves.append(move(session, other, column, loser, survivor, *spared))
    for subject in subject_tables():
        moves.append(move(session, subject, "subject_id", loser, survivor, subject.c.subject_type == kind))
    if key_kind is not None:
        moves += _rekey(session, key_kind, survivor, loser)
    return [m for m in moves if m is not None]


def move(session: Session, table: Table, column: str, old: Any, new: Any, *where: ColumnElement[bool],
         follows: bool = False) -> Move | None:
    """One bulk UPDATE of ``column`` from ``old`` to ``new``; None when no row had it."""
    dropped = [plain(row._mapping) for others in _unique_with(table, column) for row in session.execute(
        delete(table).where(table.c[column] == old, *where, _twin(table, column, new, others))
        .returning(*table.columns))]
    keys = session.execute(update(table).where(table.c[column] == old, *where).values({column: new})
                           .returning(*table.primary_key.columns)).all()
    if not keys and not dropped:
        return None
    return Move(table.name, column, old, new, [list(key) for key in keys], dropped, follows)


def move_back(session: Session, moves: Sequence[dict[str, Any]]) -> None:
    """Undo ``moves`` (as kept in JSON), latest first: each row that still holds the new value
    gets the old one back (a row deleted or changed again since is left as it is), and the
    rows dropped as duplicates come back."""
    for kept in reversed(moves):
        table = Base.metadata.tables[kept["table"]]
        column = table.c[kept["column"]]
        for chunk in _chunks(kept["keys"]):
            session.execute(update(table).where(key_in(table, chunk), column == kept["new"])
                            .values({column.name: kept["old"]}))
        for row in kept["dropped"]:
            session.execute(insert(table).values(values_of(table, row)))


def key_in(table: Table, keys: Sequence[Sequence[Any]]) -> ColumnElement[bool]:
    """Rows whose primary key is one of ``keys`` (each a list, for composite keys)."""
    columns = table.primary_key.columns
    if len(columns) == 1:
        return columns[0].in_([key[0] for key in keys])
    return tuple_(*columns).in_([tuple(key) for key in keys])


def foreign_keys_to(table: Table) -> list[tuple[Table, str]]:
    """Every (table, column) in the schema holding a foreign key to ``table``'s primary key."""
    return [(other, fk.parent.name) for other in Base.metadata.sorted_tables for fk in other.foreign_keys
            if fk.column.table is table and fk.column.primary_key]


def subject_tables() -> list[Table]:
    """Tables whose rows are about a record of any kind, named by ``subject_type`` and ``subject_id``."""
    return [t for t in Base.metadata.sorted_tables if "subject_type" in t.c and "subject_id" in t.c]


def _unique_with(table: Table, column: str) -> list[list[str]]:
    """For each unique constraint (or unique index) on ``column``, its other columns."""
    sets = [[c.name for c in constraint.columns] for constraint in table.constraints
            if isinstance(constraint, UniqueConstraint)]
    sets += [[c.name for c in index.columns] for index in table.indexes if index.unique]
    return [[name for name in names if name != column] for names in sets if column in names]


def _twin(table: Table, column: str, new: Any, others: list[str]) -> ColumnElement[bool]:
    """The row already has a twin at ``new``: moving it would break the unique constraint."""
    twin = table.alias()
    return exists().where(twin.c[column] == new, *(twin.c[name] == table.c[name] for name in others))


def _chunks(keys: list[list[Any]]) -> list[list[list[Any]]]:
    return [keys[start:start + CHUNK] for start in range(0, len(keys), CHUNK)]


def _rekey(session: Session, kind: str, survivor: int, loser: int) -> list[Move | None]:
    """Running processes about the loser (and their open tasks) now run about the survivor:
    their service tasks find a record again, and the tasks show on the survivor."""
    old, new = business_key(kind, loser), business_key(kind, survivor)
    instances: Table = ProcessInstance.__table__  # type: ignore[assignment]
    tasks: Table = HumanTask.__table__  # type: ignore[assignment]
    return [move(session, instances, "business_key", old, new, instances.c.status == "running"),
            move(session, tasks, "business_key", old, new),
            move(session, tasks, "object_id", str(loser), str(survivor), tasks.c.object_type == kind,
                 tasks.c.business_key == new, follows=True)]
