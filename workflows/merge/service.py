"""Merging two or three records of one kind: find the candidates, show them side by side
with a value picked per field, then merge in one transaction.

The master (survivor) keeps its id and takes the picked values; every row that referred to
the others now refers to it (see ``moving``); the others are deleted, so they drop out of
every list, search and duplicate check. What undo needs is kept in a :class:`RecordMerge`.
The viewer must see every record involved; anything else "does not exist". Functions work
in the caller's ``Session`` and never commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, defer, selectinload

from core.errors import InvalidInput, NotFound
from core.phrases import Phrase
from engine import ProcessEngine
from workflows.accounts.models import Account
from workflows.accounts.service import visible_condition as visible_account
from workflows.audit import record
from workflows.dedupe import find_duplicates, refresh_match_columns
from workflows.dedupe.sources import SOURCES
from workflows.inputs import Checker, page_window, parse_id
from workflows.leads.models import Pool
from workflows.org.visibility import Viewer

from .kinds import KINDS, Kind
from .models import MergedRecord, RecordMerge
from .moving import move_references
from .snapshot import row_of

MAX_RECORDS = 3
MAX_FOUND = 20  # search results offered besides the duplicates
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class MergeInput:
    """A merge as submitted: ``records`` as "kind:id" references, the ``master`` record's id,
    and per field the id of the record whose value it keeps (a field left out keeps the default)."""

    records: Sequence[str]
    master: str = ""
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MergePreview:
    """The records side by side, with the value each field keeps unless the person picks another;
    the names of the accounts and pools they refer to (accounts only where the viewer sees them)."""

    kind: str
    records: list[Any]
    master_id: int
    fields: list[str]
    picks: dict[str, int]
    account_names: dict[int, str]
    pool_names: dict[int, str]


@dataclass(frozen=True)
class Candidate:
    record: Any
    label: str
    rule: str | None  # the duplicate rule that found it; None for a search result


@dataclass(frozen=True)
class Candidates:
    record: Any
    label: str
    duplicates: list[Candidate]
    found: list[Candidate]


def merge_candidates(session: Session, viewer: Viewer, kind_name: str, record_id: int,
                     search: str = "") -> Candidates:
    """What the record may be merged with: the visible records the duplicate rules match, and
    the visible records whose name contains ``search``."""
    kind = kind_of(kind_name)
    [subject] = _load(session, viewer, kind, [record_id])
    typed = {name: str(getattr(subject, attr) or "") for name, attr in kind.matched_on.items()}
    rules: dict[int, str] = {}
    for duplicate in find_duplicates(session, kind.name, typed, exclude_id=subject.id):
        rules.setdefault(duplicate.record_id, duplicate.rule_name)
    model = kind.model
    seen = {row.id: row for row in session.scalars(
        select(model).where(model.id.in_(rules), kind.visible(viewer)))}
    duplicates = [Candidate(seen[i], label(kind.name, seen[i]), rule)
                  for i, rule in rules.items() if i in seen]
    found: list[Candidate] = []
    if term := search.strip():
        rows = session.scalars(select(model).where(
            kind.search(term), kind.visible(viewer), model.id.not_in([subject.id, *seen]))
            .order_by(model.id).limit(MAX_FOUND))
        found = [Candidate(row, label(kind.name, row), None) for row in rows]
    return Candidates(subject, label(kind.name, subject), duplicates, found)


def merge_preview(session: Session, viewer: Viewer, records: Sequence[str], master: str = "") -> MergePreview:
    """The comparison page's content; ``master`` (an id) defaults to the first record."""
    kind, ids = selection(records)
    loaded = _load(session, viewer, kind, ids)
    master_id = parse_id(master) if parse_id(master) in ids else ids[0]
    assert master_id is not None
    by_id = {r.id: r for r in loaded}
    referred = {getattr(r, column) for r in loaded for column in kind.account_columns}
    pools = {r.pool_id for r in loaded if getattr(r, "pool_id", None) is not None}
    return MergePreview(
        kind=kind.name, records=loaded, master_id=master_id, fields=list(kind.fields),
        picks={name: default_pick(by_id, master_id, columns[0]) for name, columns in kind.fields.items()},
        account_names={i: name for i, name in session.execute(select(Account.id, Account.name).where(
            Account.id.in_(referred - {None}), visible_account(viewer)))},
        pool_names={i: name for i, name in session.execute(
            select(Pool.id, Pool.name).where(Pool.id.in_(pools)))},
    )


