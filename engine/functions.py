"""Functions every diagram may call in its expressions, beside those the CRM registers.

``after(moment, duration)``: the ISO 8601 date-time ``duration`` after ``moment``, for a
timer counted from a moment the process was given (a last contact) rather than from when
the timer started waiting. Months and years count in calendar months, as timers do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition


def after(moment: object, duration: object) -> str:
    start = TimerEventDefinition.get_datetime(str(moment))
    parsed = TimerEventDefinition.parse_iso_duration(str(duration))
    return str((start + TimerEventDefinition.get_timedelta_from_start(parsed, start)).isoformat())


BUILT_IN: dict[str, Callable[..., Any]] = {"after": after}
