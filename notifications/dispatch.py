"""Handing deliveries over once, and only once, the transaction that made them commits.

:func:`notify` notes the new delivery ids in ``session.info``; an ``after_commit`` hook
on the session factory passes them to the dispatcher, and a rollback forgets them. The
dispatcher either publishes one Celery job per delivery (production, with a broker) or
delivers in this process (the embedded default). Should that hand-over fail, or the
process die between commit and hand-over, the rows stay queued and the sweep
(``sweep.py``) hands them over again a minute later: nothing is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
PENDING = "dealflow.notifications.pending"
DELIVER_TASK = "dealflow.deliver_notification"
SWEEP_TASK = "dealflow.requeue_deliveries"


class Dispatcher(Protocol):
    def dispatch(self, delivery_ids: Sequence[int]) -> None:
        """Start delivering these rows; never raises (the sweep is the fallback)."""
        ...


class InlineDispatcher:
    """Embedded default: deliver right here, straight after the commit."""

    def __init__(self, deliver: Callable[[int], object]) -> None:
        self._deliver = deliver

    def dispatch(self, delivery_ids: Sequence[int]) -> None:
        for delivery_id in delivery_ids:
            try:
                self._deliver(delivery_id)
            except Exception:  # the committed use case must not fail for a message
                log.exception("delivery %s failed in process; the sweep retries it", delivery_id)


class CeleryDispatcher:
    """Production: one Celery job per delivery, taking only the delivery's id."""

    def __init__(self, celery: Any) -> None:  # a celery.Celery; Celery ships no types
        self._celery = celery

    def dispatch(self, delivery_ids: Sequence[int]) -> None:
        for delivery_id in delivery_ids:
            try:
                self._celery.send_task(DELIVER_TASK, args=[delivery_id])
            except Exception:  # broker down: the rows stay queued for the sweep
                log.exception("could not enqueue delivery %s; the sweep retries it", delivery_id)


def remember(session: Session, delivery_ids: Sequence[int]) -> None:
    """Note deliveries to hand over when ``session`` commits."""
    session.info.setdefault(PENDING, []).extend(delivery_ids)


def install(session_factory: sessionmaker[Session], dispatcher: Dispatcher) -> None:
    """Hand every session of this factory's committed deliveries to ``dispatcher``."""
    event.listen(session_factory, "after_commit", partial(_after_commit, dispatcher))
    event.listen(session_factory, "after_rollback", _forget)


def _after_commit(dispatcher: Dispatcher, session: Session) -> None:
    # SQLAlchemy also fires this when a SAVEPOINT is released: the data is not durable yet.
    if session.in_nested_transaction():
        return
    pending = session.info.pop(PENDING, None)
    if pending:
        dispatcher.dispatch(pending)


def _forget(session: Session) -> None:
    # A SAVEPOINT rolled back leaves what was noted before it; an id it took away finds no
    # row when delivered, which is harmless.
    if not session.in_nested_transaction():
        session.info.pop(PENDING, None)
