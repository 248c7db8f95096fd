"""The engine's public face: deploy, start, complete, claim, message, cancel, fire timers.

Every method works inside the caller's transaction (a ``Session``) and never commits:
the use case that calls it decides when its whole unit of work is durable. An instance
is locked (``SELECT ... FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite)
before it is advanced, and its version column catches any writer that slipped past.

A step is two statements on PostgreSQL: the lock, which also reads the instance's open
task rows (what the projector compares against and a completion checks), and, once the
step has run in memory, one that writes the instance's new state (checking its version)
with every projection row (``projection.py`` works them out, ``saving.py`` writes them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import ColumnElement, CursorResult, delete, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from core.clock import Clock, SystemClock
from core.errors import Conflict
from core.phrases import Phrase

from . import deployment
from .clock import use_clock
from .decisions import Decision, decide
from .errors import (
    FormInvalid,
    InstanceBusy,
    InstanceNotFound,
    InstanceNotRunning,
    NoMatchingWait,
    Problem,
    ProcessStepFailed,
    TaskAlreadyCompleted,
    TaskAssignedToOther,
    TaskNotFound,
)
from .forms import FormField, validate_submission
from .functions import BUILT_IN
from .locking import INSERT_INSTANCE, adopt, lock
from .migration import Migrated, MigrationCheck, MigrationRefused, move_and_reload, refusals, waiting_at
from .models import EngineTimer, HistoryEvent, HumanTask, ProcessDefinition, ProcessInstance, TaskCandidate
from .outline import Element, outline
from .projection import (
    CARRIED_COLUMNS,
    BusinessResolver,
    OpenTasks,
    Projector,
    business_from_data,
)
from .queries import task_completion
from .saving import CHANGED_MEANWHILE, save_step
from .serializer import SERIALIZER_VERSION, StateSerializer
from .services import ServiceCall, ServiceRegistry
from .specs import LoadedSpec, SpecCache, Starters
from .stepping import (
    DealflowScriptEngine,
    StepLog,
    advance,
    complete_user_task,
    deliver_message,
    loop_item,
    new_workflow,
    waiting_timers,
)

MAX_CATCH_UP_CYCLES = 100
# Called after every step, in the step's transaction, with the history it wrote: how the
# business objects a process drives (an opportunity's stage) follow it without polling.
StepObserver = Callable[[Session, ProcessInstance, Sequence[HistoryEvent]], None]


class ProcessEngine:
    def __init__(self, clock: Clock | None = None, services: ServiceRegistry | None = None,
                 functions: Mapping[str, Callable[..., Any]] | None = None,
                 business: BusinessResolver = business_from_data,
                 observers: Sequence[StepObserver] = ()) -> None:
        self.clock = clock or SystemClock()
        use_clock(self.clock)
        self.services = services or ServiceRegistry()
        self.functions = {**BUILT_IN, **(functions or {})}
        self.business = business
        self.observers = list(observers)
        self.specs = SpecCache()
        self.serializer = StateSerializer()

    # -- definitions -------------------------------------------------------------------

    def check(self, files: deployment.Files) -> list[Problem]:
        return deployment.check(files, set(self.services), set(self.functions))[1]

    def deploy(self, session: Session, files: deployment.Files, deployed_by: str | None = None,
               note: str = "") -> list[ProcessDefinition]:
        return deployment.deploy(session, files, set(self.services), set(self.functions),
                                 self.clock.now(), deployed_by, note)

    # -- instances ---------------------------------------------------------------------

    def start(self, session: Session, key: str, business_key: str | None = None,
              data: Mapping[str, Any] | None = None, user: str | None = None) -> ProcessInstance:
        """Start the latest version of ``key``; runs until it waits for people or time."""
        definition_id = deployment.require_latest_id(session, key)
        loaded = self._spec(session, definition_id)
        now = self.clock.now()
        values = {"definition_id": definition_id, "process_key": key, "business_key": business_key,
                  "status": "running", "state": "{}", "serializer_version": SERIALIZER_VERSION, "error": None,
                  "started_by": user, "started_at": now, "updated_at": now, "ended_at": None, "version": 1}
        session.flush()  # what the caller changed goes first, as the ORM would order it
        instance_id = session.connection().execute(INSERT_INSTANCE, values).scalar_one()
        instance = adopt(session, {"id": instance_id, **values})  # its id is needed while it runs
        workflow = new_workflow(loaded, self._script_engine(session, instance), data or {})
        projector = self._projector(session, instance, {})  # a new instance has no task rows yet
        projector.history("instance_started", actor=user)
        log = StepLog()
        advance(workflow, log)
        self._save(instance, workflow, log, user, projector)
        return instance

    def outline(self, session: Session, definition_id: int) -> list[Element]:
        """The elements of a deployed version in flow order, from the cached spec."""
        definition = session.get(ProcessDefinition, definition_id)
        if definition is None:
            raise InstanceNotFound(Phrase("Process version %(id)s does not exist", id=definition_id))
        return outline(self.specs.get(definition))

    def starters(self, session: Session, key: str) -> Starters:
        """Who the latest version of ``key`` names as its starters; the caller decides what
        that allows (the diagram cannot know about admins)."""
        return self._spec(session, deployment.require_latest_id(session, key)).starters

    def decide(self, session: Session, decision_id: str | None, inputs: Mapping[str, Any], *,
               key: str | None = None, definition_id: int | None = None) -> Decision:
        """Evaluate a decision table a process calls, outside any instance: the latest
        version of ``key`` (what a new instance would decide) or the version
        ``definition_id`` (what a running one decided). Services are never called."""
        if definition_id is None:
            if key is None:
                raise ValueError("decide needs a process key or a definition id")
            definition_id = deployment.require_latest_id(session, key)
        return decide(self._spec(session, definition_id), decision_id, inputs,
                      DealflowScriptEngine(self.functions, invoke=_no_services))

    def complete(self, session: Session, task_id: str, data: Mapping[str, Any],
                 user: str | None, within: ColumnElement[bool] | None = None) -> ProcessInstance:
        """Complete a user task as ``user`` with form ``data``; the form's rules apply.

        ``within``, a condition on ``human_task`` (the caller's rule of what the user may
        see), is checked by the statement that takes the lock: a task outside it is not found.
        """
        locked = lock(session, task_id=task_id, within=within,
                            missing=lambda: self._missing_task(session, task_id))
        if task_id not in locked.tasks:  # another writer closed it while we waited for the lock
            self._task_row(session, task_id, refresh=True)
            raise TaskAlreadyCompleted(Phrase("This task is no longer open"))
        assignee, instance = locked.assignees[task_id], locked.instance
        if assignee and user and assignee != user:
            raise TaskAssignedToOther(Phrase("This task is assigned to %(name)s", name=assignee))
        workflow = self._load(session, instance)
        task = workflow.get_task_from_id(UUID(task_id))
        if task is None or task.state != TaskState.READY:
            raise TaskAlreadyCompleted(Phrase("This task is no longer open"))
        values = self._form_values(task, data)
        log = StepLog()
        complete_user_task(workflow, task, values, log)
        projector = self._projector(session, instance, locked.tasks)
        details = {"data": _jsonable(values)}
        if item := loop_item(task):  # which approver's, say, of a task open once per approver
            details["item"] = _jsonable(item)
        self._save(instance, workflow, log, user, projector, {task_id: details})
        return instance

    def task_form(self, session: Session, task_id: str) -> list[FormField]:
        """The task's form definition, read from the cached spec, not the instance."""
        task_spec = self._task_spec(session, task_id)
        return list(task_spec.extensions.get("form", [])) if task_spec is not None else []

    def task_instructions(self, session: Session, task_id: str) -> str:
        """What the diagram tells the person doing the task (its BPMN documentation)."""
        task_spec = self._task_spec(session, task_id)
        return (getattr(task_spec, "documentation", None) or "").strip()

    def _task_spec(self, session: Session, task_id: str) -> Any:
        row = self._task_row(session, task_id)
        definition = session.get(ProcessDefinition, row.definition_id)
        assert definition is not None
        loaded = self.specs.get(definition)
        for spec in [loaded.spec, *loaded.subprocess_specs.values()]:
            for task_spec in spec.task_specs.values():
                # A multi-instance task shares its bpmn id with the user task it repeats.
                if getattr(task_spec, "bpmn_id", None) == row.bpmn_id and task_spec.manual:
                    return task_spec
        return None

    def claim(self, session: Session, task_id: str, user: str) -> None:
        claimed = session.execute(
            update(HumanTask).where(HumanTask.id == task_id, HumanTask.assignee.is_(None))
            .values(assignee=user)
        )
        row = self._task_row(session, task_id, refresh=True)
        won = cast(CursorResult[Any], claimed).rowcount == 1
        if not won and row.assignee != user:
            raise TaskAssignedToOther(Phrase("This task was already claimed by %(name)s", name=row.assignee))
        if won:
            self._task_history(session, row, "task_claimed", user)

    def unclaim(self, session: Session, task_id: str, user: str) -> None:
        row = self._task_row(session, task_id, refresh=True)
        if row.assignee != user:
            raise TaskAssignedToOther(Phrase("Only the person who claimed a task can give it back"))
        row.assignee = None
        self._task_history(session, row, "task_unclaimed", user)

    def assign(self, session: Session, task_id: str, assignee: str | None, actor: str) -> None:
        row = self._task_row(session, task_id, refresh=True)
        previous, row.assignee = row.assignee, assignee
        self._task_history(session, row, "task_assigned", actor, {"from": previous, "to": assignee})

    def send_message(self, session: Session, name: str, business_key: str,
                     payload: Mapping[str, Any] | None = None, user: str | None = None) -> int:
        """Deliver a message to every running instance of ``business_key`` waiting for it."""
        ids = session.scalars(select(ProcessInstance.id).where(
            ProcessInstance.business_key == business_key, ProcessInstance.status == "running"
        ).order_by(ProcessInstance.id)).all()
        caught = 0
        for instance_id in ids:
            locked = lock(session, instance_id=instance_id)
            instance = locked.instance
            workflow = self._load(session, instance)
            log = StepLog()
            if deliver_message(workflow, name, payload or {}, log):
                projector = self._projector(session, instance, locked.tasks)
                self._save(instance, workflow, log, user, projector)
                caught += 1
        if not caught:
            raise NoMatchingWait(f"No running process for {business_key} is waiting for '{name}'")
        return caught

    def update_data(self, session: Session, instance_id: int, values: Mapping[str, Any],
                    user: str | None) -> None:
        """Change variables of a running instance, e.g. after its business object was edited:
        open tasks (and what the inbox shows of them) and the steps still to come see the
        new values. A finished instance is left as it was."""
        locked = lock(session, instance_id=instance_id)
        instance = locked.instance
        if instance.status != "running":
            return
        workflow = self._load(session, instance)
        for task in workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK):
            task.data.update(values)
        projector = self._projector(session, instance, locked.tasks)
        projector.history("data_changed", actor=user, details={"data": _jsonable(dict(values))})
        self._save(instance, workflow, StepLog(), user, projector)

    def cancel(self, session: Session, instance_id: int, user: str | None, reason: str = "") -> None:
        locked = lock(session, instance_id=instance_id)
        instance = locked.instance
        if instance.status != "running":
            raise InstanceNotRunning(f"Process {instance_id} is already {instance.status}")
        workflow = self._load(session, instance)
        workflow.cancel()
        instance.status, instance.ended_at = "cancelled", self.clock.now()
        projector = self._projector(session, instance, locked.tasks)
        projector.history("instance_cancelled", actor=user, details={"reason": reason} if reason else None)
        self._save(instance, workflow, StepLog(), user, projector)

    def fire_timers(self, session: Session, instance_id: int) -> bool:
        """Advance one instance whose timer is due; False if it is no longer running. A step
        that failed before (``error``) is cleared once the sweep gets through."""
        locked = lock(session, instance_id=instance_id)
        instance = locked.instance
        if instance.status != "running":
            session.execute(delete(EngineTimer).where(EngineTimer.instance_id == instance_id))
            return False
        workflow = self._load(session, instance)
        log = StepLog()
        self._catch_up(workflow, log)
        set_committed_value(instance, "error", None)
        self._save(instance, workflow, log, None, self._projector(session, instance, locked.tasks))
        return True

    def retry(self, session: Session, instance_id: int, user: str | None) -> None:
        """Run again the steps of a running instance whose last automatic step failed (a timer's
        service call, say), once the cause is fixed; ProcessStepFailed if it fails again."""
        locked = lock(session, instance_id=instance_id)
        instance = locked.instance
        if instance.status != "running":
            raise InstanceNotRunning(Phrase("This process is no longer running"))
        if not instance.error:
            raise Conflict(Phrase("This process has no failed step to retry"))
        workflow = self._load(session, instance)
        log = StepLog()
        self._catch_up(workflow, log)
        projector = self._projector(session, instance, locked.tasks)
        projector.history("step_retried", actor=user, details={"error": instance.error})
        set_committed_value(instance, "error", None)
        self._save(instance, workflow, log, user, projector)

    def note_failure(self, session: Session, instance_id: int, error: Exception, event: str,
                     actor: str | None = None, details: Mapping[str, Any] | None = None) -> None:
        """Keep a failed step's reason on the instance (``error``, shown to designers, who can
        retry it) and in its history, with the element that failed; in a transaction of its
        own, after the failed one was rolled back."""
        instance = session.get(ProcessInstance, instance_id, populate_existing=True)
        if instance is None:
            return
        message = str(error)[:2000]
        element = getattr(error, "element_id", None)
        instance.error = message
        name = self._spec(session, instance.definition_id).element_name(element)
        session.add(HistoryEvent(
            instance_id=instance_id, process_key=instance.process_key, business_key=instance.business_key,
            event=event, bpmn_id=element, name=name, actor=actor,
            at=self.clock.now(), details={"error": message, **(details or {})}))

    def instance_data(self, session: Session, instance_id: int) -> dict[str, Any]:
        """The variables of one instance as its next step would see them (for a designer looking
        into that instance; never for lists, which read the projections)."""
        instance = session.get(ProcessInstance, instance_id)
        if instance is None:
            raise InstanceNotFound(Phrase("Process %(id)s does not exist", id=instance_id))
        workflow = self._load(session, instance)
        waiting = workflow.get_tasks(state=TaskState.READY | TaskState.WAITING)
        data: dict[str, Any] = {}
        for task in waiting or [workflow.last_task or workflow.task_tree]:
            data.update(task.data)
        return data

    # -- moving instances between versions ---------------------------------------------

    def check_migration(self, session: Session, instance_ids: Sequence[int],
                        target_id: int) -> list[MigrationCheck]:
        """Dry run: could each instance move to version ``target_id`` now, and if not, why.
        Each is loaded and moved in memory; nothing is locked or written."""
        target = self._target(session, target_id)
        instances = session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(list(instance_ids)))
                                    .order_by(ProcessInstance.id)).all()
        checks = []
        for instance in instances:
            workflow = self._load(session, instance)
            at = waiting_at(workflow)
            reasons = refusals(instance, target) or self._move(workflow, target)[1]
            checks.append(MigrationCheck(instance.id, instance.business_key, at, reasons))
        return checks

    def migrate(self, session: Session, instance_id: int, target_id: int, user: str | None) -> Migrated:
        """Move one running instance to version ``target_id`` of its process, with its open
        tasks (claims and dates kept) and timers (due moments kept) re-projected and a history
        event, then run what it can (a step that failed before, fixed in the new version);
        MigrationRefused says why it cannot move. An instance already there is left as it is."""
        target = self._target(session, target_id)
        locked = lock(session, instance_id=instance_id)
        instance = locked.instance
        if instance.definition_id == target.id:
            return Migrated(instance, target.version, target.version, moved=False)
        refused = refusals(instance, target)
        if refused:
            raise MigrationRefused(refused)
        source = session.get_one(ProcessDefinition, instance.definition_id)
        workflow, refused = self._move(self._load(session, instance), target)
        if refused:
            raise MigrationRefused(refused)
        carried = {row[0]: dict(zip(CARRIED_COLUMNS, row[1:], strict=True)) for row in session.execute(
            select(HumanTask.id, *(getattr(HumanTask, c) for c in CARRIED_COLUMNS))
            .where(HumanTask.instance_id == instance_id))}
        session.execute(delete(TaskCandidate).where(TaskCandidate.task_id.in_(list(carried))))
        session.execute(delete(HumanTask).where(HumanTask.instance_id == instance_id))
        session.execute(delete(EngineTimer).where(EngineTimer.instance_id == instance_id))
        set_committed_value(instance, "definition_id", target.id)
        projector = self._projector(session, instance, {}, carried)
        projector.history("instance_migrated", actor=user, details={
            "from_version": source.version, "to_version": target.version,
            "from_definition_id": source.id, "to_definition_id": target.id})
        log = StepLog()
        self._catch_up(workflow, log)  # a step that failed on the old version runs again on the new
        set_committed_value(instance, "error", None)
        self._save(instance, workflow, log, user, projector)
        session.expire(instance, ["definition"])
        return Migrated(instance, source.version, target.version, moved=True)

    # -- internals ---------------------------------------------------------------------

    def _catch_up(self, workflow: BpmnWorkflow, log: StepLog) -> None:
        now = self.clock.now()
        for _ in range(MAX_CATCH_UP_CYCLES):  # a cycle timer fires one overdue cycle per refresh
            advance(workflow, log)
            if not any(due < now for _, due in waiting_timers(workflow)):
                break

    def _target(self, session: Session, target_id: int) -> ProcessDefinition:
        target = session.get(ProcessDefinition, target_id)
        if target is None:
            raise InstanceNotFound(Phrase("Process version %(id)s does not exist", id=target_id))
        return target

    def _move(self, workflow: BpmnWorkflow, target: ProcessDefinition) -> tuple[BpmnWorkflow, list[Phrase]]:
        return move_and_reload(workflow, self.specs.get(target), target.version, self.serializer)

    def _missing_task(self, session: Session, task_id: str) -> None:
        """Why a task was not found: closed (and by whom), gone, or outside what was allowed."""
        self._task_row(session, task_id)
        raise TaskNotFound(Phrase("This task does not exist or is no longer open"))

    def _task_row(self, session: Session, task_id: str, refresh: bool = False) -> HumanTask:
        row = session.get(HumanTask, task_id, populate_existing=refresh)
        if row is not None:
            return row
        done = task_completion(session, task_id)
        if done is not None:
            if done.event == "task_cancelled":
                raise TaskAlreadyCompleted(Phrase("This task was closed: the process moved on without it"))
            if done.actor:
                by = Phrase("This task was already completed by %(name)s", name=done.actor)
                raise TaskAlreadyCompleted(by)
            raise TaskAlreadyCompleted(Phrase("This task was already completed"))
        raise TaskNotFound(Phrase("This task does not exist or is no longer open"))

    def _load(self, session: Session, instance: ProcessInstance) -> BpmnWorkflow:
        loaded = self._spec(session, instance.definition_id)
        workflow = self.serializer.loads(instance.state, loaded)
        workflow.script_engine = self._script_engine(session, instance)
        return workflow

    def _spec(self, session: Session, definition_id: int) -> LoadedSpec:
        """The parsed spec of a version: the definition row (without its sources) is only
        read the first time a worker meets that version."""
        cached = self.specs.cached(definition_id)
        return cached or self.specs.get(session.get_one(ProcessDefinition, definition_id))

    def _save(self, instance: ProcessInstance, workflow: BpmnWorkflow, log: StepLog,
              actor: str | None, projector: Projector,
              details: Mapping[str, dict[str, Any]] | None = None) -> None:
        projector.project(workflow, log, actor, details or {})
        save_step(projector.session, instance, self.serializer.dumps(workflow), projector.now,
                  projector.changes)
        for observe in self.observers:
            observe(projector.session, instance, projector.events)
        try:  # whatever the observers changed
            projector.session.flush()
        except StaleDataError as exc:
            raise InstanceBusy(CHANGED_MEANWHILE) from exc

    def _projector(self, session: Session, instance: ProcessInstance, open_tasks: OpenTasks,
                   carried: Mapping[str, Mapping[str, Any]] | None = None) -> Projector:
        engine = self._script_engine(session, instance)
        return Projector(session, instance, self.clock.now(), self.business,
                         lambda task, expr: engine.evaluate(task, expr), open_tasks, carried)

    def _script_engine(self, session: Session, instance: ProcessInstance) -> DealflowScriptEngine:
        def invoke(task: Task, name: str, params: dict[str, Any]) -> Any:
            if name not in self.services:
                raise ProcessStepFailed(f"service '{name}' is not registered", task.task_spec.bpmn_id)
            return self.services.get(name)(ServiceCall(
                session=session, instance_id=instance.id, business_key=instance.business_key,
                task_id=str(task.id), element_id=task.task_spec.bpmn_id, params=params,
                data=task.data))

        return DealflowScriptEngine(self.functions, invoke)

    def _form_values(self, task: Task, data: Mapping[str, Any]) -> dict[str, Any]:
        form = task.task_spec.extensions.get("form") or []
        if not form:
            return dict(data)
        values, errors = validate_submission(form, data)
        if errors:
            raise FormInvalid(errors)
        return values

    def _task_history(self, session: Session, row: HumanTask, event: str, actor: str,
                      details: dict[str, Any] | None = None) -> None:
        session.add(HistoryEvent(
            instance_id=row.instance_id, process_key=row.process_key, business_key=row.business_key,
            event=event, task_guid=row.id, bpmn_id=row.bpmn_id, name=row.name, actor=actor,
            at=self.clock.now(), details=details))


def _no_services(task: Task, name: str, _params: dict[str, Any]) -> Any:
    raise ProcessStepFailed(f"service '{name}' cannot run while only evaluating a decision",
                            task.task_spec.bpmn_id)


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, (str, int, float, bool, type(None))) else str(v)
            for k, v in values.items()}

