"""A person's notifications: the list (newest first, a page at a time), opening one
(marks it read and follows its link), marking all read. Someone else's is "not found"."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from notifications.inbox import list_notifications, mark_all_read, open_notification

from ..context import container
from .common import KIND_LABELS, page_number

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
def index() -> str:
    unread_only = request.args.get("unread") == "1"
    with container().session_factory() as session:
        page = list_notifications(session, current_user.id, page_number(), unread_only=unread_only)
    return render_template("notifications/index.html", page=page, unread_only=unread_only,
                           kind_labels=KIND_LABELS, is_admin=current_user.viewer.is_admin)


@bp.get("/notifications/<int:notification_id>")
def open_one(notification_id: int) -> Response:
    """Follow a notification to what it is about; reading it there is what marks it read."""
    return redirect(_mark_read(notification_id) or url_for("notifications.index"))


@bp.post("/notifications/<int:notification_id>/read")
def read_one(notification_id: int) -> Response:
    _mark_read(notification_id)
    return redirect(url_for("notifications.index", page=page_number()))


@bp.post("/notifications/read-all")
def read_all() -> Response:
    """Mark every unread notification of the reader read."""
    c = container()
    with c.uow() as uow:
        count = mark_all_read(uow.session, current_user.id, c.engine.clock.now())
        uow.commit()
    flash(ngettext("%(num)d notification marked read.", "%(num)d notifications marked read.", count))
    return redirect(url_for("notifications.index"))


def _mark_read(notification_id: int) -> str | None:
    """Mark the reader's notification read; its link. Someone else's is "not found"."""
    c = container()
    with c.uow() as uow:
        link = open_notification(uow.session, current_user.id, notification_id, c.engine.clock.now()).link
        uow.commit()
    return link
