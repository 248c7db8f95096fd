"""Versions of a small linear pipeline, drawn (with diagram interchange, so bpmn-js shows
them), for tests that watch a version's instances and move them to another version."""

from __future__ import annotations

from tests.diagrams import NAMESPACES, flows, user_task

DI = ('xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
      'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI"')


def stage(stage_id: str) -> str:
    """A stage for the owner: ``propose`` is named "Propose" and is stage ``propose``."""
    return user_task(stage_id, stage_id.title(), 'camunda:assignee="${owner}" camunda:candidateGroups="sales_rep"',
                     properties=f'<camunda:property name="stage" value="{stage_id}"/>')


def timer(timer_id: str, duration: str) -> str:
    return (f'<bpmn:intermediateCatchEvent id="{timer_id}" name="{timer_id.title()}"><bpmn:timerEventDefinition>'
            f'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"{duration}"</bpmn:timeDuration>'
            '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>')


def pipeline(*steps: str, process_id: str = "pipe", name: str = "Pipe", timers: dict[str, str] | None = None) -> str:
    """start → each step in turn → end, drawn left to right; ``timers`` makes those steps
    timer events (id → ISO duration), the others are stages."""
    timers = timers or {}
    nodes = ["start", *steps, "end"]
    body = ('<bpmn:startEvent id="start"/>'
            + "".join(timer(s, timers[s]) if s in timers else stage(s) for s in steps)
            + '<bpmn:endEvent id="end"/>' + flows(*zip(nodes, nodes[1:], strict=False)))
    shapes, edges, right_edges = [], [], []
    for number, node in enumerate(nodes):
        small = node in ("start", "end") or node in timers
        width, height = (36, 36) if small else (100, 80)
        x, y = 50 + number * 150, 100 - height // 2
        right_edges.append(x + width)
        shapes.append(f'<bpmndi:BPMNShape id="{node}_di" bpmnElement="{node}">'
                      f'<dc:Bounds x="{x}" y="{y}" width="{width}" height="{height}"/></bpmndi:BPMNShape>')
    for number, (a, b) in enumerate(zip(nodes, nodes[1:], strict=False)):
        edges.append(f'<bpmndi:BPMNEdge id="f_{a}_{b}_di" bpmnElement="f_{a}_{b}"><di:waypoint '
                     f'x="{right_edges[number]}" y="100"/><di:waypoint x="{50 + (number + 1) * 150}" y="100"/>'
                     '</bpmndi:BPMNEdge>')
    diagram = (f'<bpmndi:BPMNDiagram id="diagram"><bpmndi:BPMNPlane id="plane" bpmnElement="{process_id}">'
               + "".join(shapes) + "".join(edges) + "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions {NAMESPACES} {DI} id="defs" '
            f'targetNamespace="http://bpmn.io/schema/bpmn"><bpmn:process id="{process_id}" name="{name}" '
            f'isExecutable="true">{body}</bpmn:process>{diagram}</bpmn:definitions>')


# Version 1 and version 2 of the pipeline the migration tests move instances between:
# version 2 adds "Review" after "Qualify" and removes "Negotiate".
V1 = ("qualify", "propose", "negotiate", "sign")
V2 = ("qualify", "review", "propose", "sign")
