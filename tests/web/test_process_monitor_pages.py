"""The monitor page of a version, the dry run, a bulk migration to its results, and the instance
page's designer part (data, retry, cancel, migrate one): what designers see and do, and that
others cannot."""

from __future__ import annotations

import html
import json

import pytest
from flask import Flask
from sqlalchemy import select

import bootstrap
from engine import HumanTask, ProcessDefinition, ProcessInstance, ServiceCall, fire_due_timers
from tests.diagrams import flows, process, user_task
from tests.versions import V1, V2, pipeline
from tests.web.conftest import csrf_token
from web.process_monitor import LAUNCHER
from workflows.audit import AuditEvent
from workflows.instances.bulk import run_migration


def deploy(container: bootstrap.Container, xml: str) -> int:
    with container.uow() as uow:
        [definition] = container.engine.deploy(uow.session, {"pipe.bpmn": xml}, "yang.fan")
        uow.commit()
        return definition.id


def start_at(container: bootstrap.Container, stages_done: int) -> int:
    with container.uow() as uow:
        instance = container.engine.start(uow.session, "pipe", f"opportunity:{stages_done + 1}",
                                          {"owner": "wang.fang", "api_token": "s3cr3t", "amount": 1200.5},
                                          "liu.yang")
        uow.commit()
    for _ in range(stages_done):
        with container.session_factory() as session:
            task_id = session.scalars(select(HumanTask.id).where(HumanTask.instance_id == instance.id)).one()
        with container.uow() as uow:
            container.engine.complete(uow.session, task_id, {}, "wang.fang")
            uow.commit()
    return instance.id


@pytest.fixture
def versions(app: Flask, container: bootstrap.Container) -> dict[str, int]:
    """Version 1 with instances at Qualify, Propose (two) and Negotiate; then version 2."""
    app.extensions[LAUNCHER] = lambda job_id: run_migration(container.session_factory, container.engine, job_id,
                                                            container.engine.clock)
    first = deploy(container, pipeline(*V1))
    ids = {"qualify": start_at(container, 0), "propose": start_at(container, 1),
           "propose2": start_at(container, 1), "negotiate": start_at(container, 2)}
    return {"v1": first, "v2": deploy(container, pipeline(*V2)), **ids}


def attribute(page: str, name: str) -> object:
    return json.loads(html.unescape(page.split(f'{name}="')[1].split('"')[0]))


def test_a_designer_sees_where_work_waits_on_the_diagram_and_the_instances(login, versions):
    page = login("yang.fan").get(f"/processes/versions/{versions['v1']}").text
    assert attribute(page, "data-counts") == {"propose": 2, "qualify": 1, "negotiate": 1}
    assert set(attribute(page, "data-averages")) == {"qualify", "propose"}
    assert "4 instances running" in page
    assert f'href="/instances/{versions["negotiate"]}"' in page
    filtered = login("yang.fan").get(f"/processes/versions/{versions['v1']}?at=propose").text
    listed = filtered.split('id="instance-list"')[1].split("</table>")[0]
    assert f"#{versions['propose']}" in listed and f"#{versions['qualify']}<" not in listed
    assert "Waiting at Propose" in filtered


@pytest.mark.parametrize("username", ["wang.fang", "liu.yang"])
def test_reps_and_managers_may_not_watch_or_migrate(login, versions, username):
    client = login(username)
    assert client.get(f"/processes/versions/{versions['v1']}").status_code == 403
    assert client.get(f"/processes/versions/{versions['v1']}/migrate?target={versions['v2']}").status_code == 403
    token = csrf_token(client.get("/inbox").text)
    posted = client.post(f"/processes/versions/{versions['v1']}/migrate",
                         data={"target": versions["v2"], "csrf_token": token})
    assert posted.status_code == 403


def test_an_unknown_version_is_a_404(login):
    assert login("admin").get("/processes/versions/999").status_code == 404


def test_dry_run_then_bulk_migration_to_its_results(login, container, versions):
    client = login("yang.fan")
    dry = client.get(f"/processes/versions/{versions['v1']}/migrate?target={versions['v2']}")
    assert dry.status_code == 200
    refused = dry.text.split('class="refused"')[1].split("</tr>")[0]
    assert f"#{versions['negotiate']}" in refused
    assert "No: waits at &#39;Negotiate&#39;, which version 2 removed" in refused
    assert dry.text.count('class="movable"') == 3
    with container.session_factory() as session:  # nothing moved yet
        assert {i.definition_id for i in session.scalars(select(ProcessInstance))} == {versions["v1"]}

    no_token = client.post(f"/processes/versions/{versions['v1']}/migrate", data={"target": versions["v2"]})
    assert no_token.status_code == 400
    started = client.post(f"/processes/versions/{versions['v1']}/migrate",
                          data={"target": versions["v2"], "csrf_token": csrf_token(dry.text)})
    assert started.status_code == 302
    results = client.get(started.headers["Location"]).text
    assert 'data-status="done"' in results and "4 of 4 instances" in results
    assert "waits at &#39;Negotiate&#39;, which version 2 removed" in results
    stayed = client.get(started.headers["Location"] + "?outcome=refused").text.split('id="results"')[1]
    assert f"#{versions['negotiate']}" in stayed and f"#{versions['qualify']}<" not in stayed
    with container.session_factory() as session:
        moved = {i.id: i.definition_id for i in session.scalars(select(ProcessInstance))}
    assert moved == {versions["qualify"]: versions["v2"], versions["propose"]: versions["v2"],
                     versions["propose2"]: versions["v2"], versions["negotiate"]: versions["v1"]}
    monitor = client.get(f"/processes/versions/{versions['v1']}").text
    assert "1 instance running" in monitor and 'id="jobs"' in monitor


