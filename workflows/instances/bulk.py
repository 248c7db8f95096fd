"""Moving every running instance of a version to another one: dry run, job, progress, results.

The dry run checks a page of instances at a time (each is loaded and moved in memory, so a
page costs what opening that many instances costs). The job is queued in the request and run
after it commits, by Celery or a thread (``web.background``): one transaction per instance,
so one that cannot move never undoes the others, and its item row, taken in the same
transaction, makes a resumed or doubled run skip what is done.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, insert, literal, select, update
from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock
from core.errors import Conflict, DealflowError, NotFound
from core.pages import SlicePage
from core.phrases import Phrase
from engine import MigrationCheck, MigrationRefused, ProcessEngine, ProcessInstance, running_instances
from workflows.audit import record
from workflows.org.models import User
from workflows.org.rules import require_designer
from workflows.org.visibility import Viewer, viewer_of

from .care import migrate_instance, migration_pair, phrase_values, stored_phrase
from .models import OUTCOMES, MigrationItem, MigrationJob

log = logging.getLogger(__name__)
MIGRATION_TASK = "dealflow.run_process_migration"
PER_PAGE = 25
BATCH = 100


@dataclass(frozen=True)
class ItemRow:
    instance_id: int
    business_key: str | None
    outcome: str | None
    reasons: list[str]


def dry_run(session: Session, engine: ProcessEngine, viewer: Viewer, source_id: int, target_id: int,
            number: int = 1, per_page: int = PER_PAGE) -> SlicePage[MigrationCheck]:
    """Which of a page of the version's running instances could move to ``target_id``, and why
    the others could not. Nothing is written."""
    pair = migration_pair(session, viewer, source_id, target_id)
    page = running_instances(session, pair.source.id, number, per_page)
    checks = engine.check_migration(session, [i.id for i in page.items], pair.target.id)
    return SlicePage(checks, page.number, page.has_next)


def start_migration(session: Session, viewer: Viewer, source_id: int, target_id: int,
                    now: datetime) -> MigrationJob:
    """Queue the move of every instance now running on ``source_id``; the caller launches the
    job once this commits."""
    pair = migration_pair(session, viewer, source_id, target_id)
    job = MigrationJob(created_by=viewer.username, source_id=pair.source.id, target_id=pair.target.id,
                       status="queued", total=0, done=0, moved=0, refused=0, error="",
                       created_at=now, updated_at=now)
    session.add(job)
    session.flush()
    running = select(literal(job.id), ProcessInstance.id).where(
        ProcessInstance.definition_id == pair.source.id, ProcessInstance.status == "running")
    session.execute(insert(MigrationItem).from_select(["job_id", "instance_id"], running))
    job.total = session.scalar(select(func.count()).where(MigrationItem.job_id == job.id)) or 0
    if not job.total:
        raise Conflict(Phrase("No process is running on version %(version)s", version=pair.source.version))
    record(session, viewer.username, "process_migration_started", f"process_definition:{pair.source.id}",
           {"process": pair.source.key, "from_version": pair.source.version,
            "to_version": pair.target.version, "job": job.id, "instances": job.total}, now)
    return job


def get_job(session: Session, viewer: Viewer, job_id: int) -> MigrationJob:
    require_designer(viewer)
    job = session.get(MigrationJob, job_id)
    if job is None:
        raise NotFound(Phrase("This migration does not exist"))
    return job


def jobs_of(session: Session, viewer: Viewer, source_id: int, limit: int = 10) -> Sequence[MigrationJob]:
    """The latest migrations away from a version."""
    require_designer(viewer)
    return session.scalars(select(MigrationJob).where(MigrationJob.source_id == source_id)
                           .order_by(MigrationJob.id.desc()).limit(limit)).all()


def items(session: Session, viewer: Viewer, job_id: int, outcome: str = "", number: int = 1,
          per_page: int = PER_PAGE) -> SlicePage[ItemRow]:
    """A page of the job's instances with what became of each (``outcome`` narrows it)."""
    get_job(session, viewer, job_id)
    number = max(1, number)
    stmt = (select(MigrationItem, ProcessInstance.business_key)
            .join(ProcessInstance, ProcessInstance.id == MigrationItem.instance_id)
            .where(MigrationItem.job_id == job_id))
    if outcome in OUTCOMES:
        stmt = stmt.where(MigrationItem.outcome == outcome)
    rows = session.execute(stmt.order_by(MigrationItem.instance_id).offset((number - 1) * per_page)
                           .limit(per_page + 1)).all()
    shown = [ItemRow(item.instance_id, key, item.outcome, [stored_phrase(r) for r in item.reasons or []])
             for item, key in rows[:per_page]]
    return SlicePage(shown, number, len(rows) > per_page)


