"""Working tasks in the browser's HTML: the inbox tabs, claiming, and completing a form."""

from __future__ import annotations

from sqlalchemy import select

import bootstrap
from engine import HumanTask
from tests.web.conftest import csrf_token


def complete(client, task_id: str, **values: str):
    token = csrf_token(client.get(f"/tasks/{task_id}").text)
    return client.post(f"/tasks/{task_id}", data={"csrf_token": token, **values})


def test_my_tasks_show_the_business_object(login, qualify_task):
    page = login("wang.fang").get("/tasks").text
    assert "My tasks (1)" in page and "Qualify" in page and "ACME" in page and "CN¥120,000.00" in page
    assert "1/5/26, 5:00\u202fPM" in page  # created 09:00 UTC, shown in the rep's Shanghai time


def test_the_task_page_shows_the_instructions_and_the_form(login, qualify_task):
    page = login("wang.fang").get(f"/tasks/{qualify_task}").text
    assert "Confirm the budget with the customer." in page
    assert 'name="budget"' in page and 'inputmode="decimal"' in page and "<textarea" in page


def test_a_rep_of_another_team_neither_sees_nor_opens_the_task(login, qualify_task):
    other = login("sun.li")
    assert "Qualify" not in other.get("/tasks?tab=visible").text
    assert other.get(f"/tasks/{qualify_task}").status_code == 404


def test_the_team_manager_sees_it_under_all_i_may_see(login, qualify_task):
    assert "Qualify" in login("liu.yang").get("/tasks?tab=visible").text


def test_an_invalid_form_shows_the_field_message_and_changes_nothing(login, qualify_task):
    client = login("wang.fang")
    response = complete(client, qualify_task, budget="lots")
    assert response.status_code == 400 and "must be a number" in response.text
    assert "My tasks (1)" in client.get("/tasks").text


def test_completing_moves_the_work_to_the_directors_who_can_claim_it(login, qualify_task):
    client = login("wang.fang")
    response = complete(client, qualify_task, budget="5000")
    assert response.status_code == 302 and "My tasks (0)" in client.get("/tasks").text
    director = login("admin")  # English UI; admins see every task
    assert "Approve" in director.get("/tasks?tab=visible").text
    again = client.post(f"/tasks/{qualify_task}", data={"csrf_token": csrf_token(client.get("/tasks").text),
                                                        "budget": "1"})
    assert again.status_code == 302
    assert "no longer open" in client.get("/tasks").text  # a message, not an error page


def test_claiming_takes_a_group_task(login, container, qualify_task):
    complete(login("wang.fang"), qualify_task, budget="5000")
    chen = login("chen.hao")
    page = chen.get("/tasks?tab=claimable").text
    approve_id = page.split('name="task_ids" value="')[1].split('"')[0]
    chen.post("/tasks/claim", data={"csrf_token": csrf_token(page), "task_ids": [approve_id]})
    assert approve_id in chen.get("/tasks").text
    zhou = login("zhou.min")
    response = zhou.post("/tasks/claim", data={"csrf_token": csrf_token(zhou.get("/tasks").text),
                                               "task_ids": [approve_id]}, follow_redirects=True)
    assert "未认领" in response.text  # zhou.min reads Chinese: "Not claimed: …"


def test_a_manager_assigns_within_the_team_and_a_rep_cannot(login, qualify_task):
    manager = login("liu.yang")
    page = manager.get("/tasks?tab=visible").text
    manager.post("/tasks/assign", data={"csrf_token": csrf_token(page), "task_ids": [qualify_task],
                                        "assignee": "zhang.wei"})
    assert "Qualify" in login("zhang.wei").get("/tasks").text
    refused = manager.post("/tasks/assign", data={"csrf_token": csrf_token(page), "task_ids": [qualify_task],
                                                  "assignee": "sun.li"}, follow_redirects=True)
    assert "sun.li" in refused.text and "Qualify" in login("zhang.wei").get("/tasks").text
    rep = login("wang.fang")
    assert rep.post("/tasks/assign", data={"csrf_token": csrf_token(rep.get("/tasks").text),
                                           "task_ids": [qualify_task], "assignee": "wang.fang"}).status_code == 403


def start_another(container: bootstrap.Container, number: int, owner: str = "wang.fang") -> None:
    """A second opportunity on the already deployed two-stage process."""
    with container.uow() as uow:
        container.engine.start(uow.session, "p", f"opportunity:{number}",
                               {"owner": owner, "title": f"Deal {number}", "amount": "1000"}, owner)
        uow.commit()


def approve_ids(container: bootstrap.Container) -> list[str]:
    with container.session_factory() as session:
        return list(session.scalars(select(HumanTask.id).where(HumanTask.name == "Approve")))


