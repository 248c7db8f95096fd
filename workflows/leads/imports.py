"""Importing leads from a CSV or XLSX file: upload, map columns, preview, run, report.

The upload is parsed once and its rows are kept in the database, so the run can happen
in any worker. The run commits in batches and records each row's outcome as it goes: a
crash loses at most one batch, and running the job again carries on where it stopped,
never creating a lead twice. Reps import into their own name; managers and admins also
into someone they may see, or into a pool of theirs. A row matching an existing lead is
skipped, or updates that lead, as the importing user chose (see ``import_plan``).

Each row costs two round trips: its duplicate check (one query for all rules) and its new
lead's insert. Outcomes and counts are written once per batch.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock
from core.errors import Conflict, InvalidInput, NotFound, reject_fields
from core.phrases import Phrase
from workflows.dedupe import refresh_match_columns
from workflows.org.models import User
from workflows.org.visibility import Viewer, viewer_of, visible_usernames

from .capture_models import ON_MATCH, ImportJob, ImportRow
from .import_files import guess_mapping, read_table
from .import_plan import Plan, Planner, reason
from .models import Lead
from .pools import pools_of
from .service import FIELDS, create_lead

log = logging.getLogger(__name__)
BATCH = 500
PREVIEW_ROWS = 200
IMPORT_TASK = "dealflow.run_lead_import"
MATCHED = ("created", "updated", "unchanged")  # outcomes of rows later rows are compared with


def create_import(session: Session, viewer: Viewer, filename: str, data: bytes, now: datetime) -> ImportJob:
    """Keep an uploaded file's rows, with the column mapping guessed from its header."""
    header, rows = read_table(filename, data)
    job = ImportJob(created_by=viewer.username, filename=filename[:255], columns=header,
                    mapping=guess_mapping(header), owner=viewer.username, status="uploaded", total=len(rows),
                    created_at=now, updated_at=now)
    session.add(job)
    session.flush()
    for start in range(0, len(rows), 5_000):
        chunk = rows[start:start + 5_000]
        session.execute(insert(ImportRow), [{"job_id": job.id, "number": start + i + 1, "cells": cells,
                                             "reasons": []} for i, cells in enumerate(chunk)])
    return job


def get_import(session: Session, viewer: Viewer, job_id: int) -> ImportJob:
    """The viewer's own import (admins: any); another's "does not exist"."""
    job = session.get(ImportJob, job_id)
    if job is None or not (viewer.is_admin or job.created_by == viewer.username):
        raise NotFound(Phrase("This import does not exist"))
    return job


def list_imports(session: Session, viewer: Viewer, limit: int = 20) -> list[ImportJob]:
    return list(session.scalars(select(ImportJob).where(ImportJob.created_by == viewer.username)
                                .order_by(ImportJob.id.desc()).limit(limit)))


def set_mapping(session: Session, viewer: Viewer, job_id: int, mapping: Sequence[str], target: str,
                now: datetime, on_match: str = "skip") -> ImportJob:
    """Which field each column fills, whose leads they become (``user:<name>`` or ``pool:<id>``),
    and what a row matching an existing lead does (one of ``ON_MATCH``)."""
    job = _waiting(session, viewer, job_id)
    problems: dict[str, str] = {}
    chosen = [m for m in mapping if m]
    if len(mapping) != len(job.columns) or set(chosen) - set(FIELDS):
        problems["mapping"] = Phrase("is not one of the allowed values")
    elif len(chosen) != len(set(chosen)):
        problems["mapping"] = Phrase("maps two columns to the same field")
    elif "name" not in chosen:
        problems["mapping"] = Phrase("must map a column to the name")
    kind, _colon, value = target.partition(":")
    owner, pool_id = _target(session, viewer, kind, value)
    if owner is None and pool_id is None:
        problems["target"] = Phrase("is not one of the allowed values")
    if on_match not in ON_MATCH:
        problems["on_match"] = Phrase("is not one of the allowed values")
    reject_fields(problems)
    job.mapping, job.owner, job.pool_id, job.updated_at = list(mapping), owner, pool_id, now
    job.on_match = on_match
    return job


def preview(session: Session, viewer: Viewer, job_id: int, limit: int = PREVIEW_ROWS) -> list[Plan]:
    """What the run would do with the first ``limit`` rows; nothing is written."""
    job = get_import(session, viewer, job_id)
    planner = Planner(session, viewer, job.mapping, job.on_match)
    plans = []
    for row in session.scalars(select(ImportRow).where(ImportRow.job_id == job.id)
                               .order_by(ImportRow.number).limit(limit)):
        plan = planner.plan(row.number, row.cells)
        if plan.data is not None:
            planner.remember(row.number, plan.data, plan.lead.id if plan.lead else None, created=False)
        plans.append(plan)
    return plans


def start_import(session: Session, viewer: Viewer, job_id: int, now: datetime) -> ImportJob:
    """Queue the run; the caller launches it once this commits (a failed run may be restarted)."""
    job = _waiting(session, viewer, job_id, ("uploaded", "failed"))
    job.status, job.error, job.updated_at = "queued", "", now
    return job


def run_import(session_factory: sessionmaker[Session], job_id: int, clock: Clock, batch: int = BATCH) -> str:
    """Run a queued import to its end, one committed batch at a time; returns the final status."""
    try:
        return _run(session_factory, job_id, clock, batch)
    except Exception as exc:  # the job must say it stopped rather than show "running" forever
        log.exception("lead import %s failed", job_id)
        with session_factory() as session:
            job = session.get(ImportJob, job_id)
            if job is not None:
                job.status, job.error, job.updated_at = "failed", str(exc)[:2000], clock.now()
                session.commit()
        return "failed"


