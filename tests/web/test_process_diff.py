"""The version comparison page: who may open it, which versions it compares, and what it lists.

``yang.fan`` (process designer) and ``admin`` read English; ``wang.fang`` is a sales rep.
"""

from __future__ import annotations

import html
import json

import pytest

import bootstrap
from tests import diagrams
from tests.diagrams import field, flows, process, user_task


def negotiate_stage() -> str:
    """Two stages become three: Negotiate (60%) is added, Qualify's probability and form change,
    Approve goes to sales managers instead of directors."""
    return process(
        '<bpmn:startEvent id="start"/>'
        + user_task("qualify", "Qualify", 'camunda:assignee="${owner}" camunda:candidateGroups="sales_rep"',
                    field("budget", "money", required=True) + field("decision_maker"),
                    '<camunda:property name="stage" value="qualify"/><camunda:property name="probability" value="30"/>',
                    documentation="Confirm the budget with the customer.")
        + user_task("negotiate", "Negotiate", 'camunda:assignee="${owner}"',
                    properties='<camunda:property name="stage" value="negotiate"/>'
                               '<camunda:property name="probability" value="60"/>')
        + user_task("approve", "Approve", 'camunda:candidateGroups="sales_manager" camunda:dueDate="P2D"')
        + '<bpmn:endEvent id="end"/>'
        + flows(("start", "qualify"), ("qualify", "negotiate"), ("negotiate", "approve"), ("approve", "end")),
        name="Two stages",
    )


def deploy(container: bootstrap.Container, *versions: str) -> None:
    for number, xml in enumerate(versions, 1):
        with container.uow() as uow:
            container.engine.deploy(uow.session, {"p.bpmn": xml}, "yang.fan", f"version {number}")
            uow.commit()


@pytest.fixture
def two_versions(app, container: bootstrap.Container) -> None:
    deploy(container, diagrams.two_stages(), negotiate_stage())


def rows(page: str) -> dict[str, str]:
    """Element id -> the text of its row in the list of changes."""
    found = {}
    for chunk in page.split('data-element="')[1:]:
        element_id, rest = chunk.split('"', 1)
        found[element_id] = html.unescape(" ".join(rest.split("</tr>", 1)[0].split()))
    return found


def marks(page: str) -> dict[str, list[str]]:
    return json.loads(html.unescape(page.split('data-marks="')[1].split('"')[0]))


@pytest.mark.parametrize("username", ["yang.fan", "admin"])
def test_designers_and_admins_see_what_the_latest_version_changed(login, two_versions, username):
    response = login(username).get("/processes/p/diff")
    assert response.status_code == 200
    page = response.text
    changes = rows(page)
    assert "Added" in changes["negotiate"] and "Negotiate" in changes["negotiate"]
    assert "property probability: 60" in changes["negotiate"]
    assert "property probability: 20 → 30" in changes["qualify"]
    assert "form field decision_maker: Decision_Maker [string]" in changes["qualify"]
    assert "form field note removed (was Note [textarea])" in changes["qualify"]
    assert "candidate groups: sales_director → sales_manager" in changes["approve"]
    assert "Removed" in changes["f_qualify_approve"]
    assert "Added" in changes["f_negotiate_approve"]
    assert marks(page) == {"added": ["negotiate", "f_qualify_negotiate", "f_negotiate_approve"],
                           "removed": ["f_qualify_approve"], "changed": ["qualify", "approve"]}
    assert "v1 · " in page and "v2 · " in page and "version 2" in page  # the pickers, with notes


def test_others_are_refused_with_a_message(login, two_versions):
    response = login("wang.fang").get("/processes/p/diff")
    assert response.status_code == 403
    assert "Only process designers and administrators may compare process versions." in response.text
    assert "Negotiate" not in response.text


def test_the_pickers_choose_the_versions(login, container, two_versions):
    deploy(container, diagrams.two_stages().replace('name="Approve"', 'name="Sign off"'))
    client = login("yang.fan")
    latest = rows(client.get("/processes/p/diff").text)  # v3 against v2
    assert "name: Approve → Sign off" in latest["approve"] and "negotiate" in latest
    assert "Removed" in latest["negotiate"]
    first_and_last = rows(client.get("/processes/p/diff?old=1&new=3").text)
    assert set(first_and_last) == {"approve"}
    assert "name: Approve → Sign off" in first_and_last["approve"]
    same = client.get("/processes/p/diff?old=2&new=2")
    assert same.status_code == 200 and "Pick two different versions to compare." in same.text
    assert rows(same.text) == {}


def test_a_single_version_has_nothing_to_compare(login, container, app):
    deploy(container, diagrams.two_stages())
    page = login("yang.fan").get("/processes/p/diff").text
    assert "Only one version is deployed, so there is nothing to compare yet." in page


@pytest.mark.parametrize("url", ["/processes/nope/diff", "/processes/p/diff?old=9", "/processes/p/diff?new=7"])
def test_unknown_processes_and_versions_are_not_found(login, two_versions, url):
    response = login("yang.fan").get(url)
    assert response.status_code == 404 and "Traceback" not in response.text


def test_a_malformed_version_falls_back_to_the_default(login, two_versions):
    response = login("yang.fan").get("/processes/p/diff?old=abc&new=")
    assert response.status_code == 200 and "negotiate" in rows(response.text)


def test_the_diagrams_travel_inside_the_page_safely(login, container, app):
    sneaky = diagrams.two_stages().replace("Confirm the budget with the customer.",
                                           "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;")
    deploy(container, diagrams.two_stages(), sneaky)
    page = login("yang.fan").get("/processes/p/diff").text
    assert "</script><script>alert(1)" not in page
    assert "documentation changed" in rows(page)["qualify"]
