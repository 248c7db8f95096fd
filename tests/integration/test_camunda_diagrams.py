"""Diagrams drawn in the Camunda Modeler (Camunda 7 mode) run unchanged."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.errors import Conflict
from core.phrases import Phrase
from engine import ProcessInstance, ServiceCall, TaskFilter, list_tasks
from tests.diagrams import flows, process, user_task
from tests.integration.test_engine_api import candidates, open_tasks, start

ROUTE_DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="route_defs" name="Route" namespace="x">
  <decision id="approval_route" name="Approval route">
    <decisionTable id="table" hitPolicy="COLLECT">
      <input id="in_margin" label="Margin"><inputExpression id="ie" typeRef="number"><text>margin</text></inputExpression></input>
      <output id="out_role" name="approver_role" typeRef="string"/>
      <rule id="r1"><inputEntry id="r1i"><text>-</text></inputEntry><outputEntry id="r1o"><text>"sales_director"</text></outputEntry></rule>
      <rule id="r2"><inputEntry id="r2i"><text>&lt; 0.3</text></inputEntry><outputEntry id="r2o"><text>"commercial_director"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>"""


def routed() -> str:
    body = (
        '<bpmn:startEvent id="start"/>'
        '<bpmn:businessRuleTask id="route" name="Who approves?" camunda:decisionRef="approval_route"/>'
        '<bpmn:serviceTask id="notify" name="Notify approvers" camunda:type="external" camunda:topic="notify.approvers">'
        '<bpmn:extensionElements><camunda:inputOutput>'
        '<camunda:inputParameter name="roles">${approver_role}</camunda:inputParameter>'
        '<camunda:inputParameter name="channel">email</camunda:inputParameter>'
        '</camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>'
        + user_task("review", "Review", 'camunda:candidateUsers="dora, eric" camunda:formKey="review-form"',
                    properties='<camunda:property name="playbook" value="Check margin; Call customer"/>')
        + '<bpmn:endEvent id="end"/>'
        + flows(("start", "route"), ("route", "notify"), ("notify", "review"), ("review", "end"))
    )
    return process(body, process_id="routed")


def test_decision_tables_service_topics_and_candidate_users_work(container):
    calls: list[ServiceCall] = []
    container.engine.services.register("notify.approvers", lambda call: calls.append(call) or {"sent": 2})
    with container.uow() as uow:
        container.engine.deploy(uow.session, {"routed.bpmn": routed(), "route.dmn": ROUTE_DMN}, "designer")
        uow.commit()
    start(container, "routed", {"margin": 0.25}, "contract:3")

    [call] = calls
    assert call.params == {"roles": ["sales_director", "commercial_director"], "channel": "email"}
    assert (call.business_key, call.element_id) == ("contract:3", "notify")
    assert call.idempotency_key.endswith(call.task_id)
    [task] = open_tasks(container, "eric", "claimable")
    assert (task.name, task.form_key) == ("Review", "review-form")
    assert candidates(container, task.id) == {("user", "dora"), ("user", "eric")}
    with container.session_factory() as session:
        assert list_tasks(session, TaskFilter(user="frank", scope="visible")).total == 0


def test_a_service_refusing_the_step_is_answered_with_its_own_message_and_nothing_changes(container):
    def refuse(call: ServiceCall) -> None:
        raise Conflict(Phrase("Contract C-3 is already submitted"))

    container.engine.services.register("notify.approvers", refuse)
    with container.uow() as uow:
        container.engine.deploy(uow.session, {"routed.bpmn": routed(), "route.dmn": ROUTE_DMN}, "designer")
        uow.commit()
    with pytest.raises(Conflict, match="Contract C-3 is already submitted"):
        start(container, "routed", {"margin": 0.25}, "contract:3")
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0