def test_a_dry_run_to_another_process_is_a_clear_error(login, container, versions):
    other = deploy(container, pipeline("qualify", process_id="other"))
    response = login("yang.fan").get(f"/processes/versions/{versions['v1']}/migrate?target={other}")
    assert response.status_code == 400 and "target" in response.text


def test_the_instance_page_shows_designers_the_data_without_secrets_and_moves_one(login, container, versions):
    client = login("yang.fan")
    url = f"/instances/{versions['qualify']}"
    page = client.get(url).text
    data = page.split('id="instance-data"')[1].split("</table>")[0]
    assert "api_token" in data and "s3cr3t" not in data and "1,200.5" in data
    checked = client.get(f"{url}?target={versions['v2']}").text
    assert "It can move to version 2." in checked
    moved = client.post(f"{url}/migrate", data={"target": versions["v2"], "csrf_token": csrf_token(checked)},
                        follow_redirects=True).text
    assert "Moved from version 1 to version 2." in moved and "Moved to another version" in moved
    refused = client.get(f"/instances/{versions['negotiate']}?target={versions['v2']}").text
    assert "It cannot move to version 2: waits at &#39;Negotiate&#39;, which version 2 removed" in refused


def test_owners_see_the_instance_but_not_its_data_or_actions(login, versions):
    client = login("wang.fang")
    page = client.get(f"/instances/{versions['qualify']}").text
    assert 'id="instance-data"' not in page and "Cancel this process" not in page
    token = csrf_token(client.get("/inbox").text)
    for action, data in (("cancel", {"reason": "x"}), ("retry", {}), ("migrate", {"target": versions["v2"]})):
        response = client.post(f"/instances/{versions['qualify']}/{action}", data={**data, "csrf_token": token})
        assert response.status_code == 403, action


def test_cancelling_needs_a_reason_and_is_audited(login, container, versions):
    client = login("admin")
    url = f"/instances/{versions['propose']}"
    token = csrf_token(client.get(url).text)
    empty = client.post(f"{url}/cancel", data={"reason": " ", "csrf_token": token}, follow_redirects=True).text
    assert "Reason: is required" in empty
    done = client.post(f"{url}/cancel", data={"reason": "Customer went bankrupt", "csrf_token": token},
                       follow_redirects=True).text
    assert "The process was cancelled." in done and "Customer went bankrupt" in done
    assert 'id="instance-status">Cancelled' in done
    with container.session_factory() as session:
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "process_cancelled")).one()
    assert (audit.actor, audit.details["reason"]) == ("admin", "Customer went bankrupt")


def test_a_failed_step_is_shown_where_it_failed_and_retried(login, app, container, clock):
    fixed = {"yes": False}

    def remind(call: ServiceCall) -> None:
        if not fixed["yes"]:
            raise RuntimeError("mail server down")

    container.engine.services.register("test.remind", remind)
    with container.uow() as uow:
        container.engine.deploy(uow.session, {"chase.bpmn": process(
            '<bpmn:startEvent id="start"/><bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
            '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT1H"</bpmn:timeDuration>'
            '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>'
            '<bpmn:serviceTask id="remind" name="Send reminder" camunda:type="external" camunda:topic="test.remind"/>'
            + user_task("call", "Call", 'camunda:assignee="${owner}"') + '<bpmn:endEvent id="end"/>'
            + flows(("start", "wait"), ("wait", "remind"), ("remind", "call"), ("call", "end")), "chase")}, "yang.fan")
        instance = container.engine.start(uow.session, "chase", "lead:1", {"owner": "wang.fang"})
        uow.commit()
    clock.advance(hours=2)
    fire_due_timers(container.engine, container.session_factory)
    client = login("yang.fan")
    url = f"/instances/{instance.id}"
    page = client.get(url).text
    assert "mail server down" in page and attribute(page, "data-errors") == ["remind"]
    again = client.post(f"{url}/retry", data={"csrf_token": csrf_token(page)}, follow_redirects=True).text
    assert "The step failed again" in again and "Retry failed" in again
    fixed["yes"] = True
    done = client.post(f"{url}/retry", data={"csrf_token": csrf_token(page)}, follow_redirects=True).text
    assert "The failed step ran again" in done and 'id="failure"' not in done
    assert attribute(done, "data-active") == ["call"]


def test_designers_reach_a_versions_monitor_from_the_catalogue_and_the_version_list(login, container):
    bootstrap.deploy_shipped(container)
    designer, rep = login("yang.fan"), login("wang.fang")
    with container.session_factory() as session:
        definition_id = session.scalars(select(ProcessDefinition.id).where(
            ProcessDefinition.key == "standard_sale")).one()
    monitor = f'href="/processes/versions/{definition_id}"'
    assert monitor in designer.get("/processes").text
    assert monitor in designer.get("/processes/standard_sale/versions").text
    assert monitor not in rep.get("/processes").text
