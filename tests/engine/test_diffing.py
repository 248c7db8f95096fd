"""What changed between two versions of a process, element by element, in words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bootstrap import SHIPPED_PROCESSES
from engine import ProcessDefinition, diff_definitions, diff_sources
from engine.diffing import Change
from tests import diagrams
from tests.diagrams import field, flows, process, user_task
from tests.integration.test_camunda_diagrams import ROUTE_DMN

PIPELINE = (SHIPPED_PROCESSES / "pipelines" / "standard_sale.bpmn").read_text()


def diff(old: str, new: str, key: str = "p", **extra: str) -> dict[str, tuple[str, list[str]]]:
    """Element id -> (status, details) of each change."""
    changes = diff_sources({"p.bpmn": old, **extra}, {"p.bpmn": new, **extra}, key)
    return {c.element_id: (c.status, [str(d) for d in c.details]) for c in changes}


def test_the_same_process_redrawn_has_no_changes():
    moved = PIPELINE.replace('<dc:Bounds x="1642" y="242"', '<dc:Bounds x="1700" y="300"').replace("\n    ", "\n  ")
    assert diff_sources({"a.bpmn": PIPELINE}, {"b.bpmn": moved}, "standard_sale") == []


def test_names_types_properties_and_people():
    old = diagrams.two_stages()
    new = (old.replace('name="Qualify"', 'name="Qualify the lead"')
           .replace('<camunda:property name="probability" value="20"/>',
                    '<camunda:property name="probability" value="30"/><camunda:property name="playbook" value="Call"/>')
           .replace('camunda:candidateGroups="sales_director" camunda:dueDate="P2D"',
                    'camunda:candidateGroups="sales_director,commercial_director" camunda:dueDate="P3D"')
           .replace('<bpmn:endEvent id="end"/>', '<bpmn:endEvent id="end"><bpmn:terminateEventDefinition/>'
                                                 "</bpmn:endEvent>"))
    assert diff(old, new) == {
        "qualify": ("changed", ["property probability: 20 → 30", "property playbook: Call",
                                "name: Qualify → Qualify the lead"]),
        "approve": ("changed", ["candidate groups: sales_director → sales_director, commercial_director",
                                "due date: P2D → P3D"]),
        "end": ("changed", ["type: end event → end event (terminate)"]),
    }


def test_form_fields():
    old = diagrams.two_stages()
    new = (old.replace(diagrams.field("note", "textarea"), "")
           .replace(diagrams.field("budget", "money", required=True), field("budget", "money")
                    + '<camunda:formField id="size" label="Size" type="enum"><camunda:value id="s" name="S"/>'
                      '<camunda:value id="m" name="M"/></camunda:formField>'))
    [(status, details)] = diff(old, new).values()
    assert status == "changed" and details == [
        "form field budget: Budget [money; required] → Budget [money]",
        "form field size: Size [enum: s|m]",
        "form field note removed (was Note [textarea])",
    ]


def test_flows_conditions_defaults_and_timers():
    def version(condition: str, default: str, target: str, wait: str) -> str:
        return process(
            '<bpmn:startEvent id="start" name="Start"/><bpmn:exclusiveGateway id="g" name="Won?" '
            f'default="{default}"/><bpmn:endEvent id="won" name="Won"/><bpmn:endEvent id="lost" name="Lost"/>'
            f'<bpmn:intermediateCatchEvent id="wait" name="Wait"><bpmn:timerEventDefinition><bpmn:timeDuration>'
            f"{wait}</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
            + flows(("start", "g"), ("wait", "lost"))
            + f'<bpmn:sequenceFlow id="f_won" name="won" sourceRef="g" targetRef="{target}"><bpmn:conditionExpression>'
            f"{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>"
            '<bpmn:sequenceFlow id="f_other" name="other" sourceRef="g" targetRef="wait"/>'
            '<bpmn:sequenceFlow id="f_lost" name="lost" sourceRef="g" targetRef="lost"/>')

    changes = diff(version("outcome == 'won'", "f_other", "won", '"P7D"'),
                   version("outcome == 'won' and amount", "f_lost", "lost", '"P14D"'))
    assert changes == {
        "g": ("changed", ["default flow: other → lost"]),
        "wait": ("changed", ['timer: "P7D" → "P14D"']),
        "f_won": ("changed", ["to: Won → Lost", "condition: outcome == 'won' → outcome == 'won' and amount"]),
    }


def test_added_elements_say_what_they_are_and_removed_ones_come_last():
    old = diagrams.two_stages()
    new = process(
        '<bpmn:startEvent id="start"/>'
        + user_task("negotiate", "Negotiate", 'camunda:candidateGroups="sales_rep"',
                    properties='<camunda:property name="stage" value="negotiate"/>')
        + user_task("approve", "Approve", 'camunda:candidateGroups="sales_director" camunda:dueDate="P2D"')
        + '<bpmn:endEvent id="end"/>' + flows(("start", "negotiate"), ("negotiate", "approve"), ("approve", "end")),
        name="Two stages")
    changes = diff_sources({"p.bpmn": old}, {"p.bpmn": new}, "p")
    assert [(c.element_id, c.status) for c in changes] == [
        ("negotiate", "added"), ("f_start_negotiate", "added"), ("f_negotiate_approve", "added"),
        ("qualify", "removed"), ("f_start_qualify", "removed"), ("f_qualify_approve", "removed")]
    negotiate, flow = changes[0], changes[1]
    assert (negotiate.kind, negotiate.name) == ("user task", "Negotiate")
    assert [str(d) for d in negotiate.details] == ["candidate groups: sales_rep", "property stage: negotiate"]
    assert [str(d) for d in flow.details] == ["from: start", "to: Negotiate"]
    assert changes[3] == Change("qualify", "removed", "user task", "Qualify")


def test_lanes_scripts_and_documentation():
    def version(lane: str, script: str, doc: str) -> str:
        return process(
            '<bpmn:laneSet id="ls"><bpmn:lane id="l1" name="Sales rep"><bpmn:flowNodeRef>calc</bpmn:flowNodeRef>'
            f'</bpmn:lane><bpmn:lane id="l2" name="{lane}"/></bpmn:laneSet>'
            f'<bpmn:startEvent id="s" name="S"/><bpmn:scriptTask id="calc" name="Calc"><bpmn:documentation>{doc}'
            f"</bpmn:documentation><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>"
            '<bpmn:endEvent id="e" name="E"/>' + flows(("s", "calc"), ("calc", "e")))

    assert diff(version("Finance", "x = 1", "Adds up"), version("Finance", "x = 2", "Adds up")) == {
        "calc": ("changed", ["script changed"])}
    assert diff(version("Finance", "x = 1", "Adds up"), version("Legal", "x = 1", "Sums")) == {
        "calc": ("changed", ["documentation changed"]), "l2": ("changed", ["name: Finance → Legal"])}
    moved = version("Finance", "x = 1", "Adds up").replace(
        "<bpmn:flowNodeRef>calc</bpmn:flowNodeRef></bpmn:lane><bpmn:lane id=\"l2\" name=\"Finance\"/>",
        '</bpmn:lane><bpmn:lane id="l2" name="Finance"><bpmn:flowNodeRef>calc</bpmn:flowNodeRef></bpmn:lane>')
    assert diff(version("Finance", "x = 1", "Adds up"), moved) == {"calc": ("changed", ["lane: Sales rep → Finance"])}


def test_an_edited_decision_table_shows_on_the_task_calling_it():
    body = ('<bpmn:startEvent id="s" name="S"/><bpmn:businessRuleTask id="route" name="Who approves?" '
            'camunda:decisionRef="approval_route"/><bpmn:endEvent id="e" name="E"/>'
            + flows(("s", "route"), ("route", "e")))
    xml = process(body)
    edited = ROUTE_DMN.replace("&lt; 0.3", "&lt; 0.25")
    changes = diff_sources({"p.bpmn": xml, "route.dmn": ROUTE_DMN}, {"p.bpmn": xml, "route.dmn": edited}, "p")
    assert [(c.element_id, [str(d) for d in c.details]) for c in changes] == [
        ("route", ["decision table rules changed"])]
    reindented = ROUTE_DMN.replace("\n      ", "\n    ")
    assert diff_sources({"p.bpmn": xml, "route.dmn": ROUTE_DMN}, {"p.bpmn": xml, "route.dmn": reindented}, "p") == []


def definition(key: str, version: int, xml: str) -> ProcessDefinition:
    return ProcessDefinition(key=key, version=version, name=key, content_hash="", sources={"p.bpmn": xml},
                             deployed_at=datetime(2026, 1, 5, tzinfo=UTC))


def test_two_deployed_versions_compare_and_different_processes_do_not():
    old, new = diagrams.two_stages(), diagrams.two_stages().replace('name="Approve"', 'name="Sign off"')
    [change] = diff_definitions(definition("p", 1, old), definition("p", 2, new))
    assert (change.element_id, change.status, change.details) == ("approve", "changed", ("name: Approve → Sign off",))
    with pytest.raises(ValueError, match="different processes"):
        diff_definitions(definition("p", 1, old), definition("q", 1, old))
