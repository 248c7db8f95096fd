"""A daemon thread that runs a job every few seconds: the embedded stand-in for Celery beat."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class PeriodicThread(threading.Thread):
    def __init__(self, interval_seconds: float, job: Callable[[], object], name: str = "scheduler") -> None:
        super().__init__(name=name, daemon=True)
        self.interval = interval_seconds
        self.job = job
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                self.job()
            except Exception:  # keep the scheduler alive whatever one run does
                log.exception("scheduled job %s failed", self.name)

    def stop(self) -> None:
        self._stopped.set()
