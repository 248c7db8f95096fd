"""The JSON API: token auth, the inbox tabs, a task's form, claim, give back, complete."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

import bootstrap
from tests.web.api_client import ApiClient
from tests.web.conftest import Api, issue
from workflows.org import visibility
from workflows.org.models import User
from workflows.org.service import deactivate_user
from workflows.org.tokens import list_tokens, revoke_token
from workflows.org.visibility import viewer_for


def approve_task(api: Api, qualify_task: str) -> str:
    """Complete Qualify; the Approve task it opens is offered to every sales director."""
    assert api("wang.fang").post(f"/tasks/{qualify_task}/complete", {"budget": "5000"}).status_code == 200
    return api("admin").get("/tasks?tab=visible").json["items"][0]["id"]


# -- authentication ---------------------------------------------------------------------------

def test_calls_without_a_valid_token_get_401_json_never_a_login_page(app: Flask):
    anonymous = app.test_client()
    for headers in ({}, {"Authorization": "Bearer dfk_not-a-token"}, {"Authorization": "Basic d2FuZzp4"}):
        response = anonymous.get("/api/v1/tasks", headers=headers)
        assert response.status_code == 401 and response.is_json and "error" in response.json
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def user_id(container: bootstrap.Container, username: str) -> int:
    with container.session_factory() as session:
        return session.scalars(select(User.id).where(User.username == username)).one()


def test_a_revoked_token_stops_working_at_once(app: Flask, container: bootstrap.Container):
    secret = issue(container, "wang.fang")
    assert ApiClient(app, secret).get("/tasks").status_code == 200
    owner = user_id(container, "wang.fang")
    with container.uow() as uow:
        [token] = list_tokens(uow.session, owner)
        revoke_token(uow.session, owner, token.id, container.engine.clock.now())
        uow.commit()
    assert ApiClient(app, secret).get("/tasks").status_code == 401


def test_a_deactivated_users_tokens_stop_working(app: Flask, container: bootstrap.Container):
    secret = issue(container, "wang.fang")
    admin_id, wang_id = user_id(container, "admin"), user_id(container, "wang.fang")
    with container.uow() as uow:  # on SQLite, no second session while this one writes
        admin = viewer_for(uow.session, admin_id)
        assert admin is not None
        deactivate_user(uow.session, admin, wang_id)
        uow.commit()
    assert ApiClient(app, secret).get("/tasks").status_code == 401


def test_the_login_cookie_does_not_open_the_api_and_the_api_sets_none(client, api):
    response = client.get("/api/v1/tasks")  # logged in as wang.fang, but no token
    assert response.status_code == 401 and response.is_json
    assert "Set-Cookie" not in api("wang.fang").get("/tasks").headers


def test_unknown_paths_and_methods_answer_json(app: Flask, api: Api):
    headers = api("wang.fang").headers
    client = app.test_client()
    missing = client.get("/api/v1/no/such/thing", headers=headers)
    assert missing.status_code == 404 and missing.is_json
    wrong = client.delete("/api/v1/tasks", headers=headers)
    assert wrong.status_code == 405 and wrong.is_json


def test_an_unexpected_failure_is_a_json_500_without_a_trace(app, api, qualify_task, container, monkeypatch):
    def broken(*_args):
        raise RuntimeError("boom")

    monkeypatch.setattr(container.engine, "task_form", broken)
    response = api("wang.fang").client.get(f"/api/v1/tasks/{qualify_task}", headers=api("wang.fang").headers)
    assert response.status_code == 500 and response.is_json
    assert "boom" not in response.text and "Traceback" not in response.text


# -- the inbox --------------------------------------------------------------------------------

def inbox_page(login, username: str, tab: str) -> tuple[dict[str, int], set[str]]:
    """The HTML inbox's tab counts and the task ids listed on ``tab``."""
    page = login(username).get(f"/tasks?tab={tab}").text
    counts = {name: int(count) for name, count in re.findall(r'tab=(\w+)"[^>]*>[^<]*\((\d+)\)</a>', page)}
    return counts, set(re.findall(r'href="/tasks/([0-9a-f-]{36})"', page))


@pytest.mark.parametrize("username", ["wang.fang", "zhang.wei", "liu.yang", "chen.hao", "sun.li", "admin"])
def test_tabs_and_counts_match_the_inbox(login, api, container, qualify_task, username):
    approve_task(api, qualify_task)
    _start(container, 2, "zhang.wei")
    client = api(username)
    for tab in ("mine", "claimable", "visible"):
        listed = client.get(f"/tasks?tab={tab}").json
        counts, ids = inbox_page(login, username, tab)
        assert listed["counts"] == counts and {t["id"] for t in listed["items"]} == ids
        assert listed["total"] == counts[tab]


def _start(container: bootstrap.Container, number: int, owner: str, amount: str = "1000") -> None:
    with container.uow() as uow:
        container.engine.start(uow.session, "p", f"opportunity:{number}",
                               {"owner": owner, "title": f"Deal {number}", "amount": amount}, owner)
        uow.commit()


def test_lists_filter_sort_and_page(api, container, qualify_task):
    for number, amount in ((2, "300"), (3, "900000")):
        _start(container, number, "wang.fang", amount)
    client = api("wang.fang")
    biggest = client.get("/tasks?sort=-amount&per_page=1").json
    assert [t["title"] for t in biggest["items"]] == ["Deal 3"] and biggest["pages"] == 3
    assert biggest["items"][0]["amount"] == "900000.00"
    second = client.get("/tasks?sort=-amount&per_page=1&page=2").json
    assert [t["title"] for t in second["items"]] == ["ACME"]
    assert client.get("/tasks?owner=someone.else").json["total"] == 0
    assert client.get("/tasks?object_type=opportunity&stage=qualify").json["total"] == 3


