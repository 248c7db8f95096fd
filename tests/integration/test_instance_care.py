"""A designer looking after one instance: the step that failed (seen, retried), cancelling it,
and its data."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bootstrap import Container
from core.clock import ManualClock
from core.errors import Conflict, InvalidInput, PermissionDenied
from engine import HistoryEvent, HumanTask, ProcessInstance, ProcessStepFailed, ServiceCall, fire_due_timers
from tests.diagrams import flows, process, user_task
from tests.integration.test_process_migration import deploy, instance, open_task, start_at
from tests.versions import V1, pipeline
from workflows.audit import AuditEvent
from workflows.instances import care


def chase() -> str:
    """Wait a day, then a service call sends a reminder, then a task for the owner."""
    return process(
        '<bpmn:startEvent id="start"/>'
        '<bpmn:intermediateCatchEvent id="wait" name="Wait a day"><bpmn:timerEventDefinition>'
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P1D"</bpmn:timeDuration>'
        '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>'
        '<bpmn:serviceTask id="remind" name="Send reminder" camunda:type="external" camunda:topic="test.remind"/>'
        + user_task("call", "Call the customer", 'camunda:assignee="${owner}"')
        + '<bpmn:endEvent id="end"/>'
        + flows(("start", "wait"), ("wait", "remind"), ("remind", "call"), ("call", "end")),
        process_id="pipe",
    )


@pytest.fixture
def failing(container: Container, demo, clock: ManualClock) -> dict[str, object]:
    """An instance whose reminder service fails when its timer fires, until ``fixed`` is set."""
    state = {"fixed": False}

    def remind(call: ServiceCall) -> dict[str, bool]:
        if not state["fixed"]:
            raise RuntimeError("mail server refused the connection")
        return {"sent": True}

    container.engine.services.register("test.remind", remind)
    deploy(container, chase())
    state["instance"] = start_at(container, 0)
    clock.advance(days=1, minutes=1)
    report = fire_due_timers(container.engine, container.session_factory)
    assert report.fired == 0 and len(report.failed) == 1
    return state


def test_a_failed_timer_step_is_on_the_instance_with_the_element_that_failed(container, failing):
    instance_id = failing["instance"]
    failed = instance(container, instance_id)
    assert "mail server refused the connection" in failed.error
    with container.session_factory() as session:
        [event] = session.scalars(select(HistoryEvent).where(HistoryEvent.event == "timer_failed")).all()
    assert (event.bpmn_id, event.name) == ("remind", "Send reminder")
    assert "mail server refused" in event.details["error"]


def test_a_retry_that_fails_again_keeps_the_new_error_and_one_that_works_moves_on(container, failing, as_, clock):
    instance_id, designer = failing["instance"], as_("yang.fan")
    clock.advance(minutes=1)
    with pytest.raises(ProcessStepFailed, match="mail server refused"):
        care.retry_instance(container.session_factory, container.engine, designer, instance_id, clock.now())
    assert open_task(container, instance_id) is None
    failing["fixed"] = True
    care.retry_instance(container.session_factory, container.engine, designer, instance_id, clock.now())
    assert instance(container, instance_id).error is None
    assert open_task(container, instance_id).name == "Call the customer"
    with container.session_factory() as session:
        events = session.scalars(select(HistoryEvent.event).where(HistoryEvent.instance_id == instance_id)
                                 .order_by(HistoryEvent.id)).all()
        audits = session.scalars(select(AuditEvent).where(AuditEvent.action == "process_step_retried")
                                 .order_by(AuditEvent.id)).all()
    assert events[-6:] == ["timer_failed", "retry_failed", "step_retried", "timer_fired", "element_completed",
                           "task_created"]
    assert [(a.actor, a.details["outcome"]) for a in audits] == [("yang.fan", "failed"), ("yang.fan", "done")]
    with pytest.raises(Conflict, match="no failed step"):
        care.retry_instance(container.session_factory, container.engine, designer, instance_id, clock.now())


def test_the_sweep_clears_the_error_once_the_step_goes_through(container, failing, clock):
    failing["fixed"] = True
    clock.advance(minutes=6)  # past the retry the sweep scheduled
    assert fire_due_timers(container.engine, container.session_factory).fired == 1
    assert instance(container, failing["instance"]).error is None


def test_only_designers_retry(container, failing, as_, clock):
    with pytest.raises(PermissionDenied):
        care.retry_instance(container.session_factory, container.engine, as_("wang.fang"), failing["instance"],
                            clock.now())


def test_cancelling_needs_a_designer_and_a_reason_and_is_audited(container, demo, as_, clock):
    deploy(container, pipeline(*V1))
    instance_id = start_at(container, 1)
    with container.uow() as uow, pytest.raises(PermissionDenied):
        care.cancel_instance(uow.session, container.engine, as_("wang.fang"), instance_id, "no", clock.now())
    with container.uow() as uow, pytest.raises(InvalidInput) as missing:
        care.cancel_instance(uow.session, container.engine, as_("yang.fan"), instance_id, "  ", clock.now())
    assert missing.value.fields == {"reason": "is required"}
    with container.uow() as uow:
        care.cancel_instance(uow.session, container.engine, as_("yang.fan"), instance_id, "Duplicate deal",
                             clock.now())
        uow.commit()
    assert instance(container, instance_id).status == "cancelled"
    assert open_task(container, instance_id) is None
    with container.session_factory() as session:
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "process_cancelled")).one()
        cancelled = session.scalars(select(HistoryEvent).where(HistoryEvent.event == "instance_cancelled")).one()
        assert session.scalar(select(HumanTask.id)) is None
    assert (audit.actor, audit.subject, audit.details["reason"]) == (
        "yang.fan", f"process_instance:{instance_id}", "Duplicate deal")
    assert (cancelled.actor, cancelled.details) == ("yang.fan", {"reason": "Duplicate deal"})


def test_a_designer_sees_the_data_without_secrets(container, demo, as_):
    designer, rep = as_("yang.fan"), as_("wang.fang")
    deploy(container, pipeline(*V1))
    with container.uow() as uow:
        started = container.engine.start(uow.session, "pipe", "opportunity:9",
                                         {"owner": "wang.fang", "amount": "1200.50", "api_token": "s3cr3t"})
        uow.commit()
    with container.session_factory() as session:
        data = care.instance_data(session, container.engine, designer, started.id)
        with pytest.raises(PermissionDenied):
            care.instance_data(session, container.engine, rep, started.id)
        assert session.get(ProcessInstance, started.id).status == "running"
    assert data == {"amount": "1200.50", "api_token": care.HIDDEN, "owner": "wang.fang"}


def test_a_step_fixed_in_a_new_version_runs_when_the_instance_moves_there(container, failing, as_, clock):
    container.engine.services.register("test.remind_by_sms", lambda call: {"sent": True})
    fixed = deploy(container, chase().replace("test.remind", "test.remind_by_sms"))
    with container.uow() as uow:
        care.migrate_instance(uow.session, container.engine, as_("yang.fan"), failing["instance"], fixed,
                              clock.now())
        uow.commit()
    moved = instance(container, failing["instance"])
    assert (moved.definition_id, moved.error) == (fixed, None)
    assert open_task(container, failing["instance"]).name == "Call the customer"
