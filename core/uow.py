"""Unit of work: the one transaction boundary of a use case.

Leaving the ``with`` block without :meth:`UnitOfWork.commit` rolls everything back, so a
use case that fails half-way changes nothing. Work that must only happen once the data
is durable (publishing a Celery job, sending mail) is registered with
:meth:`UnitOfWork.after_commit`.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker


class UnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._after_commit: list[Callable[[], None]] = []
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        self._after_commit = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def rollback(self) -> None:
        self.session.rollback()
        self._after_commit = []

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)
