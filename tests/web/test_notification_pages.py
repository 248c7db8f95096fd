"""The bell, the notifications page, notification settings, and the admins' delivery log
and outbox; no one sees another person's notifications."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

import bootstrap
from notifications import Notice, notify, preferences_of
from notifications.models import Delivery, Notification, OutboxEmail
from tests.integration.test_notifications import recipient
from tests.web.conftest import csrf_token
from workflows.org.models import User


def tell(container: bootstrap.Container, username: str, count: int = 1, kind: str = "task_assigned") -> list[int]:
    ids = []
    for number in range(count):
        with container.uow() as uow:
            container.engine.clock.advance(seconds=1)  # type: ignore[attr-defined]
            notification = notify(uow.session, Notice(
                recipient(uow.session, username), kind, f"{username}:{kind}:{number}",
                {"task": f"Call customer {number}", "record": "ACME"}, link="/tasks"), container.engine.clock.now())
            uow.commit()
        assert notification is not None
        ids.append(notification.id)
    return ids


def bell(page: str) -> str | None:
    found = re.search(r'class="unread-count"[^>]*>([^<]+)<', page)
    return found.group(1) if found else None


def user_id(container: bootstrap.Container, username: str) -> int:
    with container.session_factory() as session:
        return session.scalars(select(User.id).where(User.username == username)).one()


def test_the_bell_counts_unread_notifications_on_every_page(client: FlaskClient, container):
    page = client.get("/tasks").text
    assert 'href="/notifications"' in page and bell(page) is None
    tell(container, "wang.fang", 3)
    assert bell(client.get("/accounts").text) == "3"
    tell(container, "wang.fang", 100)
    assert bell(client.get("/tasks").text) == "99+"


def test_the_page_lists_newest_first_a_page_at_a_time(client: FlaskClient, container):
    tell(container, "wang.fang", 23)
    page = client.get("/notifications").text
    assert page.index("Call customer 22") < page.index("Call customer 21") and "Call customer 2<" not in page
    assert 'rel="next"' in page and 'rel="prev"' not in page
    second = client.get("/notifications?page=2").text
    assert "Call customer 2 (ACME)" in second and 'rel="prev"' in second and 'rel="next"' not in second
    assert client.get("/notifications?page=abc").status_code == 200  # not a number: the first page
    assert client.get(f"/notifications?page={10**19}").status_code == 200  # past any list: was an overflow (500)


def test_opening_one_follows_its_link_and_marks_it_read(client: FlaskClient, container):
    [first, second] = tell(container, "wang.fang", 2)
    response = client.get(f"/notifications/{first}")
    assert response.status_code == 302 and response.headers["Location"] == "/tasks"
    page = client.get("/notifications?unread=1").text
    assert "Call customer 0" not in page and "Call customer 1" in page and bell(page) == "1"
    client.post(f"/notifications/{second}/read", data={"csrf_token": csrf_token(page)})
    assert bell(client.get("/notifications").text) is None


def test_mark_all_read(client: FlaskClient, container):
    tell(container, "wang.fang", 3)
    page = client.get("/notifications").text
    after = client.post("/notifications/read-all", data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert "3 notifications marked read." in after.text and bell(after.text) is None


def test_forms_without_the_csrf_token_change_nothing(client: FlaskClient, container):
    [one] = tell(container, "wang.fang")
    assert client.post("/notifications/read-all").status_code == 400
    assert client.post(f"/notifications/{one}/read").status_code == 400
    assert bell(client.get("/tasks").text) == "1"


def test_no_one_sees_or_touches_another_persons_notifications(login, client: FlaskClient, container):
    [theirs] = tell(container, "zhang.wei")
    page = client.get("/notifications").text
    assert "Call customer 0" not in page and bell(page) is None
    assert client.get(f"/notifications/{theirs}").status_code == 404
    assert client.post(f"/notifications/{theirs}/read", data={"csrf_token": csrf_token(page)}).status_code == 404
    assert client.get("/notifications/999999").status_code == 404
    owner = login("zhang.wei")
    assert bell(owner.get("/tasks").text) == "1"  # still unread for its owner


def test_a_chinese_reader_gets_chinese(login, container):
    tell(container, "zhang.wei")
    page = login("zhang.wei").get("/notifications").text
    assert "新任务：Call customer 0（ACME）" in page


def test_settings_show_the_defaults_and_save_the_choices(client: FlaskClient, container):
    page = client.get("/account/notifications").text
    assert re.search(r'name="reminder" value="email"[^>]*checked', page)
    assert not re.search(r'name="reminder" value="sms"[^>]*checked', page)
    form = {"csrf_token": csrf_token(page), "reminder": ["sms", "in_app"], "task_assigned": ["email"]}
    saved = client.post("/account/notifications", data=form, follow_redirects=True)
    assert "Your notification settings are saved." in saved.text
    assert re.search(r'name="reminder" value="sms"[^>]*checked', saved.text)
    with container.session_factory() as session:
        chosen = preferences_of(session, user_id(container, "wang.fang"))
    assert chosen["reminder"] == {"sms", "in_app"} and chosen["task_assigned"] == {"email"}
    assert chosen["daily_digest"] == frozenset()  # nothing ticked: not wanted at all


def test_a_bad_choice_is_refused_beside_its_kind_and_nothing_changes(client: FlaskClient, container):
    page = client.get("/account/notifications").text
    refused = client.post("/account/notifications", data={"csrf_token": csrf_token(page), "reminder": "pigeon",
                                                          "task_assigned": "sms"})
    assert refused.status_code == 400 and "&#39;pigeon&#39; is not a valid choice" in refused.text
    with container.session_factory() as session:
        assert preferences_of(session, user_id(container, "wang.fang"))["task_assigned"] == {"in_app", "email"}


def test_settings_need_the_csrf_token(client: FlaskClient, container):
    assert client.post("/account/notifications", data={"reminder": "sms"}).status_code == 400
    with container.session_factory() as session:
        assert preferences_of(session, user_id(container, "wang.fang"))["reminder"] == {"in_app", "email"}


@pytest.mark.parametrize("path", ["/admin/notifications/outbox", "/admin/notifications/deliveries",
                                  "/admin/notifications/outbox/1", "/admin/notifications/outbox/1/html"])
def test_the_outbox_and_the_delivery_log_are_for_admins_only(client: FlaskClient, path: str):
    assert client.get(path).status_code == 403


def test_admins_read_the_outbox(login, container):
    tell(container, "wang.fang")
    admin = login("admin")
    page = admin.get("/admin/notifications/outbox").text
    assert "wang.fang@ecse-demo.example.com" in page and "New task: Call customer 0 (ACME)" in page
    [show] = re.findall(r'href="(/admin/notifications/outbox/\d+)"', page)
    email = admin.get(show).text
    assert "Hello 王芳," in email and "http://127.0.0.1:5000/tasks" in email
    html = admin.get(show + "/html")
    assert html.headers["Content-Security-Policy"].startswith("sandbox") and "<!doctype html>" in html.text
    assert admin.get("/admin/notifications/outbox/999999").status_code == 404


def test_admins_see_failures_with_their_reason_and_send_them_again(login, container):
    tell(container, "wang.fang")
    with container.uow() as uow:
        uow.session.execute(update(Delivery).values(status="failed", attempts=5, last_error="550 mailbox full"))
        uow.session.execute(OutboxEmail.__table__.delete())
        uow.commit()
    admin = login("admin")
    page = admin.get("/admin/notifications/deliveries?status=failed").text
    assert "550 mailbox full" in page and "wang.fang" in page and ">5<" in page
    [retry] = re.findall(r'action="(/admin/notifications/deliveries/\d+/retry[^"]*)"', page)
    after = admin.post(retry.replace("&amp;", "&"), data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert "The delivery is queued again." in after.text
    with container.session_factory() as session:  # delivered in process once the retry committed
        assert session.scalars(select(Delivery.status)).all() == ["sent"]
        assert len(session.scalars(select(OutboxEmail)).all()) == 1


def test_a_bad_status_filter_names_the_field(login):
    response = login("admin").get("/admin/notifications/deliveries?status=lost")
    assert response.status_code == 400 and "status" in response.text


def test_admins_find_the_log_from_their_notifications_page(login, client: FlaskClient):
    assert "/admin/notifications/deliveries" in login("admin").get("/notifications").text
    assert "/admin/notifications/deliveries" not in client.get("/notifications").text


def test_an_unwanted_in_app_notification_stays_out_of_the_bell(client: FlaskClient, container):
    page = client.get("/account/notifications").text
    client.post("/account/notifications", data={"csrf_token": csrf_token(page), "task_assigned": ["email"]})
    tell(container, "wang.fang")
    assert bell(client.get("/notifications").text) is None
    with container.session_factory() as session:
        assert session.scalars(select(Notification.in_app)).all() == [False]
        assert len(session.scalars(select(OutboxEmail)).all()) == 1
