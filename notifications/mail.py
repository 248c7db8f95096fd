"""Email senders: SMTP from ``DEALFLOW_SMTP_URL``, or the outbox table when none is set.

``smtp://user:password@host:port`` speaks plain SMTP (add ``?starttls=1`` to upgrade
the connection), ``smtps://`` implicit TLS. A notification opens a connection of its own,
which keeps a worker stateless; a bulk send keeps one open for many messages
(``one_connection``), as the TCP, TLS and login handshakes cost more than a message does.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock

from .models import OutboxEmail
from .outgoing import EmailSender, OutgoingEmail, Undeliverable

log = logging.getLogger(__name__)
SMTP_TIMEOUT_SECONDS = 30
_PERMANENT_CODES = range(550, 555)  # mailbox unavailable or not allowed, message refused


def compose(email: OutgoingEmail, sender: str, now: datetime) -> EmailMessage:
    """A multipart/alternative message: the text part first, the HTML part preferred."""
    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = sender
    message["To"] = email.to
    message["Date"] = format_datetime(now)
    message["Message-ID"] = email.message_id
    message["Auto-Submitted"] = "auto-generated"  # no out-of-office replies to a robot
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    message["Content-Language"] = email.locale.replace("_", "-")  # set_content clears Content-*
    return message


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    starttls: bool

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        implicit_tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname or "localhost", port=parts.port or (465 if implicit_tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=implicit_tls, starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
        )


class SmtpSender:
    def __init__(self, url: str, sender: str, clock: Clock) -> None:
        self.server = SmtpServer.from_url(url)
        self.sender = sender
        self.clock = clock
        # smtplib looks up this machine's name for every connection otherwise (a DNS
        # round trip per message).
        self.local_hostname = socket.getfqdn()

    def send(self, email: OutgoingEmail) -> None:
        with self.open() as smtp:
            self.transmit(smtp, email)

    def transmit(self, smtp: smtplib.SMTP, email: OutgoingEmail) -> None:
        """Send over an open connection; a refusal for good is ``Undeliverable``."""
        try:
            smtp.send_message(compose(email, self.sender, self.clock.now()))
        except smtplib.SMTPRecipientsRefused as exc:
            raise Undeliverable(f"the mail server refused {email.to}: {_reply(exc.recipients)}") from exc
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code in _PERMANENT_CODES:
                raise Undeliverable(f"the mail server refused the message: {exc.smtp_code} "
                                    f"{exc.smtp_error!r}") from exc
            raise

    def open(self) -> smtplib.SMTP:
        """A connection, upgraded and logged in as the URL says."""
        server = self.server
        where = (server.host, server.port, self.local_hostname)
        smtp: smtplib.SMTP
        if server.implicit_tls:
            smtp = smtplib.SMTP_SSL(*where, timeout=SMTP_TIMEOUT_SECONDS, context=_tls())
        else:
            smtp = smtplib.SMTP(*where, timeout=SMTP_TIMEOUT_SECONDS)
            if server.starttls:
                smtp.starttls(context=_tls())
        if server.username:
            smtp.login(server.username, server.password or "")
        return smtp


class KeptConnection:
    """An ``EmailSender`` for many messages in a row over one SMTP connection.

    It opens at the first message, and is opened afresh after ``MESSAGES_PER_CONNECTION``
    messages (servers limit them) or once when the server has dropped it (an idle timeout,
    a 421), then that message is sent again on the new one."""

    MESSAGES_PER_CONNECTION = 100

    def __init__(self, sender: SmtpSender) -> None:
        self.sender = sender
        self.smtp: smtplib.SMTP | None = None
        self.sent = 0

    def send(self, email: OutgoingEmail) -> None:
        if self.sent >= self.MESSAGES_PER_CONNECTION:
            self.close()
        try:
            self.sender.transmit(self._connection(), email)
        except smtplib.SMTPServerDisconnected as exc:
            self._drop(exc)
            self.sender.transmit(self._connection(), email)
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code != 421:  # "service not available, closing channel"
                raise
            self._drop(exc)
            self.sender.transmit(self._connection(), email)
        self.sent += 1

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
        self.smtp, self.sent = None, 0

    def _connection(self) -> smtplib.SMTP:
        if self.smtp is None:
            self.smtp = self.sender.open()
        return self.smtp

    def _drop(self, reason: Exception) -> None:
        log.info("the mail server dropped the connection (%s); opening another", reason)
        if self.smtp is not None:
            self.smtp.close()
        self.smtp, self.sent = None, 0


@contextmanager
def one_connection(sender: EmailSender) -> Iterator[EmailSender]:
    """Within the block, an SMTP sender's messages share a connection; other senders (the
    outbox, a log) are used as they are."""
    if not isinstance(sender, SmtpSender):
        yield sender
        return
    kept = KeptConnection(sender)
    try:
        yield kept
    finally:
        kept.close()


class OutboxSender:
    """The embedded default: the email is kept for admins to read on the outbox page."""

    def __init__(self, session_factory: sessionmaker[Session], clock: Clock) -> None:
        self.session_factory = session_factory
        self.clock = clock

    def send(self, email: OutgoingEmail) -> None:
        with self.session_factory() as session:
            session.add(OutboxEmail(delivery_id=email.delivery_id, to_address=email.to,
                                    subject=email.subject, text=email.text, html=email.html,
                                    locale=email.locale, created_at=self.clock.now()))
            try:
                session.commit()
            except IntegrityError:  # kept by an earlier attempt that died before marking it sent
                session.rollback()


@cache
def _tls() -> ssl.SSLContext:
    """Verifying the server's certificate; built once, as loading the CA store takes ~30 ms."""
    return ssl.create_default_context()


def _reply(recipients: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{code} {reply.decode(errors='replace')}" for code, reply in recipients.values())