def test_the_counts_can_be_left_out(api, qualify_task):
    page = api("wang.fang").get("/tasks?counts=false").json
    assert "counts" not in page and page["total"] == 1 and len(page["items"]) == 1


def test_counts_stop_at_the_cap_and_say_which_did(login, api, container, qualify_task, monkeypatch):
    monkeypatch.setattr(visibility, "COUNT_CAP", 2)
    for number in (2, 3):
        _start(container, number, "wang.fang")
    listed = api("wang.fang").get("/tasks").json
    assert listed["counts"] == {"mine": 2, "claimable": 0, "visible": 2}
    assert listed["counts_capped"] == ["mine", "visible"]
    assert listed["total"] == 3  # the tab's own total stays exact
    assert "(2+)</a>" in login("wang.fang").get("/tasks").text
    assert api("admin").get("/tasks").json["counts_capped"] == ["visible"]


def test_bad_list_parameters_are_each_named(api):
    response = api("wang.fang").get("/tasks?tab=everything&counts=maybe&page=0&per_page=500&sort=colour")
    assert response.status_code == 400
    assert [p.split(":")[0] for p in response.json["problems"]] == ["tab", "counts", "sort", "page", "per_page"]


# -- one task ---------------------------------------------------------------------------------

def test_a_task_comes_with_its_form_and_instructions(api, qualify_task):
    task = api("wang.fang").get(f"/tasks/{qualify_task}").json
    assert task["name"] == "Qualify" and task["title"] == "ACME" and task["amount"] == "120000.00"
    assert task["instructions"] == "Confirm the budget with the customer."
    budget = next(f for f in task["form"] if f["id"] == "budget")
    assert budget["type"] == "money" and budget["required"] is True


def test_a_rep_of_another_team_can_neither_see_nor_touch_the_task(api, qualify_task):
    other = api("sun.li")
    assert other.get(f"/tasks/{qualify_task}").status_code == 404
    for action in ("claim", "unclaim", "complete"):
        assert other.post(f"/tasks/{qualify_task}/{action}", {"budget": "1"}).status_code == 404
    for tab in ("mine", "claimable", "visible"):
        assert other.get(f"/tasks?tab={tab}").json["items"] == []
    assert api("wang.fang").get(f"/tasks/{qualify_task}").status_code == 200  # still open


def test_a_missing_required_field_is_a_400_naming_it(api, qualify_task):
    client = api("wang.fang")
    response = client.post(f"/tasks/{qualify_task}/complete", {"note": "met them"})
    assert response.status_code == 400
    assert response.json["fields"] == {"budget": "is required"} and response.json["problems"] == [
        "budget: is required"]
    assert client.get("/tasks").json["total"] == 1  # nothing changed


def test_values_of_the_wrong_shape_are_refused(api, qualify_task):
    client = api("wang.fang")
    nested = client.post(f"/tasks/{qualify_task}/complete", {"budget": {"amount": 5}})
    assert nested.status_code == 400 and nested.json["fields"] == {"budget": "must be a single value"}
    not_an_object = client.post(f"/tasks/{qualify_task}/complete", ["budget", "5000"])
    assert not_an_object.status_code == 400 and "JSON object" in not_an_object.json["error"]
    unknown = client.post(f"/tasks/{qualify_task}/complete", {"budget": "1", "discount": "50"})
    assert unknown.json["fields"] == {"discount": "is not a field of this form"}


def test_completing_answers_the_instance_and_completing_again_is_a_409(api, qualify_task):
    client = api("wang.fang")
    done = client.post(f"/tasks/{qualify_task}/complete", {"budget": "5000"})
    assert done.status_code == 200 and done.json["status"] == "running"
    assert done.json["open_tasks"] == []  # Approve is for the directors, out of wang.fang's sight
    again = client.post(f"/tasks/{qualify_task}/complete", {"budget": "5000"})
    assert again.status_code == 409 and "already completed" in again.json["error"]
    assert client.post(f"/tasks/{qualify_task}/claim").status_code == 409
    assert client.get(f"/tasks/{qualify_task}").status_code == 404


def test_a_director_claims_gives_back_and_completes(api, qualify_task):
    approve = approve_task(api, qualify_task)
    chen, zhou, admin = api("chen.hao"), api("zhou.min"), api("admin")
    assert chen.post(f"/tasks/{approve}/claim").json["assignee"] == "chen.hao"
    assert zhou.post(f"/tasks/{approve}/claim").status_code == 404  # claimed in Shanghai: out of his sight
    taken = admin.post(f"/tasks/{approve}/claim")  # admins see everything, but it is taken
    assert taken.status_code == 409 and "chen.hao" in taken.json["error"]
    assert admin.post(f"/tasks/{approve}/unclaim").status_code == 409
    assert admin.post(f"/tasks/{approve}/complete", {}).status_code == 409
    assert chen.post(f"/tasks/{approve}/unclaim").json["assignee"] is None
    finished = zhou.post(f"/tasks/{approve}/complete", {})
    assert finished.status_code == 200 and finished.json["status"] == "completed"
