"""BPMN documents the engine benchmark runs, written the way the Camunda Modeler writes them."""

from __future__ import annotations

NAMESPACES = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'
)

STAGE_FORM = (
    "<bpmn:extensionElements><camunda:formData>"
    '<camunda:formField id="note" label="Note" type="string"><camunda:validation>'
    '<camunda:constraint name="required"/></camunda:validation></camunda:formField>'
    '<camunda:formField id="score" label="Score" type="long"/>'
    "</camunda:formData></bpmn:extensionElements>"
)


def _document(process_id: str, name: str, body: str, attributes: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions {NAMESPACES} id="defs_{process_id}" '
        f'targetNamespace="http://bpmn.io/schema/bpmn"><bpmn:process id="{process_id}" name="{name}" '
        f'isExecutable="true"{attributes}>{body}</bpmn:process></bpmn:definitions>'
    )


def _flows(ids: list[str]) -> str:
    return "".join(
        f'<bpmn:sequenceFlow id="flow_{a}_{b}" sourceRef="{a}" targetRef="{b}"/>'
        for a, b in zip(ids, ids[1:], strict=False)
    )


def pipeline(stages: int, process_id: str | None = None, starter_groups: str = "") -> str:
    """start -> stage_1 -> ... -> stage_N -> end; each stage a user task for the owner.

    ``starter_groups`` lets those roles start it by hand (``camunda:candidateStarterGroups``).
    """
    process_id = process_id or f"pipeline{stages}"
    tasks = "".join(
        f'<bpmn:userTask id="stage_{i}" name="Stage {i}" camunda:assignee="${{owner}}" '
        f'camunda:candidateGroups="sales_rep">{STAGE_FORM}</bpmn:userTask>'
        for i in range(1, stages + 1)
    )
    ids = ["start", *(f"stage_{i}" for i in range(1, stages + 1)), "end"]
    body = f'<bpmn:startEvent id="start"/>{tasks}<bpmn:endEvent id="end"/>{_flows(ids)}'
    starters = f' camunda:candidateStarterGroups="{starter_groups}"' if starter_groups else ""
    return _document(process_id, f"{stages}-stage pipeline", body, starters)


def timer_wait(duration: str = "P3D", process_id: str = "timer_wait") -> str:
    """start -> intermediate timer catch event (``duration``) -> end."""
    body = (
        '<bpmn:startEvent id="start"/>'
        '<bpmn:intermediateCatchEvent id="wait" name="Wait"><bpmn:timerEventDefinition>'
        f'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{duration}</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        f'<bpmn:endEvent id="end"/>{_flows(["start", "wait", "end"])}'
    )
    return _document(process_id, f"Wait {duration}", body)
