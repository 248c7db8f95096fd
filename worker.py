"""Celery entry point: ``celery -A worker worker -B`` runs the worker and the beat.

Tasks are thin: they take ids (or nothing), build nothing of their own and delegate
to the same functions the embedded scheduler calls.
"""

from __future__ import annotations

import sys
from functools import cache
from typing import Any

import bootstrap
from core.celery_app import make_celery
from core.settings import Settings, SettingsError
from engine import fire_due_timers
from notifications import DELIVER_TASK, SWEEP_INTERVAL_SECONDS, SWEEP_TASK
from workflows.instances.bulk import MIGRATION_TASK, run_migration
from workflows.leads.imports import IMPORT_TASK, run_import
from workflows.messaging.running import SEND_TASK, outlets, run_send

try:
    settings = Settings.from_env()
except SettingsError as exc:
    sys.exit(f"dealflow: configuration error: {exc}")
celery_app = make_celery(settings)
celery_app.conf.beat_schedule = {
    "fire-due-timers": {"task": "dealflow.fire_due_timers", "schedule": settings.timer_interval_seconds},
    "requeue-deliveries": {"task": SWEEP_TASK, "schedule": SWEEP_INTERVAL_SECONDS},
    "follow-up-leads": {"task": "dealflow.follow_up_leads", "schedule": settings.timer_interval_seconds},
    "chase-overdue-instalments": {"task": "dealflow.chase_overdue",
                                  "schedule": bootstrap.CHASE_INTERVAL_SECONDS},
    "daily-reminders": {"task": "dealflow.daily_reminders",
                        "schedule": bootstrap.DAILY_CHECK_INTERVAL_SECONDS},
}


@cache
def container() -> bootstrap.Container:
    return bootstrap.build(settings)


@celery_app.task(name="dealflow.fire_due_timers")
def fire_due_timers_task() -> dict[str, object]:
    report = fire_due_timers(container().engine, container().session_factory)
    return {"fired": report.fired, "failed": [list(f) for f in report.failed]}


@celery_app.task(name="dealflow.follow_up_leads")
def follow_up_leads_task() -> dict[str, object]:
    report = bootstrap.follow_up_leads(container())
    return {"started": report.started, "failed": [list(f) for f in report.failed]}


@celery_app.task(name="dealflow.chase_overdue")
def chase_overdue_task() -> dict[str, object]:
    report = bootstrap.chase_overdue(container())
    return {"started": report.started, "failed": [list(f) for f in report.failed]}


@celery_app.task(name="dealflow.daily_reminders")
def daily_reminders_task() -> dict[str, object]:
    report = bootstrap.send_daily_reminders(container())
    return {"day": report.day.isoformat(), "ran": report.ran, "digests": report.digests,
            "birthdays": report.birthdays, "greetings": report.greetings,
            "failed": [list(f) for f in report.failed]}


@celery_app.task(name=DELIVER_TASK, bind=True, max_retries=None)
def deliver_notification_task(self: Any, delivery_id: int) -> str:
    """Send one delivery; a passing failure comes back after its exponential back-off. The
    delivery row counts the attempts and gives up, so Celery's own retry limit is off."""
    outcome = container().notifications.deliver(delivery_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@celery_app.task(name=SWEEP_TASK)
def requeue_deliveries_task() -> int:
    return container().notifications.sweep()


@celery_app.task(name=IMPORT_TASK, time_limit=3 * 3600)
def run_lead_import_task(job_id: int) -> str:
    """Run one lead import; it commits in batches and resumes where it stopped if run again."""
    return run_import(container().session_factory, job_id, container().engine.clock)


@celery_app.task(name=SEND_TASK, time_limit=3 * 3600)
def run_message_send_task(send_id: int) -> str:
    """Run one send; a second job for it finds it taken, and a resumed one never sends twice."""
    c = container()
    return run_send(c.session_factory, send_id, c.engine.clock,
                    outlets(c.settings, c.notifications.postman.senders))


@celery_app.task(name=MIGRATION_TASK, time_limit=3 * 3600)
def run_process_migration_task(job_id: int) -> str:
    """Run one bulk migration; a resumed or doubled run skips the instances already done."""
    c = container()
    return run_migration(c.session_factory, c.engine, job_id, c.engine.clock)
