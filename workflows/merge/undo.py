"""Undoing a merge: the merged-away records come back with their own ids and rows, the rows
the merge re-pointed point at them again, and the survivor gets back the values the merge
changed. One transaction.

Refused, saying why, when that can no longer be done safely: the survivor is gone (merged
into another record since, or deleted), a later merge into it would be half undone, an id
that must come back has been taken by a new row, or a merged record referred to a row
that is gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, exists, insert, select, update
from sqlalchemy.orm import Session

from core.db import Base
from core.errors import Conflict, NotFound
from core.phrases import Phrase
from workflows.audit import record
from workflows.org.visibility import Viewer

from .kinds import KINDS, Kind
from .models import MergedRecord, RecordMerge
from .moving import key_in, move_back
from .service import get_merge
from .snapshot import values_of


def undo_merge(session: Session, viewer: Viewer, merge_id: int, now: datetime) -> RecordMerge:
    """Put the records back as they were before merge ``merge_id`` (its maker or an admin)."""
    merge = get_merge(session, viewer, merge_id, for_update=True)
    if merge.undone_at is not None:
        raise Conflict(Phrase("This merge was already undone"))
    kind = KINDS[merge.object]
    table: Table = kind.model.__table__
    _check(session, viewer, kind, table, merge)
    self_refs = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    restored = {kept.record_id: values_of(table, kept.row) for kept in merge.losers}
    for values in restored.values():  # a parent among them may come back later in the loop: linked below
        session.execute(insert(table).values({**values, **dict.fromkeys(self_refs)}))
    for record_id, values in restored.items():
        links = {name: values[name] for name in self_refs if values[name] is not None}
        if links:
            session.execute(update(table).where(table.c.id == record_id).values(links))
    move_back(session, merge.moves)
    if merge.survivor_before:
        session.execute(update(table).where(table.c.id == merge.survivor_id)
                        .values(values_of(table, merge.survivor_before)))
    kind.restored(session, [merge.survivor_id, *restored])
    merge.undone_by, merge.undone_at = viewer.username, now
    record(session, viewer.username, "merge_undone", f"{merge.object}:{merge.survivor_id}",
           {"merge_id": merge.id, "restored": list(restored)}, now)
    session.flush()
    return merge


def _check(session: Session, viewer: Viewer, kind: Kind, table: Table, merge: RecordMerge) -> None:
    _survivor_there(session, viewer, kind, merge)
    returning = [kept.record_id for kept in merge.losers]
    _free(session, table, [[i] for i in returning])
    for kept in merge.moves:
        moved = Base.metadata.tables[kept["table"]]
        _free(session, moved, [[row[c.name] for c in moved.primary_key.columns] for row in kept["dropped"]])
    for loser in merge.losers:
        _check_references(session, table, loser, returning)


def _survivor_there(session: Session, viewer: Viewer, kind: Kind, merge: RecordMerge) -> None:
    """The survivor exists, the viewer sees it, and nothing was merged into it since."""
    model = kind.model
    survivor = select(model.id).where(model.id == merge.survivor_id).with_for_update()
    if session.scalars(survivor).first() is None:
        later = _merged_away(session, kind.name, merge)
        if later is not None:
            raise Conflict(Phrase("%(name)s was merged into another record since (merge %(id)s): undo that "
                                  "merge first", name=merge.survivor_label, id=later))
        raise Conflict(Phrase("%(name)s no longer exists, so this merge cannot be undone",
                              name=merge.survivor_label))
    if not session.scalar(select(exists().where(model.id == merge.survivor_id, kind.visible(viewer)))):
        raise NotFound(kind.missing)
    later = session.scalar(select(RecordMerge.id).where(
        RecordMerge.object == kind.name, RecordMerge.survivor_id == merge.survivor_id,
        RecordMerge.id > merge.id, RecordMerge.undone_at.is_(None)).order_by(RecordMerge.id.desc()).limit(1))
    if later is not None:
        raise Conflict(Phrase("More was merged into %(name)s since (merge %(id)s): undo that merge first",
                              name=merge.survivor_label, id=later))


def _merged_away(session: Session, kind: str, merge: RecordMerge) -> int | None:
    """The later merge, not undone, that took the survivor away; None if it was deleted otherwise."""
    return session.scalar(
        select(RecordMerge.id).join(MergedRecord, MergedRecord.merge_id == RecordMerge.id)
        .where(MergedRecord.object == kind, MergedRecord.record_id == merge.survivor_id,
               RecordMerge.id > merge.id, RecordMerge.undone_at.is_(None)).limit(1))


def _free(session: Session, table: Table, keys: Sequence[Sequence[Any]]) -> None:
    """The rows that come back can have their ids again (SQLite may give a deleted row's id anew)."""
    if keys and session.scalar(select(exists().where(key_in(table, keys)))):
        raise Conflict(Phrase("A merged record's number now belongs to a new %(table)s row, so it cannot "
                              "come back", table=table.name))


def _check_references(session: Session, table: Table, kept: MergedRecord, returning: list[int]) -> None:
    """Every row the merged record referred to still exists (or comes back with it)."""
    values = values_of(table, kept.row)
    for fk in table.foreign_keys:
        value = values.get(fk.parent.name)
        if value is None or (fk.column.table is table and value in returning):
            continue
        if not session.scalar(select(exists().where(fk.column == value))):
            raise Conflict(Phrase("%(name)s referred to %(table)s %(id)s, which no longer exists",
                                  name=kept.label, table=fk.column.table.name, id=value))
