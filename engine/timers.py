"""The timer sweep: fire every due timer, one instance per transaction.

The same function runs from Celery beat in production and from the embedded
scheduler thread under ``make run``. It is safe to run in several processes at once
(PostgreSQL hands each sweeper different rows with ``FOR UPDATE SKIP LOCKED``) and
safe to kill at any moment: the timer row only disappears in the transaction that
saved the instance after firing it, so a crashed sweep leaves it due and the next one
fires it exactly once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from core.errors import DealflowError

from .api import ProcessEngine
from .models import EngineTimer

log = logging.getLogger(__name__)
RETRY_AFTER = timedelta(minutes=5)


@dataclass
class SweepReport:
    fired: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)


def fire_due_timers(engine: ProcessEngine, session_factory: sessionmaker[Session],
                    now: datetime | None = None, limit: int = 1000) -> SweepReport:
    """Fire up to ``limit`` instances' due timers; a failing instance is retried later."""
    now = now or engine.clock.now()
    report = SweepReport()
    for _ in range(limit):
        with session_factory() as session:
            instance_id = _next_due(session, now)
            if instance_id is None:
                break
            try:
                engine.fire_timers(session, instance_id)
                session.commit()
                report.fired += 1
            except DealflowError as exc:
                session.rollback()
                report.failed.append((instance_id, str(exc)))
                _postpone(engine, session_factory, instance_id, now, exc)
    return report


def _next_due(session: Session, now: datetime) -> int | None:
    # Strictly before: SpiffWorkflow only fires a timer once its moment has passed.
    stmt = select(EngineTimer.instance_id).where(EngineTimer.due_at < now)
    stmt = stmt.order_by(EngineTimer.due_at).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return session.scalars(stmt).first()


def _postpone(engine: ProcessEngine, session_factory: sessionmaker[Session], instance_id: int,
              now: datetime, error: DealflowError) -> None:
    """Keep a failing timer from blocking the sweep, and leave the reason (and the element that
    failed) where designers see it; they may retry it at once from the instance page."""
    log.warning("timer of process %s failed: %s", instance_id, error)
    with session_factory() as session:
        session.execute(update(EngineTimer).where(
            EngineTimer.instance_id == instance_id, EngineTimer.due_at <= now
        ).values(due_at=now + RETRY_AFTER))
        engine.note_failure(session, instance_id, error, "timer_failed",
                            details={"retry_at": (now + RETRY_AFTER).isoformat()})
        session.commit()
