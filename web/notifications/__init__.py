"""Notification pages: the bell, a person's notifications and channel choices, and the
admins' delivery log and outbox. They read and write through ``notifications`` only."""

from __future__ import annotations

from flask import Flask, g, request
from flask_login import current_user

from notifications.inbox import BELL_CAP, unread_count

from ..context import container
from ..errors import is_api_request
from . import admin, pages, preferences


def init_app(app: Flask) -> None:
    app.register_blueprint(pages.bp)
    app.register_blueprint(preferences.bp)
    app.register_blueprint(admin.bp)
    app.before_request(_count_unread)
    app.context_processor(_bell)


def _count_unread() -> None:
    """Count before the view runs: views render inside their own session, and on SQLite a
    second session opened from the template would wait on the first one's write lock."""
    if request.endpoint == "static" or is_api_request() or not current_user.is_authenticated:
        return
    with container().session_factory() as session:
        g.unread_notifications = unread_count(session, current_user.id)


def _bell() -> dict[str, str]:
    count = g.get("unread_notifications", 0)
    return {"unread_notifications": f"{BELL_CAP}+" if count > BELL_CAP else str(count) if count else ""}
