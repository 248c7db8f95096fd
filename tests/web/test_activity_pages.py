"""The activity pages: logging on a contact's and an opportunity's page, the list of what the
people in sight logged, visit statistics, and a manager's comment thread."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bootstrap import Container
from notifications.models import Notification
from tests.deals import seed_deals, standard_sale
from tests.web.conftest import csrf_token
from workflows.accounts.models import Account, Contact
from workflows.activities.models import Activity, ActivityComment


@pytest.fixture
def records(app, container: Container) -> dict[str, int]:
    """The seeded deals and their accounts (ACME: wang.fang, Westlake: sun.li), with a buyer at ACME."""
    ids = seed_deals(container)
    now = container.engine.clock.now()
    with container.uow() as uow:
        acme = uow.session.scalars(select(Account).where(Account.name == "ACME")).one()
        buyer = Contact(account_id=acme.id, name="Zhou Buyer", owner=acme.owner, created_at=now, updated_at=now)
        uow.session.add(buyer)
        uow.commit()
        return {**ids, "acme": acme.id, "buyer": buyer.id}


def log(client, subject: str, subject_id: int, page: str, **fields: str):
    token = csrf_token(client.get(page).text)
    return client.post(f"/{subject}/{subject_id}/activities", data={"csrf_token": token, **fields})


def test_a_call_is_logged_and_listed_on_the_contacts_page(login, records, container):
    rep = login("wang.fang")
    page = f"/contacts/{records['buyer']}"
    assert "Log activity" in rep.get(page).text
    response = log(rep, "contact", records["buyer"], page, kind="call", outcome="Asked for the price list",
                   next_step="Send it on Friday")
    assert response.status_code == 302 and response.headers["Location"] == page
    shown = rep.get(page).text
    assert "Asked for the price list" in shown and "Send it on Friday" in shown
    bad = log(rep, "contact", records["buyer"], page, kind="call", outcome="")
    assert bad.status_code == 302 and "What happened: is required" in rep.get(page).text
    with container.session_factory() as session:
        assert session.scalars(select(Activity.outcome)).all() == ["Asked for the price list"]


def test_a_meeting_is_logged_on_the_opportunity_page_and_another_team_gets_404(login, container, app):
    sale = standard_sale(container)  # an opportunity with its pipeline running, as the page needs
    rep = login("wang.fang")
    token = csrf_token(rep.get("/opportunities/new").text)
    page = rep.post("/opportunities/new", data={"csrf_token": token, "name": "40 AGVs", "account_id": sale["account"],
                                                 "business_type_id": sale["type"], "amount": "120000"}).location
    opportunity_id = int(page.rsplit("/", 1)[1])
    assert log(rep, "opportunity", opportunity_id, page, kind="meeting",
               outcome="Demo at their plant").headers["Location"] == page
    shown = rep.get(page).text
    assert "Demo at their plant" in shown and "Quotation" in shown  # the section, and the page around it
    other = login("sun.li")
    assert other.get(page).status_code == 404
    assert other.post(f"/opportunity/{opportunity_id}/activities", data={
        "csrf_token": csrf_token(other.get("/activities").text), "kind": "call", "outcome": "x"}).status_code == 404


def logged(container: Container, owner: str, kind: str, subject: tuple[str, int], outcome: str,
           at: datetime = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)) -> int:
    with container.uow() as uow:
        activity = Activity(kind=kind, subject_type=subject[0], subject_id=subject[1], owner=owner, happened_at=at,
                            outcome=outcome, created_at=at)
        uow.session.add(activity)
        uow.commit()
        return activity.id


@pytest.fixture
def team(container: Container, records) -> dict[str, int]:
    westlake = records["Westlake AGVs"]
    return {"visit": logged(container, "wang.fang", "visit", ("account", records["acme"]), "Toured the warehouse"),
            "call": logged(container, "wang.fang", "call", ("contact", records["buyer"]), "Called the buyer",
                           datetime(2026, 1, 2, 2, 0, tzinfo=UTC)),
            "other": logged(container, "sun.li", "visit", ("opportunity", westlake), "Westlake site visit")}


def test_the_list_shows_the_people_in_sight_with_links_to_their_records(login, records, team):
    manager = login("liu.yang")
    page = manager.get("/activities").text
    assert "Toured the warehouse" in page and "Called the buyer" in page and "Westlake site visit" not in page
    assert f'href="/accounts/{records["acme"]}#activity-{team["visit"]}"' in page and "2 条活动记录" in page
    filtered = manager.get("/activities?kind=call&since=2026-01-01&until=2026-01-03").text
    assert "Called the buyer" in filtered and "Toured the warehouse" not in filtered
    snooping = login("wang.fang").get("/activities?person=sun.li&kind=nonsense").text
    assert "Westlake site visit" not in snooping and "Toured the warehouse" in snooping
    assert "Filter ignored: Person is not someone whose activities you can see" in snooping
    assert "Filter ignored: What is not one of the allowed values" in snooping
    assert login("xu.tao").get("/activities?person=wang.fang").text.count("Westlake site visit") == 1


def test_statistics_count_each_reps_visits_calls_and_meetings(login, team):
    page = login("liu.yang").get("/activities/statistics?unit=period&since=2026-01-01&until=2026-01-31")
    assert page.status_code == 200
    row = page.text.split("<tbody>")[1].split("王芳")[1].split("</tr>")[0]
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in row.split('<td class="number">')[1:]]
    assert cells == ["1", "1", "0", "2"]  # visits, calls, meetings, total
    assert "孙丽" not in page.text
    bad = login("wang.fang").get("/activities/statistics?unit=decade&since=never&person=sun.li").text
    assert "Filter ignored: Grouping is not one of the allowed values" in bad
    assert "Filter ignored: First day must be a date (YYYY-MM-DD)" in bad and "孙丽" not in bad


def test_a_manager_comments_under_a_visit_and_the_rep_is_told(login, records, team, container):
    manager = login("liu.yang")
    page = f"/accounts/{records['acme']}"
    token = csrf_token(manager.get(page).text)
    manager.post("/language/en", data={"csrf_token": token})
    response = manager.post(f"/activities/{team['visit']}/comments", data={
        "csrf_token": token, "body": "Ask about the budget next time", "back": "record"})
    assert response.headers["Location"] == f"{page}#activity-{team['visit']}"
    assert "Ask about the budget next time" in manager.get(page).text
    empty = manager.post(f"/activities/{team['visit']}/comments", data={"csrf_token": token, "body": " "},
                         follow_redirects=True)
    assert "Comment: is required" in empty.text
    rep = login("wang.fang")
    assert "Ask about the budget next time" in rep.get(f"/activities/{team['visit']}").text
    with container.session_factory() as session:
        notice = session.scalars(select(Notification).where(Notification.username == "wang.fang")).one()
        assert notice.link == f"{page}#activity-{team['visit']}"
        assert session.scalars(select(ActivityComment.body)).all() == ["Ask about the budget next time"]


def test_another_team_neither_reads_nor_comments(login, team, container):
    outsider = login("xu.tao")
    token = csrf_token(outsider.get("/activities").text)
    assert outsider.get(f"/activities/{team['visit']}").status_code == 404
    assert outsider.post(f"/activities/{team['visit']}/comments", data={
        "csrf_token": token, "body": "Nice"}).status_code == 404
    assert outsider.get("/activities/999999").status_code == 404
    with container.session_factory() as session:
        assert session.scalars(select(ActivityComment)).all() == []
