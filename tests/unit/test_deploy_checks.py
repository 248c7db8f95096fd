"""Deploy-time validation: each problem names the file or element a designer must fix."""

from __future__ import annotations

import pytest

from engine import ProcessEngine, ServiceRegistry
from tests import diagrams
from tests.diagrams import flows, process, user_task


@pytest.fixture
def engine() -> ProcessEngine:
    services = ServiceRegistry()
    services.register("lead.assign", lambda call: {"owner": "alice"})
    return ProcessEngine(services=services)


def problems(engine: ProcessEngine, files: dict[str, str | bytes]) -> list[str]:
    return [str(p) for p in engine.check(files)]


def gateway(condition: str) -> str:
    return process(
        '<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="decide" name="Won?" default="f_other"/>'
        '<bpmn:endEvent id="won"/><bpmn:endEvent id="other"/>'
        + flows(("start", "decide"))
        + f'<bpmn:sequenceFlow id="f_won" sourceRef="decide" targetRef="won"><bpmn:conditionExpression '
        f'xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>'
        '<bpmn:sequenceFlow id="f_other" sourceRef="decide" targetRef="other"/>'
    )


def script(source: str) -> str:
    return process(
        f'<bpmn:startEvent id="start"/><bpmn:scriptTask id="calc" name="Compute margin">'
        f'<bpmn:script>{source}</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="end"/>'
        + flows(("start", "calc"), ("calc", "end"))
    )


def service(topic: str) -> str:
    return process(
        f'<bpmn:startEvent id="start"/><bpmn:serviceTask id="assign" name="Assign lead" '
        f'camunda:type="external" camunda:topic="{topic}"/><bpmn:endEvent id="end"/>'
        + flows(("start", "assign"), ("assign", "end"))
    )


def test_the_shipped_style_diagram_passes(engine):
    assert problems(engine, {"p.bpmn": diagrams.two_stages()}) == []


def test_camunda_style_expressions_and_unquoted_timers_are_accepted(engine):
    assert problems(engine, {"g.bpmn": gateway("${amount &gt; 100000}")}) == []
    assert problems(engine, {"t.bpmn": diagrams.timer_then_task("P30D")}) == []
    assert problems(engine, {"t.bpmn": diagrams.timer_then_task("followup_every")}) == []


def test_malformed_xml_names_the_file_and_line(engine):
    [problem] = problems(engine, {"broken.bpmn": "<bpmn:definitions>\n<oops"})
    assert problem.startswith("broken.bpmn: not well-formed XML (line ")


def test_entities_and_doctypes_are_refused(engine):
    bomb = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            + diagrams.two_stages().split("?>", 1)[1].replace('name="Two stages"', 'name="&b;"'))
    [problem] = problems(engine, {"bomb.bpmn": bomb})
    assert "DOCTYPE declarations are not allowed" in problem


def test_oversized_files_are_refused(engine):
    huge = diagrams.two_stages().replace("</bpmn:definitions>", "<!--" + "x" * 3_000_000 + "--></bpmn:definitions>")
    [problem] = problems(engine, {"huge.bpmn": huge})
    assert "the limit is 2,097,152" in problem


def test_a_diagram_without_an_executable_process_is_refused(engine):
    [problem] = problems(engine, {"draft.bpmn": process('<bpmn:startEvent id="s"/>', executable=False)})
    assert "no executable process" in problem


def test_a_bad_condition_names_the_gateway(engine):
    [problem] = problems(engine, {"g.bpmn": gateway("amount &gt;")})
    assert "element 'decide' (Won?)" in problem and "invalid Python" in problem


@pytest.mark.parametrize("source", ["import os", "__import__('os')", "().__class__.__bases__", "open('/etc/passwd')"])
def test_unsafe_scripts_are_refused_at_deploy(engine, source):
    [problem] = problems(engine, {"s.bpmn": script(source)})
    assert "element 'calc' (Compute margin)" in problem and "not allowed" in problem


def test_a_malformed_timer_value_names_the_event(engine):
    [problem] = problems(engine, {"t.bpmn": diagrams.timer_then_task('"P1X"')})
    assert "element 'wait' (Wait)" in problem and "not a valid ISO 8601 duration" in problem


def test_service_tasks_must_name_a_registered_function(engine):
    assert problems(engine, {"s.bpmn": service("lead.assign")}) == []
    [problem] = problems(engine, {"s.bpmn": service("lead.teleport")})
    assert "element 'assign' (Assign lead)" in problem
    assert "service 'lead.teleport' is not a registered function (registered: lead.assign)" in problem


def test_a_missing_decision_table_is_named(engine):
    body = ('<bpmn:startEvent id="s"/><bpmn:businessRuleTask id="route" name="Route" camunda:decisionRef="nope"/>'
            '<bpmn:endEvent id="e"/>' + flows(("s", "route"), ("route", "e")))
    [problem] = problems(engine, {"r.bpmn": process(body)})
    assert "route" in problem and "nope" in problem


def test_a_missing_called_process_is_named(engine):
    body = ('<bpmn:startEvent id="s"/><bpmn:callActivity id="call" name="Approve" calledElement="approval"/>'
            '<bpmn:endEvent id="e"/>' + flows(("s", "call"), ("call", "e")))
    [problem] = problems(engine, {"c.bpmn": process(body)})
    assert "approval" in problem


def test_an_enum_field_without_values_is_named(engine):
    body = ('<bpmn:startEvent id="s"/>'
            + user_task("pick", "Pick", form='<camunda:formField id="choice" label="Choice" type="enum"/>')
            + '<bpmn:endEvent id="e"/>' + flows(("s", "pick"), ("pick", "e")))
    [problem] = problems(engine, {"f.bpmn": process(body)})
    assert "element 'pick' (Pick)" in problem and "enum without values" in problem
