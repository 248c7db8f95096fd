"""Running a send in the background: one recipient after another, through the same email and
SMS senders notifications use, each outcome recorded and each message logged as an activity.

Order of work for each batch of recipients:

1. claim them (outcome ``sending``) and load their records, and commit;
2. write and send each one, with no transaction open while the network is busy;
3. record the outcomes and the activities, and commit (also every half minute within a
   batch, which is the run's heartbeat).

Only one run works on a send at a time: a run takes the send with a conditional UPDATE,
and a second job for it finds it taken and leaves. A run that died leaves its claimed rows
``sending``; whoever takes the send over (after the dead run's heartbeat is ten minutes old,
or when a person starts a stopped send again) marks them failed rather than sending them
again, so a job run twice never sends twice to the same recipient.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock
from core.phrases import Phrase
from core.settings import Settings
from notifications import Senders
from notifications.mail import one_connection
from notifications.outgoing import EmailSender, OutgoingEmail, OutgoingSms, SmsSender, Undeliverable
from workflows.activities.models import Activity
from workflows.org.models import User

from .compose import Addressee, addressees, context_for, email_parts, sender_fields, written
from .models import MessageSend, SendRecipient
from .opt_out import unsubscribe_url
from .placeholders import Unwritable
from .sends import draft_of

log = logging.getLogger(__name__)
SEND_TASK = "dealflow.run_message_send"
BATCH = 100
LEASE = timedelta(minutes=10)  # a running send whose heartbeat is this old has lost its run
HEARTBEAT_SECONDS = 30.0
ERROR_MAX = 2000
INTERRUPTED = Phrase("interrupted while sending: not sent again, so that nobody gets it twice")
GONE = Phrase("the record no longer exists")


class LoggedEmail:
    """Without a mail server (the embedded default) bulk email goes to the log, as text messages
    do without an SMS gateway; the outbox page keeps the notifications' email only."""

    def send(self, email: OutgoingEmail) -> None:
        log.info("email to %s (not sent: no DEALFLOW_SMTP_URL): %s", email.to, email.subject)


@dataclass(frozen=True)
class Outlets:
    """Where messages go, and what links in them need."""

    email: EmailSender
    sms: SmsSender
    base_url: str
    secret: str


def outlets(settings: Settings, senders: Senders) -> Outlets:
    """The configured senders; without an SMTP URL, email is logged (the outbox is for notifications)."""
    email = senders.email if settings.smtp_url else LoggedEmail()
    return Outlets(email, senders.sms, settings.base_url, settings.secret_key)


@dataclass(frozen=True)
class _Result:
    row: SendRecipient
    outcome: str
    address: str
    reason: str = ""
    activity: str | None = None  # what the activity says, for a message that went out


def run_send(session_factory: sessionmaker[Session], send_id: int, clock: Clock, to: Outlets) -> str:
    """Run a queued send to its end; returns its final status (or what stopped it)."""
    try:
        return _run(session_factory, send_id, clock, to)
    except Exception as exc:  # the send must say it stopped rather than show "running" forever
        log.exception("message send %s failed", send_id)
        with session_factory() as session:
            session.execute(update(MessageSend)
                            .where(MessageSend.id == send_id, MessageSend.status == "running")
                            .values(status="failed", error=str(exc)[:ERROR_MAX], updated_at=clock.now()))
            session.commit()
        return "failed"


def _run(session_factory: sessionmaker[Session], send_id: int, clock: Clock, to: Outlets) -> str:
    with session_factory() as session:
        if not _take(session, send_id, clock.now()):
            return session.scalar(select(MessageSend.status).where(MessageSend.id == send_id)) or "missing"
        send = session.get_one(MessageSend, send_id)
        send.started_at = send.started_at or clock.now()
        _give_up_interrupted(session, send, clock.now())
        session.commit()
        with one_connection(to.email) as email:  # one SMTP connection for the whole run
            courier = _Courier(session, send, clock, replace(to, email=email))
            while rows := _claim(session, send_id):
                courier.deliver(rows)
        send.status, send.finished_at, send.updated_at = "done", clock.now(), clock.now()
        session.commit()
        return send.status


def _take(session: Session, send_id: int, now: datetime) -> bool:
    """Whether this run may work on the send: it is queued, or its last run stopped beating."""
    taken = session.execute(update(MessageSend).where(
        MessageSend.id == send_id,
        or_(MessageSend.status == "queued",
            and_(MessageSend.status == "running", MessageSend.updated_at < now - LEASE)))
        .values(status="running", updated_at=now))
    session.commit()
    return bool(taken.rowcount == 1)  # type: ignore[attr-defined]


