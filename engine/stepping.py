"""Advance a workflow in memory: no database, no clock of its own.

Every workflow, new or just deserialized, gets a fresh sandboxed script engine here;
SpiffWorkflow would otherwise fall back to plain ``eval``/``exec`` after a restore.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from core.errors import DealflowError

from .errors import ProcessStepFailed
from .sandbox import SandboxEnvironment, UnsafeExpression
from .specs import LoadedSpec

ServiceInvoker = Callable[[Task, str, dict[str, Any]], Any]


class DealflowScriptEngine(PythonScriptEngine):
    """Sandboxed expressions; service tasks go to the invoker with the task in hand."""

    def __init__(self, functions: Mapping[str, Callable[..., Any]], invoke: ServiceInvoker) -> None:
        super().__init__(environment=SandboxEnvironment(dict(functions)))
        self._invoke = invoke

    def call_service(self, task: Task, operation_name: str, operation_params: dict[str, Any]) -> str:
        params = {name: spec["value"] for name, spec in operation_params.items()}
        try:
            result = self._invoke(task, operation_name, params)
        except Exception as exc:  # the library's own handler here raises NameError (3.2.0 bug)
            raise WorkflowTaskException(f"service '{operation_name}' failed: {exc}", task=task,
                                        exception=exc) from exc
        return json.dumps(result, default=str)


@dataclass
class StepLog:
    """What one action made happen, in order, for the history projection."""

    completed: list[Task] = field(default_factory=list)

    def record(self, task: Task) -> None:
        if getattr(task.task_spec, "bpmn_id", None) is not None:
            self.completed.append(task)


def new_workflow(loaded: LoadedSpec, engine: PythonScriptEngine, data: Mapping[str, Any]) -> BpmnWorkflow:
    workflow = BpmnWorkflow(loaded.spec, dict(loaded.subprocess_specs), script_engine=engine)
    workflow.task_tree.data.update(data)
    return workflow


def advance(workflow: BpmnWorkflow, log: StepLog) -> None:
    """Run every engine task that can run, firing timers that are due."""
    _guarded(lambda: _advance(workflow, log))


def _advance(workflow: BpmnWorkflow, log: StepLog) -> None:
    workflow.refresh_timers()
    workflow.do_engine_steps(did_complete_task=log.record)


def complete_user_task(workflow: BpmnWorkflow, task: Task, data: Mapping[str, Any], log: StepLog) -> None:
    def run() -> None:
        task.task_spec.add_data_from_form(task, dict(data))
        task.run()
        log.record(task)
        _advance(workflow, log)

    _guarded(run)


def deliver_message(workflow: BpmnWorkflow, name: str, payload: Mapping[str, Any], log: StepLog) -> bool:
    """Hand a message to the workflow; False if it is not waiting for one of that name."""
    definition = MessageEventDefinition(name)
    try:
        workflow.send_event(BpmnEvent(definition, payload=dict(payload)))
    except WorkflowException:
        return False
    # Camunda semantics: without a message variable the payload becomes process data.
    for task in workflow.get_tasks(state=TaskState.READY):
        for event in _definitions(getattr(task.task_spec, "event_definition", None)):
            if isinstance(event, MessageEventDefinition) and event.name == name \
                    and event.message_var is None:
                task.data.update(payload)
    advance(workflow, log)
    return True


def ready_user_tasks(workflow: BpmnWorkflow) -> list[Task]:
    return list(workflow.get_tasks(state=TaskState.READY, manual=True))


def waiting_timers(workflow: BpmnWorkflow) -> list[tuple[Task, datetime]]:
    """Each waiting timer with the moment it is due."""
    timers = []
    for task in list(workflow.event_manager.tasks.values()):
        if task.state != TaskState.WAITING:
            continue
        for definition in _definitions(getattr(task.task_spec, "event_definition", None)):
            value = definition.details(task).value if isinstance(definition, TimerEventDefinition) else None
            if isinstance(value, str):
                timers.append((task, TimerEventDefinition.get_datetime(value)))
    return timers


def has_timer_events(workflow: BpmnWorkflow) -> bool:
    """Whether the process, or any process it calls, has a timer event anywhere."""
    return any(_spec_has_timers(spec) for spec in (workflow.spec, *workflow.subprocess_specs.values()))


_TIMED_SPECS: WeakKeyDictionary[Any, bool] = WeakKeyDictionary()


def _spec_has_timers(spec: Any) -> bool:
    """Specs are immutable and cached per deployed version, so the answer is kept per spec."""
    found = _TIMED_SPECS.get(spec)
    if found is None:
        found = _TIMED_SPECS[spec] = any(
            isinstance(definition, TimerEventDefinition) for task_spec in spec.task_specs.values()
            for definition in _definitions(getattr(task_spec, "event_definition", None)))
    return found


def _definitions(definition: Any) -> list[Any]:
    """The event definitions a catching task waits on; an event-based gateway has several."""
    if isinstance(definition, MultipleEventDefinition):
        return list(definition.event_definitions)
    return [] if definition is None else [definition]


def _guarded(action: Callable[[], None]) -> None:
    """Turn library and sandbox errors into one error naming the element that failed."""
    try:
        action()
    except UnsafeExpression as exc:
        raise ProcessStepFailed(f"refused by the sandbox: {exc}") from exc
    except SpiffWorkflowException as exc:
        refusal = _refusal(exc)
        if refusal is not None:
            raise refusal from exc
        task = getattr(exc, "task", None)
        spec = getattr(task, "task_spec", None)
        element = getattr(spec, "bpmn_id", None)
        label = f"'{element}' ({spec.bpmn_name})" if spec is not None and spec.bpmn_name else f"'{element}'"
        message = str(exc)
        if isinstance(exc.__cause__ or exc.__context__, UnsafeExpression):
            message = f"refused by the sandbox: {exc.__cause__ or exc.__context__}"
        raise ProcessStepFailed(f"element {label} failed: {message}", element) from exc


def loop_item(task: Task) -> dict[str, Any]:
    """The item a multi-instance task's instance works on (``{"role": "sales_director"}``),
    by the loop's element variable; empty for any other task."""
    item = getattr(task.parent.task_spec, "input_item", None) if task.parent is not None else None
    if item is None or item.bpmn_id not in task.data:
        return {}
    return {item.bpmn_id: task.data[item.bpmn_id]}


def _refusal(exc: BaseException) -> DealflowError | None:
    """A service that refused the step for a business reason ("this contract is already
    submitted"): the caller gets that refusal as it was phrased, not an engine failure."""
    inner: BaseException | None = exc
    while inner is not None:
        if isinstance(inner, DealflowError) and not isinstance(inner, ProcessStepFailed):
            return inner
        inner = inner.__cause__ or inner.__context__
    return None
