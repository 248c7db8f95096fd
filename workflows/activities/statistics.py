"""Visit statistics: how many visits, calls and meetings each rep the viewer may see logged,
per day, week (from Monday), month, or over the whole period.

Counted in SQL, grouped by rep, day bucket and kind, over the ``ix_activity_owner_happened``
index (each rep's time range). Buckets are the viewer's calendar days: each UTC timestamp is
shifted by the time zone's offset and truncated (SQLite ``date()``, PostgreSQL
``date_trunc``), which both databases do alike. Where the offset changes inside the period
(daylight saving) the period is counted in pieces of one offset each and the pieces summed,
so an activity at 00:30 local time counts on its own day in summer and winter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, cast, func, literal_column, select
from sqlalchemy.orm import Session

from core.db import is_postgresql
from core.phrases import Phrase
from workflows.org.recipients import display_names
from workflows.org.visibility import Viewer, owner_condition
from workflows.visits.periods import first_day, following, utc_bounds

from .filters import Problems, one_of, period, person
from .models import Activity

UNITS = ("day", "week", "month", "period")
COUNTED = ("visit", "call", "meeting")
DEFAULT_UNIT = "week"
# The longest period each grouping shows: a table of more rows than this tells a person nothing.
MAX_DAYS = {"day": 92, "week": 2 * 366, "month": 5 * 366, "period": 5 * 366}
_DAY = timedelta(days=1)
# How SQLite's date() moves a shifted timestamp to the first day of its bucket.
_SQLITE_MODIFIERS = {"day": (), "week": ("-6 days", "weekday 1"), "month": ("start of month",)}


@dataclass(frozen=True)
class StatisticsFilter:
    """How to group, which days (both included, in the viewer's time zone), whose."""

    unit: str
    since: date
    until: date
    person: str | None = None


@dataclass(frozen=True)
class StatisticsRow:
    """One rep's counts in one bucket; ``first`` and ``last`` are the bucket's days within the period."""

    first: date
    last: date
    owner: str
    owner_name: str
    visits: int
    calls: int
    meetings: int

    @property
    def total(self) -> int:
        return self.visits + self.calls + self.meetings


def parse_statistics(session: Session, viewer: Viewer, params: Mapping[str, str],
                     today: date) -> tuple[StatisticsFilter, Problems]:
    """The table a query string asks for; by default the last four weeks by week. A value that
    cannot be used is named and left out; a period too long for its grouping is shortened."""
    raw = {key: (params.get(key) or "").strip() for key in ("unit", "since", "until", "person")}
    problems: Problems = {}
    unit = one_of(raw["unit"], UNITS, "unit", problems) or DEFAULT_UNIT
    since, until = period(raw["since"], raw["until"], problems)
    until = until or today
    since = since if since is not None and since <= until else first_day("week", until) - 3 * 7 * _DAY
    if (until - since).days >= MAX_DAYS[unit]:
        problems["since"] = Phrase("is too long ago for this grouping: at most %(count)s days are shown",
                                   count=MAX_DAYS[unit])
        since = until - (MAX_DAYS[unit] - 1) * _DAY
    who = person(session, viewer, raw["person"], problems)
    return StatisticsFilter(unit=unit, since=since, until=until, person=who), problems


def visit_statistics(session: Session, viewer: Viewer, f: StatisticsFilter,
                     time_zone: str) -> list[StatisticsRow]:
    """Each rep's visits, calls and meetings per bucket, by bucket then rep name; reps and buckets
    without any are left out."""
    zone = ZoneInfo(time_zone)
    start, end = utc_bounds(f.since, f.until + _DAY, time_zone)
    postgresql = is_postgresql(session)
    counts: Counter[tuple[date, str, str]] = Counter()
    for span_start, span_end, offset in _offset_spans(start, end, zone):
        bucket = _bucket(postgresql, f.unit, offset)
        where = [owner_condition(viewer, Activity.owner), Activity.kind.in_(COUNTED),
                 Activity.happened_at >= span_start, Activity.happened_at < span_end]
        if f.person is not None:
            where.append(Activity.owner == f.person)
        grouped = [Activity.owner, Activity.kind, *([] if bucket is None else [bucket])]
        query = select(*grouped, func.count()).where(*where).group_by(*grouped)
        for owner, kind, *day, count in session.execute(query):
            counts[_as_date(day[0]) if day else f.since, owner, kind] += count
    names = display_names(session, {owner for _first, owner, _kind in counts})
    keys = sorted({(first, owner) for first, owner, _kind in counts},
                  key=lambda key: (key[0], names.get(key[1], key[1]), key[1]))
    return [StatisticsRow(first=max(first, f.since), last=_last(f, first), owner=owner,
                          owner_name=names.get(owner, owner), visits=counts[first, owner, "visit"],
                          calls=counts[first, owner, "call"], meetings=counts[first, owner, "meeting"])
            for first, owner in keys]


def _bucket(postgresql: bool, unit: str, offset: int) -> Any:
    """The first day of an activity's bucket in a zone ``offset`` seconds from UTC; None for the
    whole period. Constants are inlined so the SELECT and the GROUP BY are the same expression."""
    if unit == "period":
        return None
    if postgresql:
        local = func.timezone(literal_column("'UTC'"), Activity.happened_at) \
            + literal_column(f"interval '{offset:d} seconds'")
        return cast(func.date_trunc(literal_column(f"'{unit}'"), local), Date)
    modifiers = (f"{offset:+d} seconds", *_SQLITE_MODIFIERS[unit])
    return func.date(Activity.happened_at, *(literal_column(f"'{modifier}'") for modifier in modifiers))


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _last(f: StatisticsFilter, first: date) -> date:
    return f.until if f.unit == "period" else min(following(f.unit, first) - _DAY, f.until)


def _offset_spans(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[datetime, datetime, int]]:
    """``[start, end)`` cut where the zone's UTC offset changes, each piece with its offset in seconds."""
    spans = []
    while start < end:
        offset = _offset(start, zone)
        change = _next_change(start, end, zone, offset)
        spans.append((start, change, offset))
        start = change
    return spans


def _next_change(start: datetime, end: datetime, zone: ZoneInfo, offset: int) -> datetime:
    """The first moment after ``start`` with another offset, or ``end``: a day at a time (offsets
    change a few times a year at most), then narrowed down to the second."""
    low = start
    while low < end:
        high = min(low + _DAY, end)
        if _offset(high, zone) != offset:
            low_second, high_second = int(low.timestamp()), int(high.timestamp())
            while high_second - low_second > 1:
                middle = (low_second + high_second) // 2
                if _offset(datetime.fromtimestamp(middle, UTC), zone) == offset:
                    low_second = middle
                else:
                    high_second = middle
            return min(datetime.fromtimestamp(high_second, UTC), end)
        low = high
    return end


def _offset(moment: datetime, zone: ZoneInfo) -> int:
    shift = moment.astimezone(zone).utcoffset()
    return int(shift.total_seconds()) if shift is not None else 0
