"""A process's elements in flow order, with their properties.

Pages that show a process as a sequence (a pipeline's path bar, a kanban's columns)
read it from the deployed diagram through this, so changing the diagram changes them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.specs.base import TaskSpec

from .specs import LoadedSpec


@dataclass(frozen=True)
class Element:
    """One flow node: ``kind`` is "user_task", "end_event" or "other"."""

    id: str
    name: str
    kind: str
    properties: Mapping[str, str] = field(default_factory=dict)
    documentation: str = ""


def outline(loaded: LoadedSpec) -> list[Element]:
    """Every element after the ones leading to it, flows looping back aside.

    A reverse depth-first postorder: unlike breadth-first, a flow back to an earlier
    stage (reopening a lost deal) cannot pull later stages ahead of the ones before them.
    """
    start: TaskSpec = loaded.spec.start
    seen = {start.name}
    stack: list[tuple[TaskSpec, Iterator[TaskSpec]]] = [(start, iter(start.outputs))]
    finished: list[TaskSpec] = []
    while stack:
        spec, outputs = stack[-1]
        following = next(outputs, None)
        if following is None:
            stack.pop()
            finished.append(spec)
        elif following.name not in seen:
            seen.add(following.name)
            stack.append((following, iter(following.outputs)))
    return [_element(spec, spec.bpmn_id) for spec in reversed(finished) if getattr(spec, "bpmn_id", None)]


def _element(spec: TaskSpec, bpmn_id: str) -> Element:
    extensions = getattr(spec, "extensions", None) or {}
    kind = "user_task" if spec.manual else "end_event" if isinstance(spec, EndEvent) else "other"
    return Element(id=bpmn_id, name=getattr(spec, "bpmn_name", None) or bpmn_id, kind=kind,
                   properties=dict(extensions.get("properties", {})),
                   documentation=(getattr(spec, "documentation", None) or "").strip())
