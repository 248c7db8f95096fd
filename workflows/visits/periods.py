"""Days, weeks and months as a person's calendar has them: where they start and end in
that person's time zone, and those moments in UTC, which is how every time is stored.

Weeks start on Monday, as ISO 8601 and the Chinese calendar have them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.phrases import Phrase
from workflows.inputs import Checker

SPANS = ("day", "week", "month")
# Days a calendar goes to: beyond them lies a typing mistake, and near the ends of Python's
# calendar a week or a month further would not exist.
EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)


def on_calendar(check: Checker, field: str, day: date | None) -> date | None:
    """``day`` if a calendar goes there; otherwise a problem with ``field`` and None."""
    if day is not None and not EARLIEST <= day <= LATEST:
        check.problem(field, Phrase("must be from %(first)s to %(last)s", first=EARLIEST.isoformat(),
                                    last=LATEST.isoformat()))
        return None
    return day


def first_day(span: str, day: date) -> date:
    """The first day of the ``span`` that holds ``day``."""
    if span == "week":
        return day - timedelta(days=day.weekday())
    if span == "month":
        return day.replace(day=1)
    return day


def following(span: str, day: date) -> date:
    """The first day of the next ``span`` after the one that starts on ``day``."""
    if span == "week":
        return day + timedelta(days=7)
    if span == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


def preceding(span: str, day: date) -> date:
    """The first day of the ``span`` before the one that starts on ``day``."""
    return first_day(span, day - timedelta(days=1))


def utc_bounds(first: date, after_last: date, time_zone: str) -> tuple[datetime, datetime]:
    """The moments the days ``first`` up to ``after_last`` (excluded) start and end, in UTC."""
    return day_start(first, time_zone), day_start(after_last, time_zone)


def day_start(day: date, time_zone: str) -> datetime:
    """The moment ``day`` starts in ``time_zone``, in UTC (how every time is stored)."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(time_zone)).astimezone(UTC)
