"""Working tasks in the browser's HTML: the inbox tabs, claiming, and completing a form."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import bootstrap
from engine import HumanTask
from tests import diagrams
from tests.web.conftest import csrf_token


@pytest.fixture
def qualify_task(app, container: bootstrap.Container) -> str:
    """wang.fang's Qualify task on ACME (120,000), in a two-stage process."""
    with container.uow() as uow:
        container.engine.deploy(uow.session, {"p.bpmn": diagrams.two_stages()}, "designer")
        container.engine.start(uow.session, "p", "opportunity:1",
                               {"owner": "wang.fang", "title": "ACME", "amount": "120000"}, "wang.fang")
        uow.commit()
    with container.session_factory() as session:
        return session.scalars(select(HumanTask.id)).one()


def complete(client, task_id: str, **values: str):
    token = csrf_token(client.get(f"/tasks/{task_id}").text)
    return client.post(f"/tasks/{task_id}", data={"csrf_token": token, **values})


def test_my_tasks_show_the_business_object(login, qualify_task):
    page = login("wang.fang").get("/tasks").text
    assert "My tasks (1)" in page and "Qualify" in page and "ACME" in page and "120,000" in page


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
