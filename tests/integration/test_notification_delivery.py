"""Delivering on SQLite and PostgreSQL: the after-commit hand-over, a job run twice sending
once, retries with back-off, giving up, the sweep, and the outbox kept once per delivery."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bootstrap import Container
from core.clock import ManualClock
from core.db import make_session_factory
from notifications import Notice, Postman, Senders, install, notify, requeue_stale, set_preferences
from notifications.delivery import LEASE, MAX_ATTEMPTS
from notifications.log import delivery_log, retry_delivery
from notifications.mail import OutboxSender
from notifications.models import Delivery, OutboxEmail
from notifications.outgoing import OutgoingEmail, OutgoingSms, Undeliverable
from notifications.sms import LogSmsGateway
from tests.integration.test_notifications import recipient, users  # noqa: F401  (a fixture)

pytestmark = pytest.mark.usefixtures("users")


class Recorder:
    """A dispatcher that only remembers what it was handed."""

    def __init__(self) -> None:
        self.handed: list[int] = []

    def dispatch(self, delivery_ids: Sequence[int]) -> None:
        self.handed += delivery_ids


class Mailbox:
    """An email sender that fails as told, then keeps what it is sent."""

    def __init__(self, failures: Sequence[Exception] = ()) -> None:
        self.failures = list(failures)
        self.sent: list[OutgoingEmail] = []

    def send(self, email: OutgoingEmail) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(email)


@pytest.fixture
def quiet(container: Container) -> sessionmaker[Session]:
    """Sessions whose commits hand nothing over, so each test delivers by hand."""
    return make_session_factory(container.db)


def queue_one(factory: sessionmaker[Session], clock: ManualClock, key: str = "k", phone: str = "") -> list[int]:
    with factory() as session:
        notification = notify(session, Notice(recipient(session, "rep", phone), "reminder", key,
                                              {"task": "Call ACME", "overdue": True}, link="/tasks/3"), clock.now())
        session.commit()
        assert notification is not None
        return list(session.scalars(select(Delivery.id).where(Delivery.notification_id == notification.id)))


def postman(factory: sessionmaker[Session], clock: ManualClock, mailbox: Mailbox) -> Postman:
    return Postman(factory, clock, Senders(mailbox, LogSmsGateway()), "https://crm.example.com")


def delivery(factory: sessionmaker[Session], delivery_id: int) -> Delivery:
    with factory() as session:
        return session.scalars(select(Delivery).where(Delivery.id == delivery_id)).one()


def test_committed_deliveries_are_handed_over_and_rolled_back_ones_are_not(quiet, clock):
    recorder = Recorder()
    install(quiet, recorder)
    with quiet() as session:
        notify(session, Notice(recipient(session, "rep"), "reminder", "gone", {"task": "x"}), clock.now())
        session.rollback()
    assert recorder.handed == []
    ids = queue_one(quiet, clock)
    assert recorder.handed == ids and len(ids) == 1


def test_savepoints_neither_hand_over_early_nor_forget(quiet, clock):
    """Regression: SQLAlchemy fires after_commit on each SAVEPOINT release (notify takes one
    per notification), which handed the first delivery over before the commit."""
    recorder = Recorder()
    install(quiet, recorder)
    with quiet() as session:
        first = notify(session, Notice(recipient(session, "rep"), "reminder", "a", {"task": "x"}), clock.now())
        second = notify(session, Notice(recipient(session, "boss"), "reminder", "b", {"task": "y"}), clock.now())
        try:
            with session.begin_nested():  # the caller's own savepoint, rolled back
                notify(session, Notice(recipient(session, "rep"), "reminder", "c", {"task": "z"}), clock.now())
                raise RuntimeError("changed my mind")
        except RuntimeError:
            pass
        assert recorder.handed == []
        session.commit()
    assert first is not None and second is not None
    with quiet() as session:
        ids = set(session.scalars(select(Delivery.id).where(
            Delivery.notification_id.in_([first.id, second.id]))))
    assert len(ids) == 2 and ids <= set(recorder.handed)


def test_a_job_delivered_twice_sends_once(quiet, clock):
    [delivery_id] = queue_one(quiet, clock)
    mailbox = Mailbox()
    outcomes = [postman(quiet, clock, mailbox).deliver(delivery_id).status for _ in range(2)]
    assert outcomes == ["sent", "skipped"] and len(mailbox.sent) == 1
    sent = mailbox.sent[0]
    assert sent.subject == "Overdue: Call ACME" and sent.message_id == \
        f"<dealflow-delivery-{delivery_id}@crm.example.com>"
    assert "https://crm.example.com/tasks/3" in sent.text and "https://crm.example.com/account/notifications" \
        in sent.text
    row = delivery(quiet, delivery_id)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, clock.now())


def test_a_job_finding_the_row_being_sent_leaves_it_alone(quiet, clock):
    [delivery_id] = queue_one(quiet, clock)
    with quiet() as session:  # another worker claimed it a moment ago
        session.execute(update(Delivery).values(status="sending", next_attempt_at=clock.now() + LEASE))
        session.commit()
    mailbox = Mailbox()
    assert postman(quiet, clock, mailbox).deliver(delivery_id).status == "skipped" and mailbox.sent == []


def test_passing_failures_are_retried_with_growing_back_off_then_given_up(quiet, clock):
    [delivery_id] = queue_one(quiet, clock)
    mailbox = Mailbox([ConnectionRefusedError("mail server down")] * MAX_ATTEMPTS)
    waits = []
    for _ in range(MAX_ATTEMPTS):
        outcome = postman(quiet, clock, mailbox).deliver(delivery_id)
        waits.append(outcome.retry_in)
    assert waits == [30.0, 60.0, 120.0, 240.0, None] and outcome.status == "failed"
    row = delivery(quiet, delivery_id)
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS) and "mail server down" in row.last_error
    with quiet() as session:
        assert [d.id for d in delivery_log(session, status="failed").items] == [delivery_id]


def test_a_refusal_fails_at_once_and_an_admin_can_send_it_again(quiet, clock):
    [delivery_id] = queue_one(quiet, clock)
    outcome = postman(quiet, clock, Mailbox([Undeliverable("550 no such mailbox")])).deliver(delivery_id)
    assert outcome.status == "failed" and delivery(quiet, delivery_id).last_error == "550 no such mailbox"
    recorder = Recorder()
    install(quiet, recorder)
    with quiet() as session:
        assert retry_delivery(session, delivery_id, clock.now()) is True
        session.commit()
    assert recorder.handed == [delivery_id]
    assert postman(quiet, clock, Mailbox()).deliver(delivery_id).status == "sent"
    with quiet() as session:
        assert retry_delivery(session, delivery_id, clock.now()) is False  # only failed ones


def test_the_sweep_hands_over_what_was_left_queued_for_a_minute(quiet, clock):
    [lost] = queue_one(quiet, clock, key="lost")  # its process died before handing it over
    clock.advance(seconds=30)
    [fresh] = queue_one(quiet, clock, key="fresh")
    recorder = Recorder()
    clock.advance(seconds=45)
    assert requeue_stale(quiet, recorder, clock.now()) == 1 and recorder.handed == [lost]
    clock.advance(seconds=30)  # each row at most once a minute, however often the sweep runs
    assert requeue_stale(quiet, recorder, clock.now()) == 1 and recorder.handed == [lost, fresh]


def test_a_row_whose_sender_died_goes_back_to_the_queue_when_its_lease_ends(quiet, clock):
    [delivery_id] = queue_one(quiet, clock)
    died = postman(quiet, clock, Mailbox())
    died._claim(delivery_id)  # the worker claimed it, then was killed
    recorder = Recorder()
    clock.advance(LEASE - timedelta(seconds=1))
    assert requeue_stale(quiet, recorder, clock.now()) == 0
    clock.advance(timedelta(minutes=1, seconds=1))
    assert requeue_stale(quiet, recorder, clock.now()) == 1
    mailbox = Mailbox()
    assert postman(quiet, clock, mailbox).deliver(delivery_id).status == "sent" and len(mailbox.sent) == 1
    assert delivery(quiet, delivery_id).attempts == 2


def test_the_outbox_keeps_an_email_once_even_when_its_delivery_is_retried(quiet, clock):
    [delivery_id] = queue_one(quiet, clock)
    outbox = OutboxSender(quiet, clock)
    email = OutgoingEmail(delivery_id, "rep@example.com", "s", "t", "<p>h</p>", "en", "<m@x>")
    outbox.send(email)
    outbox.send(email)  # the first attempt died after keeping it, before marking it sent
    with quiet() as session:
        assert len(session.scalars(select(OutboxEmail)).all()) == 1


def test_sms_go_to_the_gateway_with_a_stable_reference(quiet, clock):
    with quiet() as session:
        set_preferences(session, recipient(session, "rep").user_id, {"reminder": ["sms"]})
        session.commit()
    [delivery_id] = queue_one(quiet, clock, phone="+8613800000000")
    texts: list[OutgoingSms] = []

    class Gateway:
        def send(self, sms: OutgoingSms) -> None:
            texts.append(sms)

    Postman(quiet, clock, Senders(Mailbox(), Gateway()), "https://crm.example.com").deliver(delivery_id)
    assert texts == [OutgoingSms(delivery_id, "+8613800000000",
                                 "[Dealflow] Overdue: Call ACME https://crm.example.com/tasks/3",
                                 f"dealflow-delivery-{delivery_id}")]