def test_another_rep_in_the_same_team_sees_it_in_no_tab_and_cannot_open_it(login, qualify_task):
    zhang = login("zhang.wei")  # Chinese UI; only the task name is asserted, translations come later
    for tab in ("mine", "claimable", "visible"):
        assert "ACME" not in zhang.get(f"/tasks?tab={tab}").text
    assert zhang.get(f"/tasks/{qualify_task}").status_code == 404
    token = csrf_token(zhang.get("/tasks").text)
    assert zhang.post(f"/tasks/{qualify_task}/claim", data={"csrf_token": token}).status_code == 404


def test_the_approval_is_offered_to_every_sales_director(login, qualify_task):
    complete(login("wang.fang"), qualify_task, budget="5000")
    for director in ("chen.hao", "zhou.min"):  # candidate groups are roles, not branches
        page = login(director).get("/tasks?tab=claimable").text
        assert "Approve" in page and "ACME" in page


def test_claim_one_then_give_it_back(login, container, qualify_task):
    complete(login("wang.fang"), qualify_task, budget="5000")
    [approve] = approve_ids(container)
    chen = login("chen.hao")
    token = csrf_token(chen.get("/tasks?tab=claimable").text)
    chen.post(f"/tasks/{approve}/claim", data={"csrf_token": token})
    mine = chen.get("/tasks").text
    assert "Approve" in mine and f"/tasks/{approve}/unclaim" in mine
    chen.post(f"/tasks/{approve}/unclaim", data={"csrf_token": token})
    assert "Approve" not in chen.get("/tasks").text and "Approve" in chen.get("/tasks?tab=claimable").text


def test_bulk_claim_takes_every_selected_task(login, container, qualify_task):
    start_another(container, 2)
    wang = login("wang.fang")
    for task_id in [qualify_task, *_open_qualify_ids(container, exclude=qualify_task)]:
        complete(wang, task_id, budget="5000")
    ids = approve_ids(container)
    chen = login("chen.hao")
    token = csrf_token(chen.get("/tasks?tab=claimable").text)
    response = chen.post("/tasks/claim", data={"csrf_token": token, "task_ids": ids}, follow_redirects=True)
    assert len(ids) == 2 and "(2)" in response.text
    page = chen.get("/tasks").text
    assert "ACME" in page and "Deal 2" in page


def _open_qualify_ids(container: bootstrap.Container, exclude: str) -> list[str]:
    with container.session_factory() as session:
        return list(session.scalars(select(HumanTask.id).where(HumanTask.name == "Qualify",
                                                               HumanTask.id != exclude)))


def test_a_manager_assigns_one_task_from_its_row(login, qualify_task):
    manager = login("liu.yang")
    page = manager.get("/tasks?tab=visible").text
    assert f"/tasks/{qualify_task}/assign" in page
    manager.post(f"/tasks/{qualify_task}/assign", data={"csrf_token": csrf_token(page), "assignee": "zhang.wei"})
    assert "ACME" in login("zhang.wei").get("/tasks").text
    assert "ACME" not in login("wang.fang").get("/tasks").text


def test_a_rep_cannot_use_the_row_assign_endpoint(login, qualify_task):
    rep = login("wang.fang")
    response = rep.post(f"/tasks/{qualify_task}/assign",
                        data={"csrf_token": csrf_token(rep.get("/tasks").text), "assignee": "zhang.wei"})
    assert response.status_code == 403
    assert "ACME" in rep.get("/tasks").text


def test_the_inbox_filters_and_sorts(login, container, qualify_task):
    start_another(container, 2)
    wang = login("wang.fang")
    assert "Deal 2" not in wang.get("/tasks?owner=nobody").text
    page = wang.get("/tasks?sort=title&desc=1").text
    assert page.index("Deal 2") < page.index("ACME")
    page = wang.get("/tasks?sort=title").text
    assert page.index("ACME") < page.index("Deal 2")


def test_the_task_page_works_in_chinese(login, qualify_task):
    manager = login("liu.yang")
    manager.post(f"/tasks/{qualify_task}/assign",
                 data={"csrf_token": csrf_token(manager.get("/tasks").text), "assignee": "zhang.wei"})
    zhang = login("zhang.wei")
    page = zhang.get(f"/tasks/{qualify_task}")
    assert page.status_code == 200 and "Qualify" in page.text and "ACME" in page.text
    assert '<html lang="zh' in page.text and "¥120,000.00" in page.text
    response = complete(zhang, qualify_task, budget="abc")
    assert response.status_code == 400 and 'value="abc"' in response.text  # the input is kept
    assert "必须是数字" in response.text  # the engine's field message, in the reader's language
