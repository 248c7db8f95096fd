"""The one way to tell a person something: :func:`notify`.

It writes in the caller's transaction and never commits: the in-app notification and one
queued delivery per further channel the recipient wants. Nothing leaves the building
until that transaction commits (see ``dispatch.py``), so a use case that rolls back
tells no one, and one that commits cannot lose its messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .dispatch import remember
from .models import Delivery, Notification
from .preferences import channels_for, check_kind
from .rendering import DEFAULT_LOCALE, DEFAULT_TIME_ZONE, render_message, supported_locale

KEY_MAX = 200


@dataclass(frozen=True)
class Recipient:
    """Who is told, with what each channel needs; an empty email or phone skips that channel."""

    user_id: int
    username: str
    name: str = ""  # how the email greets them; the username when empty
    email: str = ""
    phone: str = ""
    locale: str = DEFAULT_LOCALE
    time_zone: str = DEFAULT_TIME_ZONE


@dataclass(frozen=True)
class Notice:
    """What to tell whom.

    ``kind`` is what the recipient's channel choices are per (see ``preferences.KINDS``);
    ``template`` names the message under ``templates/messages/<locale>/`` (the kind's own
    name when empty) and ``context`` is all it may use. ``link`` is a path within the site
    (``/tasks/42``). ``idempotency_key`` names the event, e.g. ``approval:7:remind:1``:
    notifying the same recipient twice with one key tells them once, so a timer that fires
    again, or a retried use case, sends nothing new.
    """

    recipient: Recipient
    kind: str
    idempotency_key: str
    context: Mapping[str, Any] = field(default_factory=dict)
    template: str = ""
    link: str | None = None


def notify(session: Session, notice: Notice, now: datetime) -> Notification | None:
    """Record ``notice`` for delivery once the caller's transaction commits.

    Returns the notification (the earlier one when the key was used before for this
    recipient), or None when the recipient wants this kind on no channel they can get.
    Raises ``ValueError`` for a programming error: unknown kind, bad link, missing key.
    """
    _check(notice)
    recipient = notice.recipient
    existing = _existing(session, recipient.user_id, notice.idempotency_key)
    if existing is not None:
        return existing
    channels = _reachable(channels_for(session, recipient.user_id, notice.kind), recipient)
    if not channels:
        return None
    locale = supported_locale(recipient.locale)
    message = render_message(notice.template or notice.kind, locale, recipient.time_zone, notice.context)
    notification = Notification(
        user_id=recipient.user_id, username=recipient.username, recipient_name=recipient.name or
        recipient.username, kind=notice.kind, template=notice.template or notice.kind, locale=locale,
        subject=message.subject[:300], body=message.body, action=message.action[:120], link=notice.link,
        idempotency_key=notice.idempotency_key, in_app="in_app" in channels, created_at=now,
    )
    deliveries = [Delivery(channel=channel, address=_address(recipient, channel), status="queued",
                           attempts=0, queued_at=now, next_attempt_at=now)
                  for channel in ("email", "sms") if channel in channels]
    return _insert(session, notification, deliveries)


def _check(notice: Notice) -> None:
    check_kind(notice.kind)
    if not notice.idempotency_key or len(notice.idempotency_key) > KEY_MAX:
        raise ValueError(f"a notice needs an idempotency key of 1 to {KEY_MAX} characters")
    link = notice.link
    if link is not None and (not link.startswith("/") or link.startswith("//")):
        raise ValueError(f"a notice's link is a path within the site, not {link!r}")


def _reachable(wanted: frozenset[str], recipient: Recipient) -> frozenset[str]:
    return frozenset(channel for channel in wanted
                     if channel == "in_app" or _address(recipient, channel))


def _address(recipient: Recipient, channel: str) -> str:
    return (recipient.email if channel == "email" else recipient.phone).strip()


def _existing(session: Session, user_id: int, key: str) -> Notification | None:
    return session.scalars(select(Notification).where(
        Notification.user_id == user_id, Notification.idempotency_key == key)).first()


def _insert(session: Session, notification: Notification, deliveries: list[Delivery]) -> Notification:
    """Insert under a savepoint: when a concurrent transaction used the same key first, its
    row wins and this caller's transaction goes on unharmed."""
    try:
        with session.begin_nested():
            session.add(notification)
            session.flush()
            for delivery in deliveries:
                delivery.notification_id = notification.id
            session.add_all(deliveries)
            session.flush()
    except IntegrityError:
        existing = _existing(session, notification.user_id, notification.idempotency_key)
        if existing is None:
            raise
        return existing
    remember(session, [delivery.id for delivery in deliveries])
    return notification
