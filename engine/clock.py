"""Route SpiffWorkflow's idea of "now" through the engine's clock.

The library's timer code calls ``datetime.now()`` on its own module-level import and
offers no hook, so we replace that name with a datetime subclass that asks our clock.
This is process-wide: the engine owns the one clock.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import ClassVar

import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timer

from core.clock import Clock, SystemClock


class _ClockedDatetime(datetime):
    clock: ClassVar[Clock] = SystemClock()

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        current = cls.clock.now()
        return current.astimezone(tz) if tz else current.astimezone().replace(tzinfo=None)


def use_clock(clock: Clock) -> None:
    """Make every timer evaluation in this process read ``clock``."""
    _ClockedDatetime.clock = clock
    spiff_timer.datetime = _ClockedDatetime
