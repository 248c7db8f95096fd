"""The delivery sweep: hand over again every row left due for more than a minute.

A row is left due when the process died between commit and hand-over, the broker was
down, a job was lost, a retry's back-off ended without a job (the embedded default has
no Celery to wait on), or a sender died holding it (its lease ran out). Beat runs this
in production and the embedded scheduler thread otherwise, like the timer sweep. Each
row picked is marked due again from now, so it is handed over at most once a minute
however often the sweep runs, and several sweepers on PostgreSQL take different rows.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from core.db import is_postgresql

from .dispatch import Dispatcher
from .models import Delivery

log = logging.getLogger(__name__)
GRACE = timedelta(minutes=1)
SWEEP_INTERVAL_SECONDS = 30.0
WAITING = ("queued", "sending")


def requeue_stale(session_factory: sessionmaker[Session], dispatcher: Dispatcher, now: datetime,
                  limit: int = 500) -> int:
    """Queue again up to ``limit`` stale rows and dispatch them; returns how many."""
    with session_factory() as session:
        stmt = (select(Delivery.id)
                .where(Delivery.status.in_(WAITING), Delivery.next_attempt_at <= now - GRACE)
                .order_by(Delivery.next_attempt_at).limit(limit))
        if is_postgresql(session):
            stmt = stmt.with_for_update(skip_locked=True)
        ids = list(session.scalars(stmt))
        if ids:
            session.execute(update(Delivery).where(Delivery.id.in_(ids), Delivery.status.in_(WAITING))
                            .values(status="queued", next_attempt_at=now))
        session.commit()
    if ids:
        log.info("requeued %s stale deliveries", len(ids))
        dispatcher.dispatch(ids)
    return len(ids)