def start_again(session: Session, viewer: Viewer, job_id: int, now: datetime) -> MigrationJob:
    """Queue a job that stopped on an unexpected error; it carries on with what it had not done."""
    job = get_job(session, viewer, job_id)
    if job.status != "failed":
        raise Conflict(Phrase("This migration has not stopped"))
    job.status, job.error, job.updated_at = "queued", "", now
    return job


def run_migration(session_factory: sessionmaker[Session], engine: ProcessEngine, job_id: int,
                  clock: Clock) -> str:
    """Run a queued job to its end, one transaction per instance; returns its final status."""
    try:
        return _run(session_factory, engine, job_id, clock)
    except Exception as exc:  # the job must say it stopped rather than show "running" forever
        log.exception("process migration %s failed", job_id)
        with session_factory() as session:
            job = session.get(MigrationJob, job_id)
            if job is not None:
                job.status, job.error, job.updated_at = "failed", str(exc)[:2000], clock.now()
                session.commit()
        return "failed"


def _run(session_factory: sessionmaker[Session], engine: ProcessEngine, job_id: int, clock: Clock) -> str:
    with session_factory() as session:
        job = session.get(MigrationJob, job_id)
        if job is None or job.status not in ("queued", "running"):
            return job.status if job is not None else "missing"
        job.status, job.started_at, job.updated_at = "running", job.started_at or clock.now(), clock.now()
        session.commit()
        viewer = _runner(session, job)
        target_id = job.target_id
    last = 0
    while True:
        with session_factory() as session:
            waiting = list(session.scalars(select(MigrationItem.instance_id).where(
                MigrationItem.job_id == job_id, MigrationItem.instance_id > last,
                MigrationItem.outcome.is_(None)).order_by(MigrationItem.instance_id).limit(BATCH)))
        if not waiting:
            break
        for instance_id in waiting:
            _move_one(session_factory, engine, viewer, job_id, instance_id, target_id, clock)
        last = waiting[-1]
    with session_factory() as session:
        session.execute(update(MigrationJob).where(MigrationJob.id == job_id)
                        .values(status="done", finished_at=clock.now(), updated_at=clock.now()))
        session.commit()
    return "done"


def _move_one(session_factory: sessionmaker[Session], engine: ProcessEngine, viewer: Viewer, job_id: int,
              instance_id: int, target_id: int, clock: Clock) -> None:
    """Move one instance and mark its item, in one transaction; or mark it refused, with why."""
    with session_factory() as session:
        if not _take(session, job_id, instance_id, "moved", []):
            return  # another run of this job did it
        try:
            migrate_instance(session, engine, viewer, instance_id, target_id, clock.now(), job_id)
        except Exception as exc:  # whatever stops one instance must not stop the others
            session.rollback()
            if not isinstance(exc, DealflowError):
                log.exception("process %s could not be migrated", instance_id)
            if _take(session, job_id, instance_id, "refused", [phrase_values(r) for r in _reasons(exc)]):
                _count(session, job_id, "refused", clock.now())
                session.commit()
            return
        _count(session, job_id, "moved", clock.now())
        session.commit()


def _reasons(error: Exception) -> list[str]:
    if isinstance(error, MigrationRefused):
        return list(error.reasons)
    message = error.args[0] if error.args and isinstance(error.args[0], str) else str(error)
    return [message if isinstance(error, DealflowError) else Phrase("could not be moved: %(error)s",
                                                                    error=message)]


def _take(session: Session, job_id: int, instance_id: int, outcome: str,
          reasons: list[dict[str, Any]]) -> bool:
    """Give an item its outcome unless it has one: False if another run got there first."""
    taken = session.execute(update(MigrationItem).where(
        MigrationItem.job_id == job_id, MigrationItem.instance_id == instance_id,
        MigrationItem.outcome.is_(None)).values(outcome=outcome, reasons=reasons))
    return cast(CursorResult[Any], taken).rowcount == 1


def _count(session: Session, job_id: int, outcome: str, now: datetime) -> None:
    column = getattr(MigrationJob, outcome)
    session.execute(update(MigrationJob).where(MigrationJob.id == job_id).values(
        {MigrationJob.done: MigrationJob.done + 1, column: column + 1, MigrationJob.updated_at: now}))


def _runner(session: Session, job: MigrationJob) -> Viewer:
    """Whoever queued the job: the moves are theirs in the audit log."""
    user = session.scalars(select(User).where(User.username == job.created_by)).first()
    if user is None or not user.active:
        raise Conflict(Phrase("%(name)s, who started this migration, is no longer active",
                              name=job.created_by))
    return viewer_of(user)
