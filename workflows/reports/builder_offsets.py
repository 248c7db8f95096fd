"""When a time zone's offset from UTC changes (daylight saving), for databases that cannot
convert a stored UTC moment to local time themselves (SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

# The years a report's records fall in; before and after, the nearest known offset holds.
FIRST_YEAR, LAST_YEAR = 1990, 2060


@lru_cache(maxsize=64)
def offset_changes(zone: str) -> tuple[int, tuple[tuple[datetime, int], ...]]:
    """The zone's offset in seconds at the start of ``FIRST_YEAR``, and each later change as (the
    UTC moment it takes effect, the new offset); none for a zone without daylight saving."""
    local = ZoneInfo(zone)
    moment = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
    end = datetime(LAST_YEAR, 1, 1, tzinfo=UTC)
    first = offset = _offset(moment, local)
    changes = []
    while moment < end:
        following = moment + timedelta(days=7)  # offsets change at most a few times a year
        if _offset(following, local) != offset:
            changed = _first_change(moment, following, local, offset)
            offset = _offset(changed, local)
            changes.append((changed, offset))
            moment = changed
        else:
            moment = following
    return first, tuple(changes)


def _first_change(low: datetime, high: datetime, zone: ZoneInfo, offset: int) -> datetime:
    """The first whole second after ``low`` with an offset other than ``offset`` (before ``high``)."""
    low_second, high_second = int(low.timestamp()), int(high.timestamp())
    while high_second - low_second > 1:
        middle = (low_second + high_second) // 2
        if _offset(datetime.fromtimestamp(middle, UTC), zone) == offset:
            low_second = middle
        else:
            high_second = middle
    return datetime.fromtimestamp(high_second, UTC)


def _offset(moment: datetime, zone: ZoneInfo) -> int:
    shift = moment.astimezone(zone).utcoffset()
    return int(shift.total_seconds()) if shift is not None else 0
