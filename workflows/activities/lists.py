"""Activities per person: what the people a viewer may see (themself; a manager their
subtree) logged, filtered by person, kind, kind of record and period, a page at a time.

The one visibility rule scopes every query by the activity's owner, so a filter naming
someone out of sight, or a record of another team, finds nothing; each filter value that
cannot be used is named and left out, never fatal. Days are the viewer's days.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from workflows.inputs import page_window
from workflows.opportunities.queries import owner_choices
from workflows.org.recipients import display_names
from workflows.org.visibility import Viewer, owner_condition
from workflows.visits.periods import utc_bounds

from .filters import Problems, one_of, page_number, period, person
from .models import KINDS, SUBJECTS, Activity, ActivityComment
from .records import record_path, record_titles

PER_PAGE, MAX_PER_PAGE = 25, 100
FILTER_KEYS = ("person", "kind", "record", "since", "until")


@dataclass(frozen=True)
class ActivityFilter:
    """Whose activities, of what, when; ``None`` means "any". ``since`` and ``until`` are
    days in the viewer's time zone, both included."""

    person: str | None = None
    kind: str | None = None
    subject_type: str | None = None
    since: date | None = None
    until: date | None = None
    page: int = 1
    per_page: int = PER_PAGE

    def params(self) -> dict[str, str]:
        """The query string of the filters (not the page): for page links and the form."""
        values = {"person": self.person, "kind": self.kind, "record": self.subject_type,
                  "since": self.since, "until": self.until,
                  "per_page": self.per_page if self.per_page != PER_PAGE else None}
        return {key: str(value) for key, value in values.items() if value is not None}


@dataclass(frozen=True)
class ActivityRow:
    id: int
    kind: str
    subject_type: str
    subject_id: int
    record: str  # the record's name; empty once the record is gone
    owner: str
    owner_name: str
    happened_at: datetime
    outcome: str
    next_step: str
    comments: int

    @property
    def path(self) -> str:
        return record_path(self.subject_type, self.subject_id)


@dataclass(frozen=True)
class ActivityPage:
    rows: list[ActivityRow]
    total: int
    page: int
    pages: int


def parse_filter(session: Session, viewer: Viewer,
                 params: Mapping[str, str]) -> tuple[ActivityFilter, Problems]:
    """The list a query string asks for, and the reason for each value left out."""
    raw = {key: (params.get(key) or "").strip() for key in (*FILTER_KEYS, "page", "per_page")}
    problems: Problems = {}
    who = person(session, viewer, raw["person"], problems)
    kind = one_of(raw["kind"], KINDS, "kind", problems)
    subject_type = one_of(raw["record"], SUBJECTS, "record", problems)
    since, until = period(raw["since"], raw["until"], problems)
    return ActivityFilter(person=who, kind=kind, subject_type=subject_type, since=since, until=until,
                          page=page_number(raw["page"]) or 1,
                          per_page=min(page_number(raw["per_page"]) or PER_PAGE, MAX_PER_PAGE)), problems


def activity_page(session: Session, viewer: Viewer, f: ActivityFilter, time_zone: str) -> ActivityPage:
    """One page of the list, newest first; a page past the end shows the last one."""
    where = _conditions(viewer, f, time_zone)
    total = session.scalar(select(func.count()).select_from(Activity).where(*where)) or 0
    pages = max(1, -(-total // f.per_page))
    page = min(max(1, f.page), pages)
    limit, offset = page_window(page, f.per_page, MAX_PER_PAGE)
    found = list(session.scalars(select(Activity).where(*where)
                                 .order_by(Activity.happened_at.desc(), Activity.id.desc())
                                 .limit(limit).offset(offset)))
    ids = [a.id for a in found]
    comments = dict(session.execute(
        select(ActivityComment.activity_id, func.count()).where(ActivityComment.activity_id.in_(ids))
        .group_by(ActivityComment.activity_id)).all()) if ids else {}
    titles = record_titles(session, ((a.subject_type, a.subject_id) for a in found))
    names = display_names(session, {a.owner for a in found})
    rows = [ActivityRow(id=a.id, kind=a.kind, subject_type=a.subject_type, subject_id=a.subject_id,
                        record=titles.get((a.subject_type, a.subject_id), ""), owner=a.owner,
                        owner_name=names.get(a.owner, a.owner), happened_at=a.happened_at, outcome=a.outcome,
                        next_step=a.next_step, comments=comments.get(a.id, 0)) for a in found]
    return ActivityPage(rows=rows, total=total, page=page, pages=pages)


def people(session: Session, viewer: Viewer) -> list[tuple[str, str]]:
    """(username, display name) of everyone whose activities the viewer may see: the person filter."""
    return owner_choices(session, viewer)


def _conditions(viewer: Viewer, f: ActivityFilter, time_zone: str) -> list[ColumnElement[bool]]:
    where = [owner_condition(viewer, Activity.owner)]
    if f.person is not None:
        where.append(Activity.owner == f.person)
    if f.kind is not None:
        where.append(Activity.kind == f.kind)
    if f.subject_type is not None:
        where.append(Activity.subject_type == f.subject_type)
    if f.since is not None:
        where.append(Activity.happened_at >= _day_bounds(f.since, time_zone)[0])
    if f.until is not None:
        where.append(Activity.happened_at < _day_bounds(f.until, time_zone)[1])
    return where


def _day_bounds(day: date, time_zone: str) -> tuple[datetime, datetime]:
    return utc_bounds(day, day + timedelta(days=1), time_zone)
