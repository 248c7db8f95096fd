"""Delivering one queued row: claim it, send it, record how it went.

The claim is a conditional UPDATE (``queued`` → ``sending``) committed before anything
is sent, so of two jobs for the same row (a duplicate publish, a redelivered message,
the sweep racing a retry) exactly one sends; the other finds it taken or ``sent`` and
does nothing. The claim also sets a lease: a row whose sender died stays ``sending``
until the lease ends, then the sweep queues it again. Only a sender dying after the
server accepted the message but before ``sent`` was written can cause a second copy;
every copy carries the same Message-ID so mail clients can fold them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock

from .models import Delivery, Notification
from .outgoing import EmailSender, OutgoingEmail, OutgoingSms, SmsSender, Undeliverable
from .rendering import Letter, Message, render_email

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=10)  # longer than a Celery task may run (core.celery_app)
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
PREFERENCES_PATH = "/account/notifications"
ERROR_MAX = 2000


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: 30 s, 1 min, 2 min, ... up to 1 h."""
    wait: timedelta = FIRST_BACKOFF * 2 ** max(attempts - 1, 0)
    return min(wait, MAX_BACKOFF)


@dataclass(frozen=True)
class Outcome:
    """What one delivery job did: ``sent``, ``skipped`` (someone else has it or had it),
    ``retry`` (after ``retry_in`` seconds) or ``failed`` (for good, see the log)."""

    status: str
    retry_in: float | None = None


@dataclass(frozen=True)
class Senders:
    email: EmailSender
    sms: SmsSender


class Postman:
    """Delivers queued rows through the configured senders; shared by Celery and in-process."""

    def __init__(self, session_factory: sessionmaker[Session], clock: Clock, senders: Senders,
                 base_url: str) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self.senders = senders
        self.base_url = base_url.rstrip("/")
        self.mail_domain = urlsplit(base_url).hostname or "localhost"

    def deliver(self, delivery_id: int) -> Outcome:
        claimed = self._claim(delivery_id)
        if claimed is None:
            return Outcome("skipped")
        delivery, notification = claimed
        try:
            self._send(delivery, notification)
        except Undeliverable as exc:
            return self._failed(delivery, str(exc), final=True)
        except Exception as exc:  # any other failure of a sender passes: try again later
            log.warning("delivery %s failed (attempt %s): %s", delivery.id, delivery.attempts, exc)
            return self._failed(delivery, f"{type(exc).__name__}: {exc}",
                                final=delivery.attempts >= MAX_ATTEMPTS)
        self._finish(delivery.id, status="sent", sent_at=self.clock.now(), last_error=None)
        return Outcome("sent")

    def _claim(self, delivery_id: int) -> tuple[Delivery, Notification] | None:
        now = self.clock.now()
        with self.session_factory() as session:
            taken = session.execute(
                update(Delivery).where(Delivery.id == delivery_id, Delivery.status == "queued")
                .values(status="sending", attempts=Delivery.attempts + 1, next_attempt_at=now + LEASE))
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                session.rollback()
                return None
            delivery = session.scalars(select(Delivery).where(Delivery.id == delivery_id)).one()
            session.commit()
            return delivery, delivery.notification

    def _send(self, delivery: Delivery, notification: Notification) -> None:
        url = self.base_url + notification.link if notification.link else None
        if delivery.channel == "sms":
            text = f"[Dealflow] {notification.subject}" + (f" {url}" if url else "")
            self.senders.sms.send(OutgoingSms(delivery.id, delivery.address, text, self._reference(delivery)))
            return
        message = Message(notification.subject, notification.body, notification.action)
        content = render_email(Letter(notification.locale, notification.recipient_name, message, url,
                                      self.base_url + PREFERENCES_PATH))
        self.senders.email.send(OutgoingEmail(
            delivery.id, delivery.address, content.subject, content.text, content.html,
            notification.locale, f"<{self._reference(delivery)}@{self.mail_domain}>"))

    def _failed(self, delivery: Delivery, reason: str, final: bool) -> Outcome:
        now = self.clock.now()
        wait = backoff(delivery.attempts)
        self._finish(delivery.id, status="failed" if final else "queued", last_error=reason[:ERROR_MAX],
                     next_attempt_at=now if final else now + wait)
        return Outcome("failed") if final else Outcome("retry", wait.total_seconds())

    def _finish(self, delivery_id: int, **values: object) -> None:
        with self.session_factory() as session:
            session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.status == "sending")
                            .values(**values))
            session.commit()

    @staticmethod
    def _reference(delivery: Delivery) -> str:
        return f"dealflow-delivery-{delivery.id}"
