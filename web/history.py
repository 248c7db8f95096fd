"""Human words for history events, shared by every page that shows an instance's history."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

EVENT_LABELS = {
    "instance_started": _l("Process started"),
    "instance_completed": _l("Process completed"),
    "instance_cancelled": _l("Process cancelled"),
    "task_created": _l("Task created"),
    "task_completed": _l("Task completed"),
    "task_claimed": _l("Task claimed"),
    "task_unclaimed": _l("Task given back"),
    "task_assigned": _l("Task assigned"),
    "stage_entered": _l("Stage entered"),
    "timer_fired": _l("Timer fired"),
    "timer_failed": _l("Timer failed; will retry"),
    "message_received": _l("Message received"),
    "element_completed": _l("Step passed"),
    "data_changed": _l("Data changed"),
    "instance_migrated": _l("Moved to another version"),
    "step_retried": _l("Failed step retried"),
    "retry_failed": _l("Retry failed"),
}


def init_app(app: Flask) -> None:
    app.jinja_env.globals["event_labels"] = EVENT_LABELS