def report(session: Session, viewer: Viewer, job_id: int) -> Iterator[ImportRow]:
    """Every row with its outcome, in file order, for the downloadable report."""
    job = get_import(session, viewer, job_id)
    yield from session.scalars(select(ImportRow).where(ImportRow.job_id == job.id)
                               .order_by(ImportRow.number).execution_options(yield_per=1_000))


def sample_rows(session: Session, viewer: Viewer, job_id: int, limit: int = 3) -> list[list[str]]:
    """The first rows as uploaded, shown beside the mapping so people see what a column holds."""
    job = get_import(session, viewer, job_id)
    return [list(cells) for cells in session.scalars(select(ImportRow.cells).where(ImportRow.job_id == job.id)
                                                     .order_by(ImportRow.number).limit(limit))]


def owner_choices(session: Session, viewer: Viewer) -> tuple[list[str], list[tuple[int, str]]]:
    """The people and pools an import may put its leads with (a rep: only themselves)."""
    if not (viewer.is_manager or viewer.is_admin):
        return [viewer.username], []
    people = list(session.scalars(select(User.username).where(
        User.active, User.username.in_(visible_usernames(viewer))).order_by(User.username)))
    return people, [(p.id, p.name) for p in pools_of(session, viewer)]


def _run(session_factory: sessionmaker[Session], job_id: int, clock: Clock, batch: int) -> str:
    with session_factory() as session:
        job = session.get(ImportJob, job_id)
        if job is None or job.status not in ("queued", "running"):
            return job.status if job is not None else "missing"
        job.status, job.started_at, job.updated_at = "running", job.started_at or clock.now(), clock.now()
        session.commit()
        viewer = _importer(session, job)
        planner = Planner(session, viewer, job.mapping, job.on_match, lock=True)
        for done in session.scalars(select(ImportRow).where(ImportRow.job_id == job_id,
                                                            ImportRow.outcome.in_(MATCHED))):
            planner.remember(done.number, planner.lead_input(done.cells), done.lead_id,
                             created=done.outcome == "created")
        last = 0
        while rows := list(session.scalars(select(ImportRow).where(
                ImportRow.job_id == job_id, ImportRow.number > last, ImportRow.outcome.is_(None))
                .order_by(ImportRow.number).limit(batch))):
            _record(job, rows, [_apply(session, job, viewer, planner, row, clock.now()) for row in rows])
            job.updated_at = clock.now()
            session.commit()
            last = rows[-1].number
        job.status, job.finished_at = "done", clock.now()
        session.commit()
        return job.status


def _importer(session: Session, job: ImportJob) -> Viewer:
    """Whoever started the import: their leads are created, and what they may see updated."""
    user = session.scalars(select(User).where(User.username == job.created_by)).first()
    if user is None or not user.active:
        raise Conflict(Phrase("%(name)s, who started this import, is no longer active", name=job.created_by))
    return viewer_of(user)


def _apply(session: Session, job: ImportJob, viewer: Viewer, planner: Planner, row: ImportRow,
           now: datetime) -> tuple[Plan, int | None]:
    """Plan a row and carry the plan out; the plan and the lead it created or matched."""
    plan = planner.plan(row.number, row.cells)
    lead_id = None
    if plan.lead is not None:
        _update(plan.lead, plan.changes, now)
        lead_id = plan.lead.id
    elif plan.data is not None:
        try:
            # The plan ran the duplicate rules on this row a moment ago; warnings go in the report.
            lead_id = create_lead(session, viewer, plan.data, now, owner=job.owner, pool_id=job.pool_id,
                                  duplicates_checked=True).id
        except InvalidInput as exc:  # a check create_lead makes that the plan did not
            plan = Plan(row.number, "rejected", [reason(n, m) for n, m in exc.fields.items()]
                        or [reason("", str(exc.args[0]) if exc.args else "")])
    if plan.data is not None:
        planner.remember(row.number, plan.data, lead_id, created=plan.outcome == "created")
    return plan, lead_id


def _update(lead: Lead, changes: dict[str, object], now: datetime) -> None:
    """Set the fields a row changes on the lead it matched; owner, pool and status stay."""
    if not changes:
        return
    if "rating" in changes:  # a new rating, a new follow-up frequency
        lead.reschedule_follow_up()
    for name, value in changes.items():
        setattr(lead, name, value)
    refresh_match_columns(lead)
    lead.updated_at = now


def _record(job: ImportJob, rows: Sequence[ImportRow], results: Sequence[tuple[Plan, int | None]]) -> None:
    """Write a batch's outcomes and counts at its end: written row by row, each would cost an
    UPDATE of the row and one of the job, flushed with the next row's lead."""
    for row, (plan, lead_id) in zip(rows, results, strict=True):
        row.outcome, row.reasons, row.lead_id = plan.outcome, plan.reasons, lead_id
        setattr(job, plan.outcome, getattr(job, plan.outcome) + 1)
    job.done += len(rows)


def _waiting(session: Session, viewer: Viewer, job_id: int,
             statuses: tuple[str, ...] = ("uploaded",)) -> ImportJob:
    job = get_import(session, viewer, job_id)
    if job.status not in statuses:
        raise Conflict(Phrase("This import has already been started"))
    return job


def _target(session: Session, viewer: Viewer, kind: str, value: str) -> tuple[str | None, int | None]:
    people, pools = owner_choices(session, viewer)
    if kind == "user" and value in people:
        return value, None
    if kind == "pool" and value.isdigit() and int(value) in {pool_id for pool_id, _name in pools}:
        return None, int(value)
    return None, None
