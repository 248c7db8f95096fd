"""Bugs found while drawing the shipped diagrams: event-based gateways and clashing ids.

Each test failed before its fix: a timer behind an event-based gateway was never
projected (so never fired), a message caught there lost its payload, and a form value
with the same id as a task shadowed the task.
"""

from __future__ import annotations

from datetime import timedelta

from engine.specs import parse_sources
from engine.stepping import deliver_message, waiting_timers
from tests.diagrams import flows, process, user_task
from tests.engine.conftest import Run


def first_of_timer_or_message() -> str:
    """Start, then an event-based gateway: a 7-day timer or the message ``contact_logged``."""
    body = (
        '<bpmn:startEvent id="start"/><bpmn:eventBasedGateway id="wait"/>'
        '<bpmn:intermediateCatchEvent id="due" name="Due"><bpmn:timerEventDefinition>'
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P7D"</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        '<bpmn:intermediateCatchEvent id="logged" name="Logged">'
        '<bpmn:messageEventDefinition messageRef="msg"/></bpmn:intermediateCatchEvent>'
        + user_task("follow_up", "Follow up")
        + '<bpmn:endEvent id="done"/><bpmn:endEvent id="contacted"/>'
        + flows(("start", "wait"), ("wait", "due"), ("wait", "logged"), ("due", "follow_up"),
                ("follow_up", "done"), ("logged", "contacted"))
    )
    return process(body, process_id="cycle").replace(
        "</bpmn:definitions>", '<bpmn:message id="msg" name="contact_logged"/></bpmn:definitions>')


def start_cycle() -> Run:
    [loaded] = parse_sources({"cycle.bpmn": first_of_timer_or_message()}).processes
    return Run(loaded, {"owner": "alice"}, save_restore=False)


def test_a_timer_behind_an_event_based_gateway_is_projected(engine_clock):
    run = start_cycle()
    assert [due for _, due in waiting_timers(run.workflow)] == [engine_clock.now() + timedelta(days=7)]


def test_a_message_caught_by_an_event_based_gateway_keeps_its_payload(engine_clock):
    run = start_cycle()
    assert deliver_message(run.workflow, "contact_logged", {"channel": "visit"}, run.log)
    assert run.workflow.is_completed()
    assert run.workflow.data.get("channel") == "visit"


def test_a_form_value_may_share_its_id_with_a_task():
    form = ('<camunda:formField id="decision" label="Decision" type="enum">'
            '<camunda:value id="approve" name="Approve"/></camunda:formField>')
    body = ('<bpmn:startEvent id="start"/>' + user_task("approve", "Approve", form=form)
            + '<bpmn:endEvent id="end"/>' + flows(("start", "approve"), ("approve", "end")))
    result = parse_sources({"approve.bpmn": process(body)})
    assert [str(p) for p in result.problems] == []
