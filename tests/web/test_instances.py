"""The instance page: its diagram, its history, and who may see it."""

from __future__ import annotations

import json

import pytest

import bootstrap
from tests import diagrams


@pytest.fixture
def instance_id(app, container: bootstrap.Container) -> int:
    with container.uow() as uow:
        container.engine.deploy(uow.session, {"p.bpmn": diagrams.two_stages()}, "designer")
        instance = container.engine.start(uow.session, "p", "opportunity:1",
                                          {"owner": "wang.fang", "title": "ACME"}, "liu.yang")
        uow.commit()
    return instance.id


def test_the_owner_sees_the_diagram_with_the_waiting_task_marked(login, instance_id):
    page = login("wang.fang").get(f"/instances/{instance_id}").text
    assert "Two stages" in page and "Process started" in page and "Task created" in page
    active = page.split('data-active="')[1].split('"')[0]
    assert json.loads(active.replace("&#34;", '"')) == ["qualify"]
    diagram_url = page.split('data-diagram-url="')[1].split('"')[0]
    response = login("wang.fang").get(diagram_url)
    assert response.mimetype == "application/xml" and 'id="qualify"' in response.text


def test_a_rep_of_another_team_gets_a_404(login, instance_id):
    assert login("sun.li").get(f"/instances/{instance_id}").status_code == 404


@pytest.mark.parametrize("username", ["liu.yang", "admin", "yang.fan"])
def test_the_starter_admins_and_designers_see_it(login, instance_id, username):
    assert login(username).get(f"/instances/{instance_id}").status_code == 200


def test_an_unknown_instance_is_a_404(login):
    assert login("admin").get("/instances/999").status_code == 404
