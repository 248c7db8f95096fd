"""Drive the shipped diagrams in memory, the way the engine API drives them, minus the database.

With ``save_restore`` on, every action is followed by a save and a restore of the instance,
as it happens in production between two requests, so each test checks both ways that the
diagram behaves the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timer
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from bootstrap import shipped_bundles
from core.clock import ManualClock, SystemClock
from engine.clock import use_clock
from engine.forms import FormField, validate_submission
from engine.functions import BUILT_IN
from engine.serializer import StateSerializer
from engine.specs import LoadedSpec, ParseResult, parse_sources
from engine.stepping import (
    DealflowScriptEngine,
    StepLog,
    advance,
    complete_user_task,
    deliver_message,
    new_workflow,
    ready_user_tasks,
)
from workflows.workdays import WorkingDays

BUNDLES = {next(name for name in files if name.endswith(".bpmn")): files for files in shipped_bundles()}

# A plausible answer per field type, for the required fields a test does not care about.
SAMPLE_VALUES = {"string": "Acme", "textarea": "Notes", "long": "1", "decimal": "0.5",
                 "money": "1000.00", "date": "2026-03-31", "boolean": "true"}


def parsed(bpmn_name: str) -> ParseResult:
    return parse_sources(BUNDLES[bpmn_name])


def fill(form: list[FormField], **values: Any) -> dict[str, Any]:
    """A submission with ``values`` and a plausible value for every other required field."""
    submission: dict[str, Any] = {}
    for field in form:
        if field.required and field.id not in values:
            submission[field.id] = field.options[0][0] if field.type == "enum" else SAMPLE_VALUES[field.type]
    for field in form:
        if field.required_for({**submission, **values}) and field.id not in values | submission:
            submission[field.id] = field.options[0][0] if field.type == "enum" else SAMPLE_VALUES[field.type]
    return {**submission, **values}


class ShippedServices:
    """In-memory stand-ins for the services the shipped diagrams call, recording each call;
    the integration tests run the real ones against a database. ``contract.submit`` submits
    the margins queued in ``margins``, else the instance's own ``margin``."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.margins: list[object] = []
        self.reminders: list[str] = []  # whom approval.remind was asked to tell

    def __call__(self, task: Task, name: str, params: dict[str, Any]) -> Any:
        self.calls.append(name)
        if name == "contract.submit":
            margin = self.margins.pop(0) if self.margins else task.data["margin"]
            return {"number": "C-2026-1", "revenue": "100000.00", "margin": str(margin),
                    "round": self.calls.count(name)}
        if name == "lead.assign":
            return {"owner": None, "reason": "in memory"}
        if name == "approval.find_approvers":
            return {role: f"{role}.holder" for role in task.data["approver_role"]}
        if name in ("lead.log_follow_up", "account.log_follow_up"):
            return task.data["result"] != "no_answer"
        if name in ("lead.warn_recycle", "lead.recycle", "account.warn_recycle", "account.recycle"):
            return None
        if name == "visit.remind":
            return {"reminded": True}
        if name == "visit.log":
            return {"activity_id": 1}
        if name in ("contract.activate", "contract.send_back", "contract.withdraw", "approval.remind"):
            self.reminders += [params["to"]] if name == "approval.remind" else []
            return None
        raise AssertionError(f"no shipped diagram calls a service '{name}'")


class _TimerClock:
    """Whatever clock the engine's timers read (a test's, once ``engine_clock`` installed it)."""

    def now(self) -> datetime:
        return spiff_timer.datetime.now(UTC)


# The functions diagrams may call, as bootstrap registers them.
FUNCTIONS = {**BUILT_IN, "working_days": WorkingDays(_TimerClock(), "CN", "Asia/Shanghai").duration}


def script_engine(services: ShippedServices | None = None) -> DealflowScriptEngine:
    return DealflowScriptEngine(functions=FUNCTIONS, invoke=services or ShippedServices())


class Run:
    """One instance of a shipped process."""

    def __init__(self, loaded: LoadedSpec, data: Mapping[str, Any], save_restore: bool) -> None:
        self.loaded = loaded
        self.save_restore = save_restore
        self.serializer = StateSerializer()
        self.log = StepLog()
        self.services = ShippedServices()
        self.workflow = new_workflow(loaded, script_engine(self.services), data)
        self.advance()

    def ready(self, name: str | None = None) -> list[Task]:
        tasks = ready_user_tasks(self.workflow)
        return [t for t in tasks if name is None or t.task_spec.bpmn_name == name]

    def only(self, name: str) -> Task:
        """The one open task, which must be called ``name``."""
        tasks = self.ready()
        assert [t.task_spec.bpmn_name for t in tasks] == [name]
        return tasks[0]

    def submit(self, task: Task, submission: Mapping[str, Any]) -> None:
        """Complete ``task`` with a form submission, checked by the task's form as the web app does."""
        values, errors = validate_submission(task.task_spec.extensions["form"], submission)
        assert errors == {}, f"{task.task_spec.bpmn_name} refused {submission}: {errors}"
        current = self.workflow.get_task_from_id(task.id)  # the same task in a restored instance
        assert current.state == TaskState.READY
        complete_user_task(self.workflow, current, values, self.log)
        self._checkpoint()

    def advance(self) -> None:
        advance(self.workflow, self.log)
        self._checkpoint()

    def deliver(self, message: str, payload: Mapping[str, Any]) -> bool:
        caught = deliver_message(self.workflow, message, payload, self.log)
        self._checkpoint()
        return caught

    @property
    def ended_at(self) -> list[str]:
        """Names of the end events the instance reached (one, once it is over)."""
        return [t.task_spec.bpmn_name for t in self.workflow.get_tasks(state=TaskState.COMPLETED)
                if isinstance(t.task_spec, EndEvent)]

    @property
    def data(self) -> dict[str, Any]:
        return dict(self.workflow.data)

    def _checkpoint(self) -> None:
        if not self.save_restore:
            return
        state = self.serializer.dumps(self.workflow)
        self.workflow = self.serializer.loads(state, self.loaded)
        self.workflow.script_engine = script_engine(self.services)
        assert self.serializer.dumps(self.workflow) == state, "restoring changed the instance"


@pytest.fixture(params=[False, True], ids=["in-memory", "save-restore"])
def save_restore(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture(scope="session")
def processes() -> dict[str, LoadedSpec]:
    """Every shipped process by key, parsed with the decision tables of its folder."""
    loaded = {}
    for name in BUNDLES:
        for spec in parsed(name).processes:
            loaded[spec.key] = spec
    return loaded


@pytest.fixture
def start(processes: dict[str, LoadedSpec], save_restore: bool) -> Callable[..., Run]:
    def start_process(key: str, **data: Any) -> Run:
        return Run(processes[key], data, save_restore)

    return start_process


@pytest.fixture
def engine_clock(clock: ManualClock) -> Iterator[ManualClock]:
    """The test's clock, as the clock every timer reads; the system clock again afterwards."""
    use_clock(clock)
    yield clock
    use_clock(SystemClock())
