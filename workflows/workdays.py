"""Working days for deadlines in diagrams: ``working_days(2)`` in a timer or a due date.

An approval "within two working days" submitted on Friday afternoon is due on Tuesday
afternoon, and the Spring Festival holidays do not count (nor do the weekend days China
makes working days count less: the holidays library knows both). Counted in the
company's time zone, from the engine clock's now, so tests that move the clock move it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

from core.clock import Clock

MAX_WORKING_DAYS = 365


class WorkingDays:
    def __init__(self, clock: Clock, country: str, time_zone: str) -> None:
        self.clock = clock
        self.calendar = holidays.country_holidays(country)
        self.zone = ZoneInfo(time_zone)

    def is_working_day(self, day: date) -> bool:
        return bool(self.calendar.is_working_day(day))

    def after(self, start: datetime, count: int) -> datetime:
        """The same time of day ``count`` working days after ``start``."""
        local = start.astimezone(self.zone)
        day, found = local.date(), 0
        while found < count:
            day += timedelta(days=1)
            found += self.is_working_day(day)
        return datetime.combine(day, local.timetz()).astimezone(start.tzinfo)

    def duration(self, count: object) -> str:
        """``working_days(n)`` for a diagram: the ISO 8601 duration from now to ``n`` working
        days from now, which timers and due dates take as they take "P2D"."""
        if isinstance(count, bool) or not isinstance(count, int) or not 0 < count <= MAX_WORKING_DAYS:
            raise ValueError(f"working_days takes a whole number of days from 1 to {MAX_WORKING_DAYS}")
        now = self.clock.now()
        delta = self.after(now, count) - now
        return f"P{delta.days}DT{delta.seconds}S"