def merge_records(session: Session, engine: ProcessEngine, viewer: Viewer, data: MergeInput,
                  now: datetime) -> RecordMerge:
    """Merge the records into the master, all or nothing; every bad pick is named by its field."""
    kind, ids = selection(data.records)
    records = _load(session, viewer, kind, ids, lock=True)
    refusal = kind.refuse(records)
    if refusal is not None:
        raise InvalidInput(refusal, fields={"records": refusal})
    by_id = {r.id: r for r in records}
    check = Checker()
    survivor = by_id.get(parse_id(data.master) or 0)
    if survivor is None:
        check.problem("master", Phrase("choose the record that is kept"))
        check.done()
    assert survivor is not None
    picks = _picks(kind, by_id, survivor.id, data.values, check)
    check.done()
    values = {column: getattr(by_id[picks[name]], column) for name, columns in kind.fields.items()
              for column in columns}
    kind.settle(session, values, records, check)
    check.done()
    losers = [r for r in records if r is not survivor]
    for loser in losers:
        kind.retire(session, engine, loser, viewer.username)
    return _merge(session, viewer, kind, survivor, losers, values, picks, now)


def selection(records: Sequence[str]) -> tuple[Kind, list[int]]:
    """The kind and ids of "kind:id" references, or the one thing wrong with them."""
    parsed = [ref.strip().partition(":") for ref in records]
    kinds = {name for name, _colon, _id in parsed}
    ids = [parse_id(raw) for _name, _colon, raw in parsed]
    if not kinds <= set(KINDS) or None in ids:
        problem = Phrase("Only accounts, contacts and leads can be merged")
    elif len(kinds) > 1:
        problem = Phrase("Records of different kinds cannot be merged")
    elif len(set(ids)) < len(ids):
        problem = Phrase("A record cannot be merged with itself")
    elif not 2 <= len(ids) <= MAX_RECORDS:
        problem = Phrase("Choose 2 or 3 records to merge")
    else:
        return KINDS[kinds.pop()], [i for i in ids if i is not None]
    raise InvalidInput(problem, fields={"records": problem})


def default_pick(records: Mapping[int, Any], master_id: int, column: str) -> int:
    """The master's value, unless it is empty and another record has one."""
    if _filled(getattr(records[master_id], column)):
        return master_id
    return next((i for i, r in records.items() if _filled(getattr(r, column))), master_id)


def kind_of(name: str) -> Kind:
    kind = KINDS.get(name)
    if kind is None:
        raise NotFound(Phrase("This page does not exist"))
    return kind


def label(kind: str, record: Any) -> str:
    """How a record is named in lists of candidates and merges."""
    return SOURCES[kind].label(record)[:300]


def list_merges(session: Session, viewer: Viewer, kind: str, page: int = 1,
                per_page: int = 25) -> tuple[list[RecordMerge], int]:
    """One page of the merges of ``kind``, newest first: all of them for admins, else the viewer's own.
    What only undo reads (the keys of every moved row, the merged rows whole) is left unloaded:
    it grows with the records' history, and a list shows none of it."""
    condition = [RecordMerge.object == kind] if viewer.is_admin else \
        [RecordMerge.merged_by == viewer.username, RecordMerge.object == kind]
    limit, offset = page_window(page, per_page, MAX_PER_PAGE)
    total = session.scalar(select(func.count()).select_from(RecordMerge).where(*condition)) or 0
    rows = session.scalars(select(RecordMerge).where(*condition)
                           .options(defer(RecordMerge.moves, raiseload=True),
                                    defer(RecordMerge.survivor_before, raiseload=True),
                                    selectinload(RecordMerge.losers).defer(MergedRecord.row, raiseload=True))
                           .order_by(RecordMerge.merged_at.desc(), RecordMerge.id.desc())
                           .limit(limit).offset(offset))
    return list(rows), total


