"""notify() on SQLite and PostgreSQL: rows in the caller's transaction, delivery only after
it commits, one notification per key, channel choices, and the in-app reading side."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bootstrap import Container
from core.clock import ManualClock
from core.errors import InvalidInput, NotFound
from notifications import Notice, Recipient, notify, preferences_of, set_preferences
from notifications.inbox import list_notifications, mark_all_read, open_notification, unread_count
from notifications.models import Delivery, Notification, OutboxEmail
from workflows.org import service, units
from workflows.org.models import User


@pytest.fixture
def users(container: Container, clock: ManualClock) -> dict[str, int]:
    """A rep who reads English and a manager who reads Chinese."""
    with container.uow() as uow:
        team = units.insert_unit(uow.session, "Team 1", "team", None)
        people = {"rep": ("Wang Fang", "en"), "boss": ("刘洋", "zh_CN")}
        ids = {name: service.insert_user(
            uow.session, username=name, display_name=display, email=f"{name}@example.com", password_hash="x",
            org_unit_id=team.id, manager_id=None, roles=["sales_rep"], locale=locale,
            timezone="Asia/Shanghai", now=clock.now()).id for name, (display, locale) in people.items()}
        uow.commit()
    return ids


def recipient(session: Session, username: str, phone: str = "") -> Recipient:
    """What a use case would build from the user row."""
    user = session.scalars(select(User).where(User.username == username)).one()
    return Recipient(user.id, user.username, user.display_name, user.email, phone, user.locale, user.timezone)


def assigned(session: Session, username: str, key: str = "task:1:assigned", **changes: object) -> Notice:
    values: dict[str, object] = {
        "recipient": recipient(session, username), "kind": "task_assigned", "idempotency_key": key,
        "context": {"task": "Qualify", "record": "ACME", "assigned_by": "Liu Yang"}, "link": "/tasks/1"}
    return Notice(**{**values, **changes})  # type: ignore[arg-type]


def tell(container: Container, clock: ManualClock, username: str, **changes: object) -> Notification | None:
    with container.uow() as uow:
        notification = notify(uow.session, assigned(uow.session, username, **changes), clock.now())
        uow.commit()
    return notification


def rows(container: Container, model: type) -> list:
    with container.session_factory() as session:
        return list(session.scalars(select(model).order_by(model.id)))


def test_nothing_goes_out_before_the_commit_and_everything_after(container, clock, users):
    with container.uow() as uow:
        notify(uow.session, assigned(uow.session, "rep"), clock.now())
        assert uow.session.scalars(select(Delivery.status)).all() == ["queued"]
        assert uow.session.scalar(select(func.count()).select_from(OutboxEmail)) == 0
        uow.commit()
    [delivery] = rows(container, Delivery)
    [email] = rows(container, OutboxEmail)
    assert (delivery.channel, delivery.status, delivery.attempts, delivery.address) == \
        ("email", "sent", 1, "rep@example.com")
    assert email.to_address == "rep@example.com" and email.subject == "New task: Qualify (ACME)"
    assert "Liu Yang assigned you the task" in email.text and "http://127.0.0.1:5000/tasks/1" in email.html


def test_a_rolled_back_use_case_tells_no_one(container, clock, users):
    with container.uow() as uow:
        notify(uow.session, assigned(uow.session, "rep"), clock.now())
        uow.rollback()
        uow.commit()  # a later commit of the same unit sends nothing that was rolled back
    assert rows(container, Notification) == [] and rows(container, OutboxEmail) == []


def test_the_same_key_tells_the_same_person_once(container, clock, users):
    first = tell(container, clock, "rep")
    again = tell(container, clock, "rep", context={"task": "Changed"})
    assert first is not None and again is not None and again.id == first.id
    assert len(rows(container, Notification)) == 1 and len(rows(container, OutboxEmail)) == 1
    tell(container, clock, "boss")  # the same event may reach someone else, e.g. the manager
    assert len(rows(container, Notification)) == 2


def test_each_reader_gets_their_own_language(container, clock, users):
    tell(container, clock, "rep")
    tell(container, clock, "boss")
    by_user = {n.username: n for n in rows(container, Notification)}
    assert by_user["rep"].subject == "New task: Qualify (ACME)"
    assert by_user["boss"].subject == "新任务：Qualify（ACME）" and by_user["boss"].locale == "zh_CN"
    [_, chinese] = rows(container, OutboxEmail)
    assert chinese.text.startswith("刘洋，您好：") and 'lang="zh-CN"' in chinese.html


def test_channels_follow_the_readers_choices(container, clock, users):
    with container.uow() as uow:
        set_preferences(uow.session, users["rep"], {"task_assigned": ["sms"], "reminder": []})
        uow.commit()
    with container.uow() as uow:
        sms_only = notify(uow.session, Notice(recipient(uow.session, "rep", phone="+8613800000000"),
                                              "task_assigned", "k1", {"task": "Call"}), clock.now())
        nothing = notify(uow.session, Notice(recipient(uow.session, "rep"), "reminder", "k2",
                                             {"task": "Call"}), clock.now())
        no_phone = notify(uow.session, Notice(recipient(uow.session, "rep"), "task_assigned", "k3",
                                              {"task": "Call"}), clock.now())
        uow.commit()
    assert sms_only is not None and not sms_only.in_app and nothing is None and no_phone is None
    [delivery] = rows(container, Delivery)
    assert (delivery.channel, delivery.address, delivery.status) == ("sms", "+8613800000000", "sent")
    with container.session_factory() as session:
        assert unread_count(session, users["rep"]) == 0  # not wanted in the app either
        assert preferences_of(session, users["rep"])["approval_decided"] == {"in_app", "email"}


def test_unknown_kinds_and_channels_are_refused_whole(container, users):
    with container.uow() as uow:
        with pytest.raises(InvalidInput) as refused:
            set_preferences(uow.session, users["rep"], {"reminder": ["pigeon"], "gossip": ["email"]})
    assert set(refused.value.fields) == {"reminder", "gossip"}
    with container.session_factory() as session:
        assert preferences_of(session, users["rep"])["reminder"] == {"in_app", "email"}


@pytest.mark.parametrize("changes", [{"kind": "gossip"}, {"idempotency_key": ""},
                                     {"link": "https://evil.example.com"}, {"link": "//evil.example.com"}])
def test_programming_errors_are_caught_at_the_call(container, clock, users, changes):
    with container.uow() as uow, pytest.raises(ValueError):
        notify(uow.session, assigned(uow.session, "rep", **changes), clock.now())


def test_the_bell_the_page_and_marking_read(container, clock, users):
    for number in range(25):
        clock.advance(minutes=1)
        tell(container, clock, "rep", key=f"task:{number}", context={"task": f"Task {number}"})
    with container.session_factory() as session:
        assert unread_count(session, users["rep"]) == 25 and unread_count(session, users["rep"], cap=9) == 10
        first = list_notifications(session, users["rep"])
        second = list_notifications(session, users["rep"], page=2)
    assert first.items[0].subject == "New task: Task 24" and first.has_next and not first.has_previous
    assert len(second.items) == 5 and not second.has_next
    with container.uow() as uow:
        opened = open_notification(uow.session, users["rep"], first.items[0].id, clock.now())
        assert opened.link == "/tasks/1"
        uow.commit()
    with container.uow() as uow:
        assert mark_all_read(uow.session, users["rep"], clock.now()) == 24
        uow.commit()
    with container.session_factory() as session:
        assert unread_count(session, users["rep"]) == 0
        assert list_notifications(session, users["rep"], unread_only=True).items == []


def test_no_one_opens_someone_elses_notification(container, clock, users):
    theirs = tell(container, clock, "boss")
    assert theirs is not None
    with container.uow() as uow, pytest.raises(NotFound):
        open_notification(uow.session, users["rep"], theirs.id, clock.now())
    with container.uow() as uow:
        assert mark_all_read(uow.session, users["rep"], clock.now()) == 0
        uow.commit()
    with container.session_factory() as session:
        assert unread_count(session, users["boss"]) == 1
