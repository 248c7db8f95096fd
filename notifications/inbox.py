"""A person's in-app notifications: the bell's count, the page, marking them read.

Every function takes the reader's user id and looks only at their rows, so no one can
list, open or mark another person's notification: it is "not found" to them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.phrases import Phrase

from .models import Notification
from .paging import PER_PAGE, Page, page_of

BELL_CAP = 99  # the bell says "99+" beyond this, and the count stops there


def unread_count(session: Session, user_id: int, cap: int = BELL_CAP) -> int:
    """Unread in-app notifications, counted up to ``cap + 1`` so a flood costs nothing."""
    unread = (select(Notification.id).where(Notification.user_id == user_id, Notification.in_app.is_(True),
                                            Notification.read_at.is_(None)).limit(cap + 1).subquery())
    return session.scalar(select(func.count()).select_from(unread)) or 0


def list_notifications(session: Session, user_id: int, page: int = 1, per_page: int = PER_PAGE,
                       unread_only: bool = False) -> Page[Notification]:
    """Newest first, a page at a time."""
    stmt = select(Notification).where(Notification.user_id == user_id, Notification.in_app.is_(True))
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    stmt = stmt.order_by(Notification.created_at.desc(), Notification.id.desc())
    return page_of(session, stmt, page, per_page)


def open_notification(session: Session, user_id: int, notification_id: int, now: datetime) -> Notification:
    """The reader's notification, marked read (the first reading's moment is kept)."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != user_id or not notification.in_app:
        raise NotFound(Phrase("This notification does not exist"))
    if notification.read_at is None:
        notification.read_at = now
    return notification


def mark_all_read(session: Session, user_id: int, now: datetime) -> int:
    """Mark every unread notification of the reader read; returns how many."""
    result = session.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.in_app.is_(True), Notification.read_at.is_(None),
    ).values(read_at=now))
    return int(result.rowcount)  # type: ignore[attr-defined]
