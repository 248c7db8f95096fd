"""What in a BPMN document the engine cannot run, found per element before SpiffWorkflow parses it.

Diagrams from other modelers carry things the engine cannot execute: the Camunda
Modeler's Java delegates and Groovy scripts, Signavio's complex gateways, bpmn.io
sketches with empty timers and link events. Left to the library, the first of them fails
the whole file with one exception, and some would parse and then misbehave (a link
event or a condition on a task's outgoing flow is silently ignored). Here each becomes a
``Problem`` naming its element, so a designer sees every one of them at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from lxml import etree

from core.phrases import Phrase

from .errors import Problem
from .parsing import BPMN_NS, CAMUNDA_NS, NO_FUNCTION, DealflowBusinessRuleTaskParser, DealflowParser

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS, "spiff": SPIFF_NS}

RUNNABLE = frozenset(etree.QName(tag).localname for tag in
                     {**DealflowParser.PARSER_CLASSES, **DealflowParser.OVERRIDE_PARSER_CLASSES})
CONTAINERS = frozenset({"subProcess", "transaction", "adHocSubProcess"})
# Children of a process that are not flow nodes: nothing for the engine to run.
NOT_FLOW_NODES = frozenset({
    "sequenceFlow", "laneSet", "dataObject", "dataObjectReference", "dataStoreReference",
    "textAnnotation", "association", "group", "documentation", "extensionElements",
    "ioSpecification", "property", "auditing", "monitoring", "incoming", "outgoing",
    "dataInputAssociation", "dataOutputAssociation", "completionCondition",
    "multiInstanceLoopCharacteristics", "standardLoopCharacteristics", "correlationSubscription",
})
CONDITIONAL_GATEWAYS = frozenset({"exclusiveGateway", "inclusiveGateway"})
# The event definitions the library parses on each kind of event; others it silently drops.
EVENTS = {
    "startEvent": frozenset({"message", "signal", "timer", "conditional"}),
    "endEvent": frozenset({"message", "cancel", "error", "escalation", "terminate"}),
    "intermediateCatchEvent": frozenset({"message", "signal", "timer", "conditional"}),
    "intermediateThrowEvent": frozenset({"escalation", "message", "signal"}),
    "boundaryEvent": frozenset({"cancel", "error", "escalation", "message", "signal", "timer",
                                "conditional"}),
}
EVENT_KINDS = {
    "message": Phrase("message"), "signal": Phrase("signal"), "timer": Phrase("timer"),
    "conditional": Phrase("conditional"), "cancel": Phrase("cancel"), "error": Phrase("error"),
    "escalation": Phrase("escalation"), "terminate": Phrase("terminate"), "link": Phrase("link"),
    "compensate": Phrase("compensation"),
}
ELEMENT_KINDS = {
    "task": Phrase("task"), "userTask": Phrase("user task"), "manualTask": Phrase("manual task"),
    "serviceTask": Phrase("service task"), "scriptTask": Phrase("script task"),
    "businessRuleTask": Phrase("business rule task"), "sendTask": Phrase("send task"),
    "receiveTask": Phrase("receive task"), "callActivity": Phrase("call activity"),
    "subProcess": Phrase("sub-process"), "transaction": Phrase("transaction"),
    "adHocSubProcess": Phrase("ad-hoc sub-process"), "startEvent": Phrase("start event"),
    "endEvent": Phrase("end event"), "intermediateCatchEvent": Phrase("intermediate catch event"),
    "intermediateThrowEvent": Phrase("intermediate throw event"), "boundaryEvent": Phrase("boundary event"),
    "exclusiveGateway": Phrase("exclusive gateway"), "inclusiveGateway": Phrase("inclusive gateway"),
    "parallelGateway": Phrase("parallel gateway"), "eventBasedGateway": Phrase("event-based gateway"),
    "complexGateway": Phrase("complex gateway"), "sequenceFlow": Phrase("sequence flow"),
    "lane": Phrase("lane"), "process": Phrase("process"),
}
PYTHON = frozenset({"", "python", "py", "python3", "text/x-python"})
JAVA_ATTRIBUTES = ("class", "delegateExpression", "expression")


def local(node: etree._Element) -> str:
    return str(etree.QName(node).localname)


def kind_of(node: etree._Element) -> str:
    """The element's kind in words (a ``Phrase``), e.g. "user task"."""
    tag = local(node)
    return ELEMENT_KINDS.get(tag, tag)