def get_merge(session: Session, viewer: Viewer, merge_id: int, *, for_update: bool = False) -> RecordMerge:
    """A merge, for an admin or whoever made it; to anyone else it "does not exist"."""
    query = select(RecordMerge).where(RecordMerge.id == merge_id)
    if not viewer.is_admin:
        query = query.where(RecordMerge.merged_by == viewer.username)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    merge = session.scalars(query).first()
    if merge is None:
        raise NotFound(Phrase("This merge does not exist"))
    return merge


def moved(merge: RecordMerge) -> dict[str, int]:
    """How many related rows of each table the merge moved to the survivor (or, already
    there, dropped as duplicates); values that merely followed it (owners) are not counted."""
    counts: dict[str, int] = {}
    for kept in merge.moves:
        if not kept["follows"]:
            counts[kept["table"]] = counts.get(kept["table"], 0) + len(kept["keys"]) + len(kept["dropped"])
    return counts


def _merge(session: Session, viewer: Viewer, kind: Kind, survivor: Any, losers: list[Any],
           values: dict[str, Any], picks: dict[str, int], now: datetime) -> RecordMerge:
    table = kind.model.__table__
    before = row_of(survivor)
    kept = [MergedRecord(record_id=r.id, object=kind.name, position=n, label=label(kind.name, r),
                         row=row_of(r)) for n, r in enumerate(losers)]
    merged = [survivor.id, *(r.id for r in losers)]
    moves = [m for r in losers for m in move_references(session, kind.name, table, survivor.id, r.id, merged,
                                                        kind.key_kind)]
    for column, value in values.items():
        setattr(survivor, column, value)
    refresh_match_columns(survivor)
    survivor.updated_at = now
    session.flush()
    moves += kind.follow(session, survivor)
    for loser in losers:
        session.expunge(loser)
    session.execute(delete(table).where(table.c.id.in_([r.id for r in losers])))
    after = row_of(survivor)
    merge = RecordMerge(object=kind.name, survivor_id=survivor.id, survivor_label=label(kind.name, survivor),
                        survivor_before={c: v for c, v in before.items() if after[c] != v},
                        moves=[m.as_json() for m in moves], merged_by=viewer.username, merged_at=now,
                        losers=kept)
    session.add(merge)
    session.flush()
    record(session, viewer.username, "merge", f"{kind.name}:{survivor.id}",
           {"merge_id": merge.id, "merged": [r.id for r in losers], "values": picks}, now)
    return merge


def _picks(kind: Kind, records: Mapping[int, Any], master_id: int, chosen: Mapping[str, str],
           check: Checker) -> dict[str, int]:
    """Per field, the record whose value it keeps: as chosen, else the default."""
    picks: dict[str, int] = {}
    for name, columns in kind.fields.items():
        raw = chosen.get(name, "").strip()
        pick: int | None = parse_id(raw) if raw else default_pick(records, master_id, columns[0])
        if pick is not None and pick in records:
            picks[name] = pick
        else:
            check.problem(name, Phrase("choose the value of one of the records being merged"))
    return picks


def _load(session: Session, viewer: Viewer, kind: Kind, ids: list[int], *, lock: bool = False) -> list[Any]:
    """The records in the order given, each visible to the viewer; otherwise one "does not exist"."""
    model = kind.model
    query = select(model).where(model.id.in_(ids), kind.visible(viewer)).order_by(model.id)
    if lock:  # in id order, so two merges of overlapping records wait for each other, never deadlock
        query = query.with_for_update(of=model).execution_options(populate_existing=True)
    found = {row.id: row for row in session.scalars(query)}
    if len(found) < len(ids):
        raise NotFound(kind.missing)
    return [found[i] for i in ids]


def _filled(value: Any) -> bool:
    return value is not None and value != ""
