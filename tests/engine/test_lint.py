"""The designers' Check: the deploy check plus our rules, each finding on its element, errors first
deciding whether a deploy may go ahead."""

from __future__ import annotations

import pytest

from engine import ProcessEngine, ServiceRegistry, check_design
from engine.errors import Problem
from tests import diagrams
from tests.diagrams import flows, process, user_task
from tests.engine.conftest import BUNDLES, FUNCTIONS
from tests.engine.test_shipped_diagrams import SHIPPED_SERVICES
from workflows.org.models import ROLES


def findings(xml: str, services: set[str] | None = None, names: bool = False) -> list[tuple[str | None, str, str]]:
    """(element, severity, message) of each finding; missing names only when ``names``."""
    problems = check_design({"p.bpmn": xml}, services or set(), set(FUNCTIONS), ROLES)
    return [(p.element_id, p.severity, str(p.message)) for p in problems
            if names or not p.message.startswith("has no name")]


def timer(value: str) -> str:
    return diagrams.timer_then_task(value)


@pytest.mark.parametrize("bpmn_name", sorted(BUNDLES))
def test_the_shipped_diagrams_pass_without_a_finding(bpmn_name):
    assert [str(p) for p in check_design(BUNDLES[bpmn_name], SHIPPED_SERVICES, set(FUNCTIONS), ROLES)] == []


def test_unnamed_tasks_and_events_are_warnings_that_do_not_block_a_deploy():
    xml = process('<bpmn:startEvent id="start"/>' + user_task("work", "") + '<bpmn:endEvent id="end" name="Done"/>'
                  + flows(("start", "work"), ("work", "end")))
    assert findings(xml, names=True) == [
        ("start", "warning", "has no name, so people see its id instead: give the start event a name"),
        ("work", "warning", "has no name, so people see its id instead: give the user task a name"),
    ]
    assert ProcessEngine().check({"p.bpmn": xml}) == []  # the engine itself runs it


@pytest.mark.parametrize(("value", "expected"), [
    ('"P7D"', []),
    ("followup_every", []),
    ("${followup_every}", []),
    ("P7D", [("wait", "warning", 'timer value P7D is not quoted: it runs here because the engine quotes it, '
                                 'but write "P7D" so it reads as the Python expression it is')]),
    ("p7d", [("wait", "error", 'timer value p7d is not valid ISO 8601 and would be read as a variable that does '
                               'not exist: write it in capitals and quotes, e.g. "P7D" or "PT4H"')]),
    ("P1X", [("wait", "error", 'timer value P1X is not valid ISO 8601 and would be read as a variable that does '
                               'not exist: write it in capitals and quotes, e.g. "P7D" or "PT4H"')]),
    ('"P1X"', [("wait", "error", "timer value 'P1X' is not a valid ISO 8601 duration (e.g. \"P7D\", \"PT4H\")")]),
])
def test_timer_values(value, expected):
    assert findings(timer(value)) == expected


def gateway(*conditions: str | None, default: str | None = None) -> str:
    """A gateway "Won?" with one flow per condition (None: no condition) to its own end event."""
    body = '<bpmn:startEvent id="start" name="Start"/><bpmn:exclusiveGateway id="decide" name="Won?"'
    body += f' default="f{default}"/>' if default is not None else "/>"
    body += flows(("start", "decide"))
    for number, condition in enumerate(conditions):
        expression = (f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}'
                      "</bpmn:conditionExpression>") if condition else ""
        body += (f'<bpmn:endEvent id="e{number}" name="End {number}"/><bpmn:sequenceFlow id="f{number}" '
                 f'sourceRef="decide" targetRef="e{number}">{expression}</bpmn:sequenceFlow>')
    return process(body)


STUCK = ("decide", "error", "every flow leaving this gateway has a condition and none is its default: when no "
         "condition holds, the instance gets stuck here; make one flow the default")


def test_a_gateway_whose_every_flow_has_a_condition_needs_a_default():
    assert findings(gateway("won", "not won")) == [STUCK]
    assert findings(gateway("won")) == [STUCK]
    assert findings(gateway("won", None, default="1")) == []
    assert findings(gateway("won", "amount &gt; 5", default="1")) == []


def test_a_new_flow_without_a_condition_beside_the_default_is_an_error():
    """What a designer meets adding a stage after a gateway that already has its default flow."""
    [problem] = findings(gateway("won", None, None, default="1"))
    assert problem == ("f2", "error", "leaves gateway 'Won?' without a condition and is not its default flow: "
                                      "give it a condition or make it the gateway's default")


