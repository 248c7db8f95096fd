"""Wiring notifications from settings: senders, the dispatcher, the after-commit hook.

The composition root calls :func:`connect` once per session factory. With a broker the
deliveries go to Celery; without one they are delivered in this process. Without an
SMTP server email lands in the outbox, and without an SMS gateway texts go to the log.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from core.celery_app import make_celery
from core.clock import Clock
from core.settings import Settings

from .delivery import Outcome, Postman, Senders
from .dispatch import CeleryDispatcher, Dispatcher, InlineDispatcher, install
from .mail import OutboxSender, SmtpSender
from .outgoing import EmailSender, SmsSender
from .sms import HttpSmsGateway, LogSmsGateway
from .sweep import requeue_stale


@dataclass(frozen=True)
class Notifications:
    """What the worker, the scheduler and the tests call: deliver one row, or sweep."""

    postman: Postman
    dispatcher: Dispatcher

    def deliver(self, delivery_id: int) -> Outcome:
        return self.postman.deliver(delivery_id)

    def sweep(self) -> int:
        """Hand over again what was left queued; the periodic job of beat and the scheduler."""
        return requeue_stale(self.postman.session_factory, self.dispatcher, self.postman.clock.now())


def connect(settings: Settings, session_factory: sessionmaker[Session], clock: Clock) -> Notifications:
    email: EmailSender = (SmtpSender(settings.smtp_url, settings.mail_from, clock) if settings.smtp_url
                          else OutboxSender(session_factory, clock))
    sms: SmsSender = HttpSmsGateway(settings.sms_url) if settings.sms_url else LogSmsGateway()
    postman = Postman(session_factory, clock, Senders(email, sms), settings.base_url)
    dispatcher: Dispatcher = (CeleryDispatcher(make_celery(settings)) if settings.broker_url
                              else InlineDispatcher(postman.deliver))
    install(session_factory, dispatcher)
    return Notifications(postman, dispatcher)
