"""Starting processes over the API: who may, for whom, and what the answer holds."""

from __future__ import annotations

import pytest
from flask import Flask

import bootstrap
from tests import diagrams
from tests.web.api_client import ApiClient
from tests.web.conftest import Api

ACME = {"business_key": "opportunity:7", "variables": {"title": "ACME", "amount": "120000"}}


def deploy(container: bootstrap.Container, starters: str = "") -> None:
    """The two-stage process; ``starters`` adds Camunda candidate-starter attributes to it."""
    xml = diagrams.two_stages().replace('isExecutable="true"', f'isExecutable="true" {starters}')
    with container.uow() as uow:
        container.engine.deploy(uow.session, {"p.bpmn": xml}, "designer")
        uow.commit()


@pytest.mark.parametrize(("username", "owner"), [("admin", "wang.fang"), ("yang.fan", None)])
def test_admins_and_designers_start_any_process(api: Api, container, username, owner):
    deploy(container)
    variables = {**ACME["variables"], **({"owner": owner} if owner else {})}
    started = api(username).post("/processes/p/instances", {**ACME, "variables": variables})
    assert started.status_code == 201 and started.json["status"] == "running"
    [task] = started.json["open_tasks"]
    assert task["name"] == "Qualify" and task["assignee"] == (owner or username) and task["title"] == "ACME"
    assert api(owner or username).get("/tasks").json["items"][0]["id"] == task["id"]


def test_a_rep_may_not_start_a_process_that_names_no_starters(api: Api, container):
    deploy(container)
    refused = api("wang.fang").post("/processes/p/instances", ACME)
    assert refused.status_code == 403 and refused.json["error"] == "You may not start this process"


@pytest.mark.parametrize("starters", ['camunda:candidateStarterGroups="sales_manager, sales_rep"',
                                      'camunda:candidateStarterUsers="wang.fang"'])
def test_the_diagrams_candidate_starters_may_start_it_for_themselves(api: Api, container, starters):
    deploy(container, starters)
    started = api("wang.fang").post("/processes/p/instances", ACME)
    assert started.status_code == 201
    assert [t["assignee"] for t in started.json["open_tasks"]] == ["wang.fang"]  # owner: the starter


def test_a_starter_may_not_fill_the_inbox_of_someone_out_of_sight(api: Api, container):
    deploy(container, 'camunda:candidateStarterGroups="sales_rep,sales_manager"')
    for_other = {**ACME, "variables": {"owner": "zhang.wei"}}
    assert api("wang.fang").post("/processes/p/instances", for_other).status_code == 403
    assert api("liu.yang").post("/processes/p/instances", for_other).status_code == 201  # zhang.wei's manager


def test_bad_start_requests_name_each_problem(api: Api, container):
    deploy(container)
    admin = api("admin")
    bad = admin.post("/processes/p/instances", {"business_key": 7, "variables": [], "colour": "red"})
    assert bad.status_code == 400
    assert sorted(p.split(":")[0] for p in bad.json["problems"]) == ["business_key", "colour", "variables"]
    names = admin.post("/processes/p/instances", {"variables": {"_secret": 1, "owner": 3, "items": [1]}})
    assert sorted(p.split(":")[0] for p in names.json["problems"]) == [
        "variables._secret", "variables.items", "variables.owner"]


def test_an_unknown_process_is_a_404(api: Api, app: Flask, container):
    missing = api("admin").post("/processes/nope/instances", {})
    assert missing.status_code == 404 and "nope" in missing.json["error"]
    anonymous = ApiClient(app, None).client.post("/api/v1/processes/nope/instances", json={})
    assert anonymous.status_code == 401
