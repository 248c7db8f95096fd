"""Diagrams saved by other modelers parse, and what the engine cannot run is reported per element.

The fixtures in tests/fixtures/foreign/ are written in each tool's own style: the Camunda
Modeler (Camunda 7: external topics, ``${}`` conditions, bare timers, Java delegates, Groovy),
the bpmn.io demo (a non-executable sketch with plain tasks, an empty timer, link events) and
Signavio (default namespace, ``sid-`` ids, signavio metadata, a complex gateway, lanes, some
elements without DI).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from SpiffWorkflow.task import Task

from engine.deployment import check
from engine.errors import Problem
from engine.lint import check_design
from engine.specs import parse_sources
from engine.stepping import (
    DealflowScriptEngine,
    StepLog,
    advance,
    complete_user_task,
    new_workflow,
    ready_user_tasks,
)
from tests.diagrams import flows, process, user_task
from tests.engine.conftest import FUNCTIONS
from workflows.org.models import ROLES

FOREIGN = Path(__file__).parents[1] / "fixtures" / "foreign"


def files(name: str) -> dict[str, bytes]:
    return {name: (FOREIGN / name).read_bytes()}


def by_element(problems: list[Problem]) -> dict[str | None, list[str]]:
    found: dict[str | None, list[str]] = {}
    for problem in problems:
        found.setdefault(problem.element_id, []).append(f"{problem.severity}: {problem.message}")
    return found


def design(name: str, services: set[str] | None = None) -> list[Problem]:
    return check_design(files(name), services or set(), set(FUNCTIONS), ROLES)


def test_a_camunda_modeler_diagram_deploys_and_runs():
    problems = design("camunda_modeler.bpmn", {"notify.rep"})
    assert by_element(problems) == {"Event_0t4x6ab": [
        'warning: timer value P2D is not quoted: it runs here because the engine quotes it, but write "P2D" '
        "so it reads as the Python expression it is"]}
    [loaded] = parse_sources(files("camunda_modeler.bpmn")).processes
    calls: list[str] = []

    def invoke(task: Task, name: str, params: dict[str, Any]) -> None:
        calls.append(name)

    workflow = new_workflow(loaded, DealflowScriptEngine(functions=FUNCTIONS, invoke=invoke), {"amount": 5})
    log = StepLog()
    advance(workflow, log)
    [review] = ready_user_tasks(workflow)
    assert review.task_spec.bpmn_name == "Review discount"
    assert review.task_spec.extensions["candidateGroups"] == ["sales_manager"]
    assert [f.id for f in review.task_spec.extensions["form"]] == ["decision", "comment"]
    complete_user_task(workflow, review, {"decision": "approve"}, log)
    advance(workflow, log)
    assert calls == ["notify.rep"] and workflow.is_completed()


def test_java_delegates_and_other_languages_are_named_one_by_one():
    problems = design("camunda_java.bpmn")
    assert by_element(problems) == {
        "Activity_0archiv": ['error: calls Java (camunda:class="com.acme.crm.ArchiveContractDelegate"), which '
                             "the engine cannot run: set an external topic naming a registered function instead"],
        "Activity_1score0": ["error: the script is written in groovy; the engine runs Python scripts only"],
        "Flow_1large0": ["error: the condition is written in javascript; conditions are Python expressions"],
        "Activity_0notify": ['error: calls Java (camunda:delegateExpression="${notifyFinanceDelegate}"), which '
                             "the engine cannot run: set an external topic naming a registered function instead"],
        "Activity_1check0": ["warning: taskListener is ignored: the engine does not run Camunda listeners"],
    }
    assert all(p.file == "camunda_java.bpmn" and p.element_name for p in problems)
    assert parse_sources(files("camunda_java.bpmn")).processes == []  # nothing of it is deployed


def test_a_bpmn_io_sketch_is_reported_element_by_element():
    found = by_element(design("bpmn_io_demo.bpmn"))
    assert found["Process_1"] == ['error: no executable process: mark the process as executable '
                                  '(isExecutable="true")']
    for flow in ("Flow_1d8k3xa", "Flow_0h2l9ux"):  # "yes" and "no" out of "Interested?", no conditions
        assert found[flow] == ["error: leaves gateway 'Interested?' without a condition and is not its default "
                               "flow: give it a condition or make it the gateway's default"]
    assert found["Event_0b7x1fw"] == ['error: the timer has no value: set a date, a duration ("P7D") or a cycle']
    assert found["Event_1e4gl0t"] == ["error: the engine does not support link events here (intermediate throw "
                                      "event)"]
    assert found["Event_0l8c2k5"] == ["error: the engine does not support link events here (intermediate catch "
                                      "event)"]
    assert found["StartEvent_1"] == ["warning: has no name, so people see its id instead: give the start event "
                                     "a name"]
    assert [m[:31] for m in found["Activity_1a7yvqd"]] == ["warning: a task without a type "]


def test_a_signavio_export_parses_and_names_what_cannot_run():
    found = by_element(design("signavio.bpmn"))
    assert found == {
        "sid-3D6A4E8C-1F5B-4A43-D2C9-7E0F1A2B3C4D": [
            'error: no executable process: mark the process as executable (isExecutable="true")'],
        "sid-8CBF9D3B-6EA0-4F98-C7BE-2D5E6F7A8B9C": [
            "error: the engine cannot run complex gateways: use an exclusive, inclusive or parallel gateway"],
        "sid-0EDB1F5D-80C2-4BBA-E9D0-4F7A8B9C0D1E": [
            "warning: a task without a type waits for someone to complete it: make it a user task with "
            "candidate groups, or a service or script task"],
    }  # its lanes "Sales rep" and "Sales manager" are roles; the missing DI troubles nobody


def test_a_signavio_export_runs_once_its_designer_fixed_what_was_reported():
    xml = (FOREIGN / "signavio.bpmn").read_text()
    gateway = "sid-8CBF9D3B-6EA0-4F98-C7BE-2D5E6F7A8B9C"
    fixed = (xml.replace('isExecutable="false"', 'isExecutable="true"')
             .replace(f'<complexGateway gatewayDirection="Diverging" id="{gateway}"',
                      f'<exclusiveGateway default="sid-E4D5F6A7-B8C9-4D0E-1F2A-3B4C5D6E7F8A" id="{gateway}"')
             .replace("</complexGateway>", "</exclusiveGateway>")
             .replace("discount &gt; 10%", "discount &gt; 10")
             .replace('<task completionQuantity="1" id="sid-0EDB', '<userTask completionQuantity="1" id="sid-0EDB')
             .replace("</dataOutputAssociation>\n      </task>", "</dataOutputAssociation>\n      </userTask>"))
    assert [str(p) for p in design("signavio.bpmn") if p.blocking] != []
    assert [str(p) for p in check_design({"signavio.bpmn": fixed}, set(), set(FUNCTIONS), ROLES)] == []
    [loaded] = parse_sources({"signavio.bpmn": fixed}).processes
    workflow = new_workflow(loaded, DealflowScriptEngine(functions=FUNCTIONS, invoke=lambda *call: None), {})
    log = StepLog()
    advance(workflow, log)
    [prepare] = ready_user_tasks(workflow)
    assert (prepare.task_spec.bpmn_name, prepare.task_spec.lane) == ("Prepare quote", "Sales rep")
    complete_user_task(workflow, prepare, {"discount": 15}, log)
    advance(workflow, log)
    [approve] = ready_user_tasks(workflow)
    assert (approve.task_spec.bpmn_name, approve.task_spec.lane) == ("Approve discount", "Sales manager")


@pytest.mark.parametrize("name", sorted(p.name for p in FOREIGN.glob("*.bpmn")))
def test_every_problem_names_an_element_of_its_file(name):
    ids = set(etree.fromstring((FOREIGN / name).read_bytes()).xpath("//@id"))
    for problem in design(name, {"notify.rep"}):
        assert problem.element_id in ids and problem.file == name, str(problem)


def small(body: str, extra: str = "") -> dict[str, str]:
    xml = process('<bpmn:startEvent id="start" name="Start"/>' + body + '<bpmn:endEvent id="end" name="End"/>')
    return {"p.bpmn": xml.replace("</bpmn:definitions>", extra + "</bpmn:definitions>")}


def element(tag: str, attributes: str = "", inner: str = "") -> str:
    """``tag`` with id "x", between start and end."""
    return (f'<bpmn:{tag} id="x" name="X" {attributes}>{inner}</bpmn:{tag}>'
            + flows(("start", "x"), ("x", "end")))


UNRUNNABLE = {
    "compensation boundary": (
        user_task("t", "T") + '<bpmn:boundaryEvent id="x" name="X" attachedToRef="t">'
        "<bpmn:compensateEventDefinition/></bpmn:boundaryEvent>" + flows(("start", "t"), ("t", "end")),
        "the engine does not support compensation events here (boundary event)"),
    "signal end": (
        '<bpmn:endEvent id="x" name="X"><bpmn:signalEventDefinition/></bpmn:endEvent>' + flows(("start", "x")),
        "the engine does not support signal events here (end event)"),
    "script resource": (
        element("scriptTask", 'scriptFormat="python" camunda:resource="deployment://score.py"'),
        "the script is kept outside the diagram (deployment://score.py): write the Python script into the task"),
    "empty script": (element("scriptTask", "", "<bpmn:script>  </bpmn:script>"), "the script task has no script"),
    "connector": (
        element("serviceTask", "", "<bpmn:extensionElements><camunda:connector><camunda:connectorId>http-connector"
                "</camunda:connectorId></camunda:connector></bpmn:extensionElements>"),
        "uses a Camunda connector, which the engine cannot run: set an external topic naming a registered "
        "function instead"),
    "service without function": (element("serviceTask"), "A service task needs the name of a registered function"),
    "call without process": (element("callActivity"), "the call activity names no process to call (calledElement)"),
    "rule without table": (element("businessRuleTask"), "the business rule task names no decision table"),
    "conditional event without condition": (
        element("intermediateCatchEvent", "", "<bpmn:conditionalEventDefinition><bpmn:condition "
                'xsi:type="bpmn:tFormalExpression"/></bpmn:conditionalEventDefinition>'),
        "the conditional event has no condition"),
}


@pytest.mark.parametrize("case", sorted(UNRUNNABLE))
def test_what_the_engine_cannot_run_is_named_not_thrown(case):
    body, expected = UNRUNNABLE[case]
    result, problems = check(small(body), services=set())
    assert [p.element_id for p in problems] == ["x"], [str(p) for p in problems]
    assert expected in problems[0].message and problems[0].blocking
    assert result.processes == []


def test_a_condition_on_a_flow_leaving_a_task_is_not_silently_dropped():
    body = (user_task("t", "T") + '<bpmn:sequenceFlow id="f" sourceRef="t" targetRef="end">'
            '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">amount &gt; 10</bpmn:conditionExpression>'
            "</bpmn:sequenceFlow>" + flows(("start", "t")))
    [problem] = check(small(body), services=set())[1]
    assert problem.element_id == "f"
    assert problem.message == ("the engine ignores a condition on a flow leaving a user task: put an exclusive "
                               "gateway after it")


def test_an_empty_condition_is_named():
    body = ('<bpmn:exclusiveGateway id="g" name="G" default="f2"/>' + flows(("start", "g"))
            + '<bpmn:sequenceFlow id="f1" sourceRef="g" targetRef="end"><bpmn:conditionExpression '
            'xsi:type="bpmn:tFormalExpression"> </bpmn:conditionExpression></bpmn:sequenceFlow>'
            '<bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="end"/>')
    [problem] = check(small(body), services=set())[1]
    assert (problem.element_id, problem.message) == ("f1", "the condition is empty")


def test_a_process_calling_an_unrunnable_one_is_reported_once():
    called = small(element("scriptTask", 'scriptFormat="groovy"', "<bpmn:script>def score = 1</bpmn:script>"))
    called = {"helper.bpmn": called["p.bpmn"].replace('id="p"', 'id="helper"')}
    caller = process('<bpmn:startEvent id="s" name="S"/><bpmn:callActivity id="call" name="Call" '
                     'calledElement="helper"/><bpmn:endEvent id="e" name="E"/>' + flows(("s", "call"), ("call", "e")))
    problems = check({"caller.bpmn": caller, **called}, services=set())[1]
    assert [(p.element_id, p.message) for p in problems] == [
        ("x", "the script is written in groovy; the engine runs Python scripts only")]
