"""The daily job: digests, birthday reminders and holiday greetings, once a day.

The scheduler (Celery beat, or the embedded thread) calls :func:`run_daily` every few
minutes. Before the configured hour of the company's day it does nothing; after it, the
first call does the day's work and records the day as done, so later calls cost one query.
A run on demand (the ``send-daily-reminders`` command) ignores the hour and the record.
Every message goes out under its own idempotency key in its own transaction, so a run cut
short and run again sends only what is missing, and one bad row never holds up the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import DealflowError
from core.settings import Settings

from .birthdays import birthdays_due, remind_birthday
from .digest import digest_candidates, send_digest
from .greetings import greetings_due, remind_greetings
from .models import DailyRun

JOB = "daily_reminders"
T = TypeVar("T")


@dataclass
class DailyReport:
    day: date
    ran: bool = False
    digests: int = 0
    birthdays: int = 0
    greetings: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (what, why)


def run_daily(session_factory: sessionmaker[Session], settings: Settings, now: datetime,
              force: bool = False) -> DailyReport:
    """Do the day's work once it is time and not yet done (``force``: now, whatever was done)."""
    local = now.astimezone(ZoneInfo(settings.time_zone))
    report = DailyReport(day=local.date())
    if not force and (local.hour < settings.digest_hour or _done(session_factory, report.day)):
        return report
    report.ran = True
    with session_factory() as session:
        candidates = digest_candidates(session, now)
        birthdays = birthdays_due(session, report.day, settings.reminder_days)
        greetings = greetings_due(session, settings.holidays, report.day, settings.reminder_days)
    report.digests = _each(session_factory, candidates,
                           lambda s, user_id: send_digest(s, user_id, now) is not None, "digest:{}", report)
    report.birthdays = _each(session_factory, birthdays, lambda s, due: remind_birthday(s, due, now),
                             "birthday:{.contact_id}", report)
    report.greetings = _each(session_factory, greetings,
                             lambda s, due: remind_greetings(s, settings.holidays, due, now),
                             "greetings:{.owner}", report)
    _mark_done(session_factory, report.day, now)
    return report


def _each(session_factory: sessionmaker[Session], items: Iterable[T], work: Callable[[Session, T], bool],
          label: str, report: DailyReport) -> int:
    """Run ``work`` on each item in a transaction of its own; how many told someone something."""
    told = 0
    for item in items:
        with session_factory() as session:
            try:
                told += work(session, item)
                session.commit()
            except DealflowError as exc:
                session.rollback()
                report.failed.append((label.format(item), str(exc)))
    return told


def _done(session_factory: sessionmaker[Session], day: date) -> bool:
    with session_factory() as session:
        return bool(session.scalar(select(exists().where(DailyRun.job == JOB, DailyRun.day == day))))


def _mark_done(session_factory: sessionmaker[Session], day: date, now: datetime) -> None:
    with session_factory() as session:
        if session.get(DailyRun, (JOB, day)) is None:
            session.add(DailyRun(job=JOB, day=day, finished_at=now))
            try:
                session.commit()
            except IntegrityError:  # another runner finished the same day first
                session.rollback()