def event_kinds(node: etree._Element) -> list[str]:
    """The event definitions of an event, by short name ("timer", "message", "link"...)."""
    return [local(child).removesuffix("EventDefinition") for child in node
            if isinstance(child.tag, str) and local(child).endswith("EventDefinition")]


def unsupported(process: etree._Element, filename: str | None = None) -> list[Problem]:
    """Every element of ``process`` (and its sub-processes) the engine cannot execute."""
    outgoing: dict[str, list[etree._Element]] = defaultdict(list)
    nodes: dict[str, etree._Element] = {}
    for node in flow_elements(process):
        nodes[node.get("id", "")] = node
        if local(node) == "sequenceFlow":
            outgoing[node.get("sourceRef", "")].append(node)
    problems: list[Problem] = []
    for node in nodes.values():
        messages = (_flow_messages(node, nodes, outgoing) if local(node) == "sequenceFlow"
                    else _node_messages(node))
        problems += [Problem(message, node.get("id"), node.get("name") or None, filename, severity)
                     for message, severity in messages]
    return problems


def flow_elements(container: etree._Element) -> Iterator[etree._Element]:
    """Flow nodes and sequence flows of a process or sub-process, nested ones included."""
    for node in container:
        if not isinstance(node.tag, str) or etree.QName(node).namespace != BPMN_NS or not node.get("id"):
            continue
        tag = local(node)
        if tag == "sequenceFlow" or tag not in NOT_FLOW_NODES:
            yield node
        if tag in CONTAINERS:
            yield from flow_elements(node)


Messages = Iterator[tuple[str, str]]


def _node_messages(node: etree._Element) -> Messages:
    tag = local(node)
    if tag not in RUNNABLE:
        advice = _ADVICE.get(tag, Phrase("the engine cannot run this kind of element (%(kind)s)", kind=tag))
        yield advice, "error"
        return
    if tag in EVENTS:
        yield from _event_messages(node, tag)
    yield from _java_messages(node)
    if tag == "scriptTask":
        yield from _script_messages(node)
    elif tag == "serviceTask" and not _calls_java(node) and not _names_function(node):
        yield NO_FUNCTION, "error"
    elif tag == "businessRuleTask" and not DealflowBusinessRuleTaskParser.get_decision_ref(node):
        yield Phrase("the business rule task names no decision table: set its decision reference "
                     "(camunda:decisionRef)"), "error"
    elif tag == "callActivity" and not (node.get("calledElement") or "").strip():
        yield Phrase("the call activity names no process to call (calledElement)"), "error"
    for listener in node.xpath("./bpmn:extensionElements/camunda:executionListener"
                               "|./bpmn:extensionElements/camunda:taskListener", namespaces=_NS):
        yield Phrase("%(listener)s is ignored: the engine does not run Camunda listeners",
                     listener=local(listener)), "warning"


_ADVICE = {
    "complexGateway": Phrase("the engine cannot run complex gateways: use an exclusive, inclusive or "
                             "parallel gateway"),
}


