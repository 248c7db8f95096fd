"""Out of office: an approver names a period and a delegate; approval tasks routed to
them in that period go to the delegate instead.

People think of absence in days, so a period is typed as first and last day away, in the
approver's own time zone, and stored as the UTC moments it starts and ends. Functions
work in the caller's ``Session`` and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, aliased

from core.errors import NotFound
from core.phrases import Phrase
from workflows.inputs import Checker, parse_id
from workflows.org.models import User
from workflows.org.visibility import Viewer

from .models import OutOfOffice

MAX_DAYS = 366
MAX_HOPS = 5  # a delegate who is away too hands on to their own delegate, this far at most


@dataclass(frozen=True)
class AbsenceInput:
    first_day: str
    last_day: str
    delegate_id: str
    note: str = ""


@dataclass(frozen=True)
class AbsenceRow:
    absence: OutOfOffice
    delegate_name: str


def stand_in(session: Session, username: str, now: datetime) -> str | None:
    """Who works ``username``'s approvals at ``now``, when they are away; None when they are in."""
    seen, current = {username}, username
    for _ in range(MAX_HOPS):
        delegate = session.scalar(_DELEGATE_NOW, {"username": current, "now": now})
        if delegate is None or delegate in seen:
            break
        seen.add(delegate)
        current = delegate
    return None if current == username else current


def set_out_of_office(session: Session, actor: Viewer, data: AbsenceInput, time_zone: str,
                      now: datetime) -> OutOfOffice:
    """Record a period away for ``actor``; it may not overlap one they already set."""
    check = Checker()
    first = check.date("first_day", data.first_day)
    last = check.date("last_day", data.last_day)
    note = check.text("note", data.note, 300)
    delegate = _delegate(session, actor, data.delegate_id, check)
    if first is None and "first_day" not in check.problems:
        check.problem("first_day", Phrase("is required"))
    if last is None and "last_day" not in check.problems:
        check.problem("last_day", Phrase("is required"))
    check.done()
    assert first is not None and last is not None
    zone = ZoneInfo(time_zone)
    if last < first:
        check.problem("last_day", Phrase("must not be before the first day"))
    elif (last - first).days >= MAX_DAYS:
        check.problem("last_day", Phrase("must be within %(count)s days of the first day", count=MAX_DAYS))
    elif not now.date() - timedelta(days=MAX_DAYS) <= first <= now.date() + timedelta(days=MAX_DAYS):
        check.problem("first_day", Phrase("must be within a year from today"))
    check.done()
    starts_at, ends_at = _midnight(first, zone), _midnight(last + timedelta(days=1), zone)
    if ends_at <= now:
        check.problem("last_day", Phrase("must not be in the past"))
    elif _overlapping(session, actor.user_id, starts_at, ends_at):
        check.problem("first_day", Phrase("overlaps a period you are already away"))
    check.done()
    assert delegate is not None
    absence = OutOfOffice(user_id=actor.user_id, delegate_id=delegate.id, starts_at=starts_at,
                          ends_at=ends_at, note=note, created_at=now)
    session.add(absence)
    session.flush()
    return absence


def end_out_of_office(session: Session, actor: Viewer, absence_id: int, now: datetime) -> None:
    """Back early, or a plan cancelled: a period not started yet goes, one under way ends now."""
    absence = session.get(OutOfOffice, absence_id)
    if absence is None or absence.user_id != actor.user_id:
        raise NotFound(Phrase("This out-of-office period does not exist"))
    if absence.starts_at >= now:
        session.delete(absence)
    elif absence.ends_at > now:
        absence.ends_at = now
    session.flush()


def absences_of(session: Session, user_id: int, now: datetime) -> list[AbsenceRow]:
    """The user's current and coming periods away, soonest first."""
    delegate = aliased(User)
    rows = session.execute(
        select(OutOfOffice, delegate.display_name).join(delegate, delegate.id == OutOfOffice.delegate_id)
        .where(OutOfOffice.user_id == user_id, OutOfOffice.ends_at > now)
        .order_by(OutOfOffice.starts_at))
    return [AbsenceRow(absence, name) for absence, name in rows]


def delegate_choices(session: Session, actor: Viewer) -> list[tuple[int, str]]:
    """Anyone active but the actor: a delegate stands in with their own name on each decision."""
    rows = session.execute(select(User.id, User.display_name, User.username)
                           .where(User.active.is_(True), User.id != actor.user_id)
                           .order_by(User.display_name))
    return [(user_id, f"{name} ({username})") for user_id, name, username in rows]


def _delegate(session: Session, actor: Viewer, raw_id: str, check: Checker) -> User | None:
    delegate_id = parse_id(raw_id)
    delegate = session.get(User, delegate_id) if delegate_id is not None else None
    if delegate is None or not delegate.active:
        check.problem("delegate_id", Phrase("is not an active user"))
        return None
    if delegate.id == actor.user_id:
        check.problem("delegate_id", Phrase("must be someone else"))
        return None
    return delegate


def _overlapping(session: Session, user_id: int, starts_at: datetime, ends_at: datetime) -> bool:
    return session.scalar(select(OutOfOffice.id).where(
        OutOfOffice.user_id == user_id, OutOfOffice.starts_at < ends_at,
        OutOfOffice.ends_at > starts_at).limit(1)) is not None


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)


_away, _delegate_user = aliased(User), aliased(User)
_DELEGATE_NOW = (
    select(_delegate_user.username)
    .select_from(OutOfOffice)
    .join(_away, _away.id == OutOfOffice.user_id)
    .join(_delegate_user, _delegate_user.id == OutOfOffice.delegate_id)
    .where(_away.username == bindparam("username"), OutOfOffice.starts_at <= bindparam("now"),
           OutOfOffice.ends_at > bindparam("now"), _delegate_user.active.is_(True))
    .limit(1)
)