def test_candidate_groups_must_be_roles():
    xml = process('<bpmn:startEvent id="s" name="S"/>'
                  + user_task("a", "Approve", 'camunda:candidateGroups="sales_director, sales_wizard, ${team}"')
                  + '<bpmn:endEvent id="e" name="E"/>' + flows(("s", "a"), ("a", "e")))
    [(element, severity, message)] = findings(xml)
    assert (element, severity) == ("a", "error")
    assert message.startswith("candidate group 'sales_wizard' is not a role (roles: admin, commercial_director")


def test_starter_groups_must_be_roles():
    xml = diagrams.two_stages().replace('isExecutable="true"',
                                        'isExecutable="true" camunda:candidateStarterGroups="sales_rep, marketing"')
    [(element, severity, message)] = findings(xml)
    assert (element, severity) == ("p", "error") and message.startswith("starter group 'marketing' is not a role")


def lanes(*lanes: tuple[str, str, str]) -> str:
    """One user task per (lane name, task id, candidate groups)."""
    tasks = "".join(user_task(task, task.title(), f'camunda:candidateGroups="{groups}"' if groups else "")
                    for _, task, groups in lanes)
    lane_set = "".join(f'<bpmn:lane id="lane_{task}" name="{name}"><bpmn:flowNodeRef>{task}</bpmn:flowNodeRef>'
                       "</bpmn:lane>" for name, task, _ in lanes)
    ids = [task for _, task, _ in lanes]
    return process(f'<bpmn:laneSet id="lanes">{lane_set}</bpmn:laneSet><bpmn:startEvent id="s" name="S"/>' + tasks
                   + '<bpmn:endEvent id="e" name="E"/>' + flows(*zip(["s", *ids], [*ids, "e"], strict=True)))


def test_a_lane_handing_tasks_to_its_role_must_name_a_role():
    assert findings(lanes(("Sales Director", "approve", ""), ("Legal", "review", "sales_manager"))) == []
    [(element, severity, message)] = findings(lanes(("Legal", "review", ""), ("法务", "sign", "finance")))
    assert (element, severity) == ("lane_review", "error")
    assert message.startswith("the lane hands Review to role 'legal', which does not exist: name the lane after a "
                              "role (admin, ")


def test_unknown_service_functions_are_reported_once_even_where_the_engine_cannot_load_the_process():
    service = ('<bpmn:serviceTask id="assign" name="Assign" camunda:type="external" camunda:topic="lead.teleport"/>'
               + flows(("s", "assign"), ("assign", "e")))
    runnable = process('<bpmn:startEvent id="s" name="S"/><bpmn:endEvent id="e" name="E"/>' + service)
    message = "service 'lead.teleport' is not a registered function (registered: lead.assign)"
    assert findings(runnable, {"lead.assign"}) == [("assign", "error", message)]
    sketch = runnable.replace('isExecutable="true"', 'isExecutable="false"')
    assert ("assign", "error", message) in findings(sketch, {"lead.assign"})


def test_findings_come_in_the_order_of_the_diagram_with_file_problems_first():
    xml = process('<bpmn:startEvent id="start"/>' + user_task("a", "", 'camunda:candidateGroups="nobody"')
                  + '<bpmn:scriptTask id="calc" name="Calc"><bpmn:script>import os</bpmn:script></bpmn:scriptTask>'
                  + '<bpmn:endEvent id="end"/>' + flows(("start", "a"), ("a", "calc"), ("calc", "end")))
    problems = check_design({"p.bpmn": xml}, set(), set(FUNCTIONS), ROLES)
    assert [(p.element_id, p.severity) for p in problems] == [
        ("start", "warning"), ("a", "error"), ("a", "warning"), ("calc", "error"), ("end", "warning")]
    problems = check_design({"p.bpmn": xml, "broken.dmn": "<oops"}, set(), set(FUNCTIONS), ROLES)
    assert [(p.file, p.element_id) for p in problems] == [  # the engine stops at a bad file; the rules do not
        ("broken.dmn", None), ("p.bpmn", "start"), ("p.bpmn", "a"), ("p.bpmn", "a"), ("p.bpmn", "end")]


def test_the_deploy_check_is_part_of_it_and_blocks_with_errors_only():
    services = ServiceRegistry()
    engine = ProcessEngine(services=services)
    bad = diagrams.two_stages().replace("${owner}", "${owner.__class__}")
    problems = check_design({"p.bpmn": bad}, set(services), set(engine.functions), ROLES)
    [error] = [problem for problem in problems if problem.blocking]
    assert isinstance(error, Problem) and error.element_id == "qualify" and "not allowed" in error.message
    assert {p.element_id for p in problems if not p.blocking} == {"start", "end"}  # unnamed: warnings
    good = diagrams.two_stages().replace('<bpmn:startEvent id="start"/>', '<bpmn:startEvent id="start" name="Go"/>')
    assert [p.element_id for p in check_design({"p.bpmn": good}, set(), set(engine.functions), ROLES)] == ["end"]
