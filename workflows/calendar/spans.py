"""Which days a calendar page shows: a day, a week, or a month laid out in whole weeks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from workflows.inputs import Checker
from workflows.visits.periods import SPANS, first_day, following, on_calendar, preceding, utc_bounds


@dataclass(frozen=True)
class Span:
    view: str  # "day", "week" or "month"
    anchor: date  # the first day of the day, week or month shown
    first: date  # the first day of the grid: a month's starts on the Monday of its first week
    after_last: date
    time_zone: str

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.after_last - self.first).days)]

    @property
    def previous(self) -> date:
        return preceding(self.view, self.anchor)

    @property
    def next(self) -> date:
        return following(self.view, self.anchor)

    def bounds(self) -> tuple[datetime, datetime]:
        """When the grid's first day starts and its last day ends, in UTC."""
        return utc_bounds(self.first, self.after_last, self.time_zone)


def span_of(view: str, day: str, time_zone: str, now: datetime) -> Span:
    """The span ``view`` holding ``day`` (today on the person's clock when empty), both as typed."""
    check = Checker()
    chosen = check.choice("view", view or "week", SPANS)
    when = on_calendar(check, "date", check.date("date", day))
    check.done()
    anchor = first_day(chosen, when or now.astimezone(ZoneInfo(time_zone)).date())
    end = following(chosen, anchor)
    if chosen == "month":
        last_week = first_day("week", end - timedelta(days=1))
        return Span(chosen, anchor, first_day("week", anchor), following("week", last_week), time_zone)
    return Span(chosen, anchor, anchor, end, time_zone)
