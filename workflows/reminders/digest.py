"""Each user's daily digest: their tasks due today and overdue, the approvals waiting for
them, and the leads they own nobody has contacted for a week (the lead lists' first flag).

Read from the engine's ``human_task`` projection and plain indexed tables: workflow state is
never loaded. One notification per user and day (key ``digest:<user>:<day>``, the day in the
user's own time zone), and none for a day with nothing to say.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from engine import HumanTask
from notifications import Notice, notify
from notifications.models import Notification
from workflows.approvals.inbox import DECIDES_APPROVAL, InboxFilter, inbox_page
from workflows.leads.follow_up_status import NO_CONTACT_DAYS, not_contacted_for
from workflows.leads.models import Lead
from workflows.org.models import User
from workflows.org.recipients import recipient
from workflows.org.visibility import viewer_of

STALE_DAYS = NO_CONTACT_DAYS[0]  # the lead lists' first no-contact flag
MAX_LINES = 20  # per list; the message says how many more there are
LISTS = ("due_today", "overdue", "approvals", "leads")


@dataclass(frozen=True)
class Digest:
    """One-line descriptions per list, and how many lines each list left out."""

    day: date
    due_today: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)
    approvals: list[str] = field(default_factory=list)
    leads: list[str] = field(default_factory=list)
    more: dict[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not any(getattr(self, name) for name in LISTS)


def digest_candidates(session: Session, now: datetime) -> list[int]:
    """Ids of the active users who may have something to hear: an open task assigned to them (a
    task due, or an approval), or a lead of theirs not contacted lately."""
    waiting = select(HumanTask.assignee).where(HumanTask.assignee.is_not(None))
    stale = select(Lead.owner).where(not_contacted_for(STALE_DAYS, now))
    return list(session.scalars(select(User.id).where(
        User.active.is_(True), or_(User.username.in_(waiting), User.username.in_(stale))).order_by(User.id)))


def compose_digest(session: Session, user: User, now: datetime) -> Digest:
    """What waits for ``user`` on their today."""
    zone = _zone(user.timezone)
    day = now.astimezone(zone).date()
    starts, ends = (datetime.combine(d, time(), tzinfo=zone) for d in (day, day + timedelta(days=1)))
    approvals = inbox_page(session, viewer_of(user), InboxFilter(per_page=MAX_LINES), now)
    # Approval tasks are listed as approvals, not again as tasks due (all of them, not just a page's).
    mine = (HumanTask.assignee == user.username, ~DECIDES_APPROVAL)
    more = {"approvals": approvals.total - MAX_LINES} if approvals.total > MAX_LINES else {}

    today = (HumanTask.due_at >= starts, HumanTask.due_at < ends)
    due_today = _lines(session, "due_today", _tasks(*mine, *today), lambda t: _line(t.name, t.title), more)
    overdue = _lines(session, "overdue", _tasks(*mine, HumanTask.due_at < starts),  # the day it was due
                     lambda t: _line(t.name, t.title, f"{t.due_at.astimezone(zone):%Y-%m-%d}"), more)
    stale = select(Lead).where(Lead.owner == user.username, not_contacted_for(STALE_DAYS, now)) \
        .order_by(Lead.followup_since, Lead.id)
    leads = _lines(session, "leads", stale, lambda lead: _line(lead.name, lead.company), more)
    return Digest(day=day, due_today=due_today, overdue=overdue, leads=leads, more=more,
                  approvals=[_line(row.number, row.account) for row in approvals.rows])


def send_digest(session: Session, user_id: int, now: datetime) -> Notification | None:
    """Tell the user their digest, once per their day; None when there is nothing to tell."""
    user = session.get(User, user_id)
    found = recipient(session, user.username) if user is not None else None
    if user is None or found is None:
        return None
    digest = compose_digest(session, user, now)
    if digest.empty:
        return None
    context: dict[str, Any] = {name: getattr(digest, name) for name in LISTS}
    key = f"digest:{user.username}:{digest.day.isoformat()}"
    return notify(session, Notice(recipient=found, kind="daily_digest", idempotency_key=key, link="/tasks",
                                  context={**context, "day": digest.day, "more": digest.more}), now)


def _tasks(*where: ColumnElement[bool]) -> Select[Any]:
    return select(HumanTask).where(*where).order_by(HumanTask.due_at, HumanTask.id)


def _lines(session: Session, name: str, query: Select[Any], line: Callable[[Any], str],
           more: dict[str, int]) -> list[str]:
    """The first MAX_LINES rows as lines; how many more there are goes into ``more``."""
    rows: Sequence[Any] = session.scalars(query.limit(MAX_LINES + 1)).all()
    if len(rows) > MAX_LINES:
        total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        more[name] = total - MAX_LINES
    return [line(row) for row in rows[:MAX_LINES]]


def _line(*parts: str | None) -> str:
    return " · ".join(part for part in parts if part)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