def _event_messages(node: etree._Element, tag: str) -> Messages:
    for kind in event_kinds(node):
        if kind not in EVENTS[tag]:
            yield Phrase("the engine does not support %(definition)s events here (%(event)s)",
                         definition=EVENT_KINDS.get(kind, kind), event=ELEMENT_KINDS[tag]), "error"
    for timer in node.xpath("./bpmn:timerEventDefinition", namespaces=_NS):
        values = timer.xpath("./bpmn:timeDate|./bpmn:timeDuration|./bpmn:timeCycle", namespaces=_NS)
        if not values or not (values[0].text or "").strip():
            yield Phrase("the timer has no value: set a date, a duration (\"P7D\") or a cycle"), "error"
    for conditional in node.xpath("./bpmn:conditionalEventDefinition", namespaces=_NS):
        if not "".join(conditional.xpath("./bpmn:condition/text()", namespaces=_NS)).strip():
            yield Phrase("the conditional event has no condition"), "error"


def _calls_java(node: etree._Element) -> bool:
    return any(node.get(f"{{{CAMUNDA_NS}}}{name}") for name in JAVA_ATTRIBUTES) or bool(
        node.xpath("./bpmn:extensionElements/camunda:connector", namespaces=_NS))


def _java_messages(node: etree._Element) -> Messages:
    for owner in (node, *node.xpath("./bpmn:messageEventDefinition", namespaces=_NS)):
        for name in JAVA_ATTRIBUTES:
            value = owner.get(f"{{{CAMUNDA_NS}}}{name}")
            if value:
                yield Phrase("calls Java (camunda:%(attribute)s=\"%(value)s\"), which the engine cannot run: "
                             "set an external topic naming a registered function instead",
                             attribute=name, value=value), "error"
    if node.xpath("./bpmn:extensionElements/camunda:connector", namespaces=_NS):
        yield Phrase("uses a Camunda connector, which the engine cannot run: set an external topic "
                     "naming a registered function instead"), "error"


def _names_function(node: etree._Element) -> bool:
    return bool(node.get(f"{{{CAMUNDA_NS}}}topic") or node.xpath(
        "./bpmn:extensionElements/spiff:serviceTaskOperator", namespaces=_NS))


def _script_messages(node: etree._Element) -> Messages:
    language = (node.get("scriptFormat") or "").strip()
    resource = node.get(f"{{{CAMUNDA_NS}}}resource")
    if language.lower() not in PYTHON:
        yield Phrase("the script is written in %(language)s; the engine runs Python scripts only",
                     language=language), "error"
    elif resource:
        yield Phrase("the script is kept outside the diagram (%(resource)s): write the Python script "
                     "into the task", resource=resource), "error"
    elif not "".join(node.xpath("./bpmn:script/text()", namespaces=_NS)).strip():
        yield Phrase("the script task has no script"), "error"


def _flow_messages(flow: etree._Element, nodes: dict[str, etree._Element],
                   outgoing: dict[str, list[etree._Element]]) -> Messages:
    source = nodes.get(flow.get("sourceRef", ""))
    source_tag = local(source) if source is not None else ""
    condition = flow.find(f"{{{BPMN_NS}}}conditionExpression")
    if condition is not None:
        language = (condition.get("language") or "").strip()
        if language.lower() not in PYTHON:
            yield Phrase("the condition is written in %(language)s; conditions are Python expressions",
                         language=language), "error"
        elif condition.get(f"{{{CAMUNDA_NS}}}resource"):
            yield Phrase("the condition is kept outside the diagram: write it as a Python "
                         "expression"), "error"
        elif not (condition.text or "").strip():
            yield Phrase("the condition is empty"), "error"
        if source is not None and source_tag not in CONDITIONAL_GATEWAYS | {"complexGateway"}:
            yield Phrase("the engine ignores a condition on a flow leaving a %(kind)s: put an exclusive "
                         "gateway after it", kind=kind_of(source)), "error"
    elif (source is not None and source_tag in CONDITIONAL_GATEWAYS
          and len(outgoing[source.get("id", "")]) > 1 and source.get("default") != flow.get("id")):
        yield Phrase("leaves gateway '%(gateway)s' without a condition and is not its default flow: give "
                     "it a condition or make it the gateway's default", gateway=source.get("name")
                     or source.get("id")), "error"
