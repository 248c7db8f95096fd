"""Starting a long job (an import, a bulk send) once the request that queued it has committed.

With a broker the job is a Celery task taking the job's id; without one (the embedded
default) it runs on a thread of this process. Either way the job's own row says how far
it got, so its progress page reads the database and never this process's memory. The
launcher lives in ``app.extensions`` under a key of its own, so tests put in their own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

from bootstrap import Container
from core.celery_app import make_celery

log = logging.getLogger(__name__)
Launcher = Callable[[int], None]
Job = Callable[[Container, int], object]


def install(app: Flask, key: str, task: str, job: Job) -> None:
    """Register how jobs under ``key`` start: Celery ``task`` with a broker, else ``job`` on a thread."""
    c: Container = app.extensions["dealflow"]
    if c.settings.broker_url:
        celery = make_celery(c.settings)
        app.extensions.setdefault(key, lambda job_id: _enqueue(celery, task, job_id))
    else:
        app.extensions.setdefault(key, lambda job_id: _thread(c, job, task, job_id))


def launch(key: str, job_id: int) -> None:
    launcher: Launcher = current_app.extensions[key]
    launcher(job_id)


def _enqueue(celery: Any, task: str, job_id: int) -> None:
    try:
        celery.send_task(task, args=[job_id])
    except Exception:  # the broker is down: the job stays queued, and its page says so
        log.exception("could not enqueue %s(%s)", task, job_id)


def _thread(c: Container, job: Job, task: str, job_id: int) -> None:
    threading.Thread(target=job, args=(c, job_id), name=f"{task}-{job_id}", daemon=True).start()
