"""working_days(n) in diagrams: weekends, Chinese public holidays and make-up working days."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.clock import ManualClock
from workflows.workdays import WorkingDays

SHANGHAI_5PM = 9  # 17:00 in Shanghai is 09:00 UTC


def at(day: str, hour: int = SHANGHAI_5PM) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@pytest.mark.parametrize(("start", "count", "due"), [
    ("2026-01-05", 2, "2026-01-07"),  # Monday to Wednesday
    ("2026-01-09", 2, "2026-01-13"),  # Friday: the weekend does not count
    ("2026-09-30", 1, "2026-10-08"),  # National Day holidays (Oct 1-7)
    ("2026-02-13", 1, "2026-02-14"),  # a Saturday worked before the Spring Festival counts
])
def test_working_days_skip_weekends_and_holidays_but_count_make_up_days(start, count, due):
    calendar = WorkingDays(ManualClock(at(start)), "CN", "Asia/Shanghai")
    assert calendar.after(at(start), count) == at(due)


def test_a_diagram_gets_an_iso_duration_from_now():
    calendar = WorkingDays(ManualClock(at("2026-01-09")), "CN", "Asia/Shanghai")
    assert calendar.duration(2) == "P4DT0S"


@pytest.mark.parametrize("count", [0, -1, 1.5, "2", True, 366])
def test_a_bad_count_is_refused_with_the_rule(count):
    with pytest.raises(ValueError, match="whole number of days from 1 to 365"):
        WorkingDays(ManualClock(), "CN", "Asia/Shanghai").duration(count)
