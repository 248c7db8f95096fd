"""Moving a running instance onto another version of its process, in memory.

SpiffWorkflow's ``SpecDiff`` aligns the old version's elements with the new one's (by id,
then by place in the flow) and ``migrate_workflow`` re-predicts what lies ahead of every
waiting task. What it leaves to us, and this module adds:

- whether the move is safe, in words a designer reads: an instance waiting at an element
  the new version removed (or turned into another kind of step), or inside a called
  process it no longer has, stays where it is;
- what the instance already passed that the new version no longer has: those finished
  tasks are cut out of the tree (their children hang on their parent), as the state could
  not be loaded against the new version otherwise; their history stays in ``history_event``;
- what a waiting task keeps: its data (the library resets it to its parent's, losing what
  ``update_data`` gave it) and, unless its event changed, a timer's due moment (the library
  would start the wait again).

No database here; ``api.ProcessEngine`` locks, saves and re-projects.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from core.errors import Conflict
from core.phrases import Phrase

from .models import ProcessDefinition, ProcessInstance
from .serializer import StateSerializer
from .specs import LoadedSpec

# Where work stands still: tasks the move must find a place for in the new version.
ACTIVE = TaskState.WAITING | TaskState.READY | TaskState.STARTED | TaskState.ERROR
RESET = TaskState.READY | TaskState.WAITING  # what migrate_workflow resets and re-predicts
# Only used to compare task specs (the diff converts each to a dict); never for state.
_REGISTRY = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)


class MigrationRefused(Conflict):
    """The instance cannot move to that version; ``reasons`` says why, each in a designer's words."""

    def __init__(self, reasons: list[Phrase]) -> None:
        super().__init__(Phrase("This process cannot move: %(reasons)s", reasons="; ".join(reasons)))
        self.reasons = reasons


