"""What the notification pages share: the words for kinds, channels and statuses in the
reader's language, and the page number from the query string."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "task_assigned": _l("A task is assigned to me"),
    "reminder": _l("Reminders and overdue approvals"),
    "activity_comment": _l("My manager comments on an activity of mine"),
    "approval_decided": _l("An approval I asked for is decided"),
    "recycled_to_pool": _l("A record of mine goes back to the pool"),
    "daily_digest": _l("Daily digest"),
}
CHANNEL_LABELS = {"in_app": _l("In the app"), "email": _l("Email"), "sms": _l("SMS")}
STATUS_LABELS = {"queued": _l("queued"), "sending": _l("sending"), "sent": _l("sent"), "failed": _l("failed")}


def page_number() -> int:
    """The ``page`` query value; anything but a positive number means the first page."""
    return max(1, request.args.get("page", 1, type=int))