def _give_up_interrupted(session: Session, send: MessageSend, now: datetime) -> None:
    """Rows a dead run claimed may or may not have gone out: say so, and never send them again."""
    count = session.execute(update(SendRecipient).where(
        SendRecipient.send_id == send.id, SendRecipient.outcome == "sending")
        .values(outcome="failed", reason=str(INTERRUPTED), finished_at=now)).rowcount  # type: ignore[attr-defined]
    send.done, send.failed = send.done + count, send.failed + count


def _claim(session: Session, send_id: int) -> list[SendRecipient]:
    """The next batch, marked ``sending`` and committed before any of it is sent."""
    ids = list(session.scalars(select(SendRecipient.id).where(
        SendRecipient.send_id == send_id, SendRecipient.outcome.is_(None))
        .order_by(SendRecipient.number).limit(BATCH)))
    if not ids:
        return []
    session.execute(update(SendRecipient).where(SendRecipient.id.in_(ids), SendRecipient.outcome.is_(None))
                    .values(outcome="sending"))
    rows = list(session.scalars(select(SendRecipient).where(SendRecipient.id.in_(ids),
                                                             SendRecipient.outcome == "sending")
                                .order_by(SendRecipient.number).execution_options(populate_existing=True)))
    session.commit()
    return rows


class _Courier:
    """Writes and sends one send's messages and records how each went."""

    def __init__(self, session: Session, send: MessageSend, clock: Clock, to: Outlets) -> None:
        self.session, self.send, self.clock, self.to = session, send, clock, to
        self.draft = draft_of(send)
        user = session.scalars(select(User).where(User.username == send.created_by)).first()
        self.sender = sender_fields(user, send.created_by)
        self.locale = user.locale if user is not None else "zh_CN"
        self.domain = urlsplit(to.base_url).hostname or "localhost"

    def deliver(self, rows: list[SendRecipient]) -> None:
        found = addressees(self.session, rows[0].subject_type, (row.subject_id for row in rows))
        self.session.commit()  # nothing stays open while messages go out
        results: list[_Result] = []
        beat = time.monotonic()
        for result in self._each(rows, found):
            results.append(result)
            if time.monotonic() - beat > HEARTBEAT_SECONDS:
                self._record(results)
                results, beat = [], time.monotonic()
        self._record(results)

    def _each(self, rows: list[SendRecipient], found: dict[int, Addressee]) -> Iterator[_Result]:
        for row in rows:
            addressee = found.get(row.subject_id)
            yield _Result(row, "failed", "", str(GONE)) if addressee is None else self._one(row, addressee)

    def _one(self, row: SendRecipient, addressee: Addressee) -> _Result:
        channel = self.draft.channel
        address = addressee.address(channel)
        if skip := addressee.skip(channel):
            return _Result(row, skip, address)
        try:
            message = written(self.draft, context_for(addressee, self.sender))
            self._send(row, address, message.subject, message.body)
        except Unwritable as exc:
            return _Result(row, "failed", address, str(exc.args[0]))
        except Undeliverable as exc:
            return _Result(row, "failed", address, str(exc))
        except Exception as exc:  # a mail server gone away fails this one; the next may get through
            log.warning("send %s to %s failed: %s", self.send.id, address, exc)
            return _Result(row, "failed", address, f"{type(exc).__name__}: {exc}")
        said = f"{message.subject}\n\n{message.body}" if channel == "email" else message.body
        return _Result(row, "sent", address, activity=said)

    def _send(self, row: SendRecipient, address: str, subject: str, body: str) -> None:
        reference = f"dealflow-send-{self.send.id}-{row.id}"  # the same on every attempt
        if self.draft.channel == "sms":
            self.to.sms.send(OutgoingSms(row.id, address, body, reference))
            return
        link = unsubscribe_url(self.to.base_url, self.to.secret, row.subject_type, row.subject_id) \
            if self.send.bulk else None
        text, html = email_parts(body, link)
        self.to.email.send(OutgoingEmail(row.id, address, subject, text, html, self.locale,
                                         f"<{reference}@{self.domain}>"))

    def _record(self, results: list[_Result]) -> None:
        now = self.clock.now()
        send = self.send
        for result in results:
            row = result.row
            row.outcome, row.address, row.reason, row.finished_at = \
                result.outcome, result.address[:200], result.reason[:ERROR_MAX], now
            setattr(send, result.outcome, getattr(send, result.outcome) + 1)
            if result.activity is not None:
                self.session.add(Activity(kind=self.draft.channel, subject_type=row.subject_type,
                                          subject_id=row.subject_id, owner=send.created_by, happened_at=now,
                                          outcome=result.activity, next_step="", created_at=now))
        send.done += len(results)
        send.updated_at = now
        self.session.commit()

