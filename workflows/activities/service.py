"""Logging what happened with a customer, and reading it back per record.

Anyone who may see the record may log against it (the visibility rule of the record
decides). A real contact (call, visit, meeting) with a lead, or with an account or one of
its contacts, marks when the lead or account was last reached, which the follow-up cadence
and the no-contact flags read; an email or a note does not. Functions work in the caller's
``Session`` and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from workflows.inputs import Checker
from workflows.org.visibility import Viewer

from .models import CONTACT_KINDS, KINDS, Activity
from .records import RECORDS

MAX_PER_RECORD = 200


@dataclass(frozen=True)
class ActivityInput:
    kind: str
    happened_on: str = ""  # a date; empty: today
    outcome: str = ""
    next_step: str = ""


def log_activity(session: Session, viewer: Viewer, subject_type: str, subject_id: int, data: ActivityInput,
                 time_zone: str, now: datetime) -> Activity:
    record = RECORDS[subject_type](session, viewer, subject_id)
    today = now.astimezone(ZoneInfo(time_zone)).date()
    check = Checker()
    kind = check.choice("kind", data.kind, KINDS)
    day = check.date("happened_on", data.happened_on, latest=today)
    outcome = check.text("outcome", data.outcome, 4000, required=True)
    next_step = check.text("next_step", data.next_step, 300)
    check.done()
    # Logged on the day: now. Logged later for an earlier day: that day's noon, the user's time.
    happened = now if day is None or day == today else \
        datetime.combine(day, time(12), tzinfo=ZoneInfo(time_zone))
    activity = Activity(kind=kind, subject_type=subject_type, subject_id=subject_id, owner=viewer.username,
                        happened_at=happened, outcome=outcome, next_step=next_step, created_at=now)
    session.add(activity)
    if kind in CONTACT_KINDS and subject_type in ("lead", "account"):
        record.contacted(happened)
    elif kind in CONTACT_KINDS and subject_type == "contact":  # reaching a customer's person reaches it
        record.account.contacted(happened)
    session.flush()
    return activity


def activities_of(session: Session, viewer: Viewer, subject_type: str, subject_id: int) -> list[Activity]:
    """The record's activities, newest first, with their comment threads, if the viewer may see
    the record (and so read what was said about it)."""
    RECORDS[subject_type](session, viewer, subject_id)
    return list(session.scalars(select(Activity).options(selectinload(Activity.comments)).where(
        Activity.subject_type == subject_type, Activity.subject_id == subject_id)
        .order_by(Activity.happened_at.desc(), Activity.id.desc()).limit(MAX_PER_RECORD)))