@dataclass(frozen=True)
class MigrationCheck:
    """A dry run's verdict on one instance: where it stands and why it cannot move (if so)."""

    instance_id: int
    business_key: str | None
    waits_at: list[str]
    reasons: list[Phrase]

    @property
    def can_move(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class Migrated:
    """One instance moved (or found already there: ``moved`` False)."""

    instance: ProcessInstance
    from_version: int
    to_version: int
    moved: bool


@dataclass
class _Part:
    """The top workflow or one of its subprocesses, with its diff against the new version."""

    workflow: Any  # BpmnWorkflow or BpmnSubWorkflow
    spec: BpmnProcessSpec
    specs: SpecDiff
    tasks: WorkflowDiff


def move(workflow: BpmnWorkflow, target: LoadedSpec, version: int) -> list[Phrase]:
    """Move ``workflow`` onto ``target`` (deployed as ``version``), changing it in place.

    Returns why it cannot move (nothing: it moved). Refused or not, the workflow may have
    been changed: a caller that was refused throws it away.
    """
    parts, refusals = _diff(workflow, target, version)
    if refusals:
        return refusals
    kept = {task.id: (task.data, task.internal_data)
            for part in parts for task in part.workflow.get_tasks(state=RESET, skip_subprocesses=True)}
    unchanged_events = {task.id for part in parts
                        for task in part.workflow.get_tasks(state=RESET, skip_subprocesses=True)
                        if "event_definition" not in part.specs.changed.get(task.task_spec, [])}
    workflow.subprocess_specs = dict(target.subprocess_specs)
    for part in parts:
        migrate_workflow(part.tasks, part.workflow, part.spec)
        for task in part.tasks.removed:
            if task.id in part.workflow.tasks and task.has_state(TaskState.FINISHED_MASK):
                _cut_out(part.workflow, task)
    for part in parts:
        for task in part.workflow.get_tasks(state=RESET, skip_subprocesses=True):
            if task.id in kept:
                data, internal = kept[task.id]
                task.data = data
                if task.id in unchanged_events:
                    task.internal_data = internal
    misplaced = [_label(task) for part in parts for task in part.workflow.get_tasks(skip_subprocesses=True)
                 if part.spec.task_specs.get(task.task_spec.name) is not task.task_spec]
    return [Phrase("'%(element)s' has no place in version %(version)s", element=element, version=version)
            for element in dict.fromkeys(misplaced)]


def refusals(instance: ProcessInstance, target: ProcessDefinition) -> list[Phrase]:
    """Why an instance cannot move whatever its state: not running, or another process."""
    if instance.process_key != target.key:
        return [Phrase("belongs to process %(key)s, not %(target)s", key=instance.process_key,
                       target=target.key)]
    if instance.status != "running":
        return [Phrase("is no longer running")]
    return []


def move_and_reload(workflow: BpmnWorkflow, target: LoadedSpec, version: int,
                    serializer: StateSerializer) -> tuple[BpmnWorkflow, list[Phrase]]:
    """``workflow`` moved onto ``target`` and read back as it would be stored (so what cannot be
    loaded is refused before anything is written), or the refusals and the workflow unmoved."""
    refused = move(workflow, target, version)
    if refused:
        return workflow, refused
    try:
        moved = serializer.loads(serializer.dumps(workflow), target)
    except Exception as exc:  # any failure to read it back means the move is not safe
        return workflow, [Phrase("version %(version)s cannot hold its state (%(error)s)",
                                 version=version, error=str(exc))]
    moved.script_engine = workflow.script_engine
    return moved, []


def waiting_at(workflow: BpmnWorkflow) -> list[str]:
    """The names of the elements where the instance stands, as a designer knows them."""
    return list(dict.fromkeys(_label(task) for task in workflow.get_tasks(state=ACTIVE)
                              if getattr(task.task_spec, "bpmn_id", None) is not None))


def _diff(workflow: BpmnWorkflow, target: LoadedSpec, version: int) -> tuple[list[_Part], list[Phrase]]:
    """Each part of the workflow diffed against its spec in ``target``, and the refusals."""
    parts: list[_Part] = []
    refusals: list[Phrase] = []
    specs = SpecDiff(_REGISTRY, workflow.spec, target.spec)
    parts.append(_Part(workflow, target.spec, specs, WorkflowDiff(workflow, specs)))
    for owner_id, subprocess in list(workflow.subprocesses.items()):
        spec = target.subprocess_specs.get(subprocess.spec.name)
        if spec is None:
            if subprocess.completed:
                _drop_subprocess(workflow, owner_id)
            else:
                owner = workflow.get_task_from_id(owner_id)
                element = _label(owner) if owner else subprocess.spec.name
                refusals.append(Phrase("is inside '%(element)s', which version %(version)s no longer has",
                                       element=element, version=version))
            continue
        specs = SpecDiff(_REGISTRY, subprocess.spec, spec)
        parts.append(_Part(subprocess, spec, specs, WorkflowDiff(subprocess, specs)))
    for part in parts:
        refusals += _refusals(part, version)
    return parts, list(dict.fromkeys(refusals))


def _refusals(part: _Part, version: int) -> Iterator[Phrase]:
    for task in part.workflow.get_tasks(state=ACTIVE, skip_subprocesses=True):
        new = part.specs.alignment.get(task.task_spec)
        if new is None or new.name != task.task_spec.name:
            yield Phrase("waits at '%(element)s', which version %(version)s removed",
                         element=_label(task), version=version)
        elif "typename" in part.specs.changed.get(task.task_spec, []):
            yield Phrase("waits at '%(element)s', which version %(version)s made a different kind of step",
                         element=_label(task), version=version)


def _cut_out(workflow: Any, task: Task) -> None:
    """Remove a finished task from the tree, its children taking its place under its parent."""
    parent = task.parent
    children = list(task._children)
    place = parent._children.index(task.id)
    parent._children[place:place + 1] = children
    for child in children:
        workflow.tasks[child]._parent = parent.id
    del workflow.tasks[task.id]
    if task.id in workflow.top_workflow.subprocesses:
        _drop_subprocess(workflow.top_workflow, task.id)
    if workflow.last_task is task:
        workflow.last_task = None


def _drop_subprocess(workflow: BpmnWorkflow, owner_id: UUID) -> None:
    """Forget a finished subprocess (and any it started) the new version no longer has."""
    dropped = workflow.subprocesses.pop(owner_id, None)
    if dropped is None:
        return
    for inner_id in [i for i, sp in workflow.subprocesses.items() if sp.parent_workflow is dropped]:
        _drop_subprocess(workflow, inner_id)


def _label(task: Task) -> str:
    spec = task.task_spec
    return str(getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name)
