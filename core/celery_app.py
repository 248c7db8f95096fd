"""Celery configured from settings: JSON only, acks after the work is done, no task bodies."""

from __future__ import annotations

from celery import Celery

from .settings import Settings


def make_celery(settings: Settings) -> Celery:
    app = Celery("dealflow", broker=settings.broker_url, backend=settings.broker_url)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        task_time_limit=300,
        result_expires=3600,
        broker_connection_retry_on_startup=True,
        timezone="UTC",
    )
    return app
