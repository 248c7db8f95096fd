"""The out-of-office page: an approver adds a period away with a delegate, sees it in their
own days, ends or cancels it; bad input is shown by its field; a delegate gets the tasks
that arrive meanwhile, and the decision keeps both names."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.web.conftest import csrf_token
from tests.web.test_contract_pages import world  # noqa: F401 - a fixture
from tests.web.test_contract_submission import at_margin, decide, open_tasks, submit
from workflows.approvals.models import OutOfOffice
from workflows.org.models import User

PAGE = "/account/out-of-office"


@pytest.fixture
def director(login):
    """chen.hao, Shanghai's sales director, reading English."""
    client = login("chen.hao")
    client.post("/language/en", data={"csrf_token": csrf_token(client.get(PAGE).text)})
    return client


def user_id(container, username: str) -> int:
    with container.session_factory() as session:
        return session.scalars(select(User.id).where(User.username == username)).one()


def days(container, *offsets: int) -> list[str]:
    today = container.engine.clock.now().date()
    return [(today + timedelta(days=offset)).isoformat() for offset in offsets]


def away(client, container, first: str, last: str, delegate: str = "huang.lei", note: str = "", **extra):
    token = csrf_token(client.get(PAGE).text)
    data = {"csrf_token": token, "first_day": first, "last_day": last, "note": note,
            "delegate_id": str(user_id(container, delegate)) if delegate else ""}
    return client.post(PAGE, data=data, **extra)


def periods(container) -> list[OutOfOffice]:
    with container.session_factory() as session:
        return list(session.scalars(select(OutOfOffice).order_by(OutOfOffice.starts_at)))


def test_the_menu_links_the_page_and_a_period_is_shown_in_days(director, container):
    assert f'href="{PAGE}"' in director.get("/tasks").text
    assert "You have no out-of-office period set." in director.get(PAGE).text
    first, last = days(container, 0, 3)
    response = away(director, container, first, last, note="Trade fair", follow_redirects=True)
    assert "Out-of-office period saved" in response.text
    page = director.get(PAGE).text
    assert "Jan 5, 2026" in page and "Jan 8, 2026" in page and "黄磊" in page and "Trade fair" in page
    assert "End now" in page
    [period] = periods(container)  # midnight to midnight in Shanghai, stored in UTC
    assert (period.starts_at.isoformat(), period.ends_at.isoformat()) == (
        "2026-01-04T16:00:00+00:00", "2026-01-08T16:00:00+00:00")


def test_bad_periods_answer_400_with_each_problem_by_its_field(director, container):
    first, last = days(container, 2, 1)
    response = away(director, container, first, last)
    assert response.status_code == 400
    assert re.search(r'name="last_day"[^>]*value="' + last + r'"[\s\S]*?must not be before the first day',
                     response.text)  # the input is kept, the message beside it
    response = away(director, container, "", "soon", delegate="")
    assert response.status_code == 400
    for message in ("is required", "must be a date (YYYY-MM-DD)", "is not an active user"):
        assert message in response.text, message
    assert "must be someone else" in away(director, container, *days(container, 0, 1), delegate="chen.hao").text
    assert away(director, container, *days(container, 0, 2)).status_code == 302
    overlapping = away(director, container, *days(container, 1, 5))
    assert overlapping.status_code == 400 and "overlaps a period you are already away" in overlapping.text
    assert len(periods(container)) == 1


def test_a_period_under_way_ends_now_and_a_coming_one_is_cancelled(director, container):
    away(director, container, *days(container, 0, 3))
    away(director, container, *days(container, 10, 12))
    page = director.get(PAGE).text
    assert page.count("End now") == 1 and page.count(">Cancel<") == 1
    under_way, coming = periods(container)
    token = csrf_token(page)
    response = director.post(f"{PAGE}/{coming.id}/end", data={"csrf_token": token}, follow_redirects=True)
    assert "Out-of-office period ended." in response.text and "Jan 15, 2026" not in response.text
    director.post(f"{PAGE}/{under_way.id}/end", data={"csrf_token": token})
    [ended] = periods(container)
    assert ended.ends_at == container.engine.clock.now()
    assert "You have no out-of-office period set." in director.get(PAGE).text


def test_nobody_ends_another_ones_period_and_forms_need_their_csrf_token(director, login, container):
    away(director, container, *days(container, 0, 3))
    [period] = periods(container)
    rep = login("wang.fang")
    assert rep.post(f"{PAGE}/{period.id}/end", data={"csrf_token": csrf_token(rep.get(PAGE).text)}
                    ).status_code == 404
    assert director.post(f"{PAGE}/{period.id}/end").status_code == 400
    first, last = days(container, 5, 6)
    assert director.post(PAGE, data={"first_day": first, "last_day": last,
                                     "delegate_id": user_id(container, "huang.lei")}).status_code == 400
    assert len(periods(container)) == 1 and periods(container)[0].ends_at == period.ends_at


def test_the_page_renders_in_chinese_with_chinese_dates(login, container):
    client = login("chen.hao")  # reads Chinese
    assert away(client, container, *days(container, 0, 1)).status_code == 302
    page = client.get(PAGE)
    assert page.status_code == 200 and 'lang="zh-CN"' in page.text
    assert "2026年1月5日" in page.text and "2026年1月6日" in page.text


def test_the_last_possible_date_is_refused_not_a_server_error(director, container):
    assert away(director, container, days(container, 0)[0], "9999-12-31").status_code == 400
    assert away(director, container, "9999-12-30", "9999-12-31").status_code == 400


def test_the_delegate_gets_the_task_and_the_decision_keeps_both_names(director, login, container, world):  # noqa: F811
    away(director, container, *days(container, 0, 3))
    rep = login("wang.fang")
    url = at_margin(rep, world, "65000")
    assert "黄磊 (standing in for 陈浩, out of office)" in rep.get(f"{url}/submit").text
    submit(rep, url)
    tasks = open_tasks(container, url)
    assert list(tasks) == ["huang.lei"]
    assert "C-2026-00001" in login("huang.lei").get("/tasks").text
    decide(container, tasks["huang.lei"], "huang.lei", "approve", "For chen.hao")
    page = rep.get(url).text
    assert "黄磊 (on behalf of 陈浩)" in page and "黄磊 (standing in for 陈浩, out of office)" in page
    assert "Approved on Jan 5, 2026." in page
