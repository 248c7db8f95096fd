"""Turn BPMN/DMN XML into SpiffWorkflow specs, understanding Camunda 7 diagrams too.

Designers draw in bpmn-js or the Camunda Modeler (Camunda 7 mode), so besides
SpiffWorkflow's own extensions the parser reads ``camunda:candidateGroups``,
``candidateUsers``, ``assignee``, ``dueDate``, ``followUpDate``, ``formKey``,
``formData``, ``properties``, ``decisionRef`` and external-task topics. Before parsing,
expressions are normalised: a ``${...}`` wrapper is stripped and a bare ISO 8601 timer
literal (``P7D``) is quoted, so Camunda-style diagrams run unchanged.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import EndEvent, IntermediateThrowEvent
from SpiffWorkflow.spiff.parser.event_parsers import SpiffEndEventParser, SpiffIntermediateThrowEventParser
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser, SpiffProcessParser
from SpiffWorkflow.spiff.parser.task_spec import (
    BusinessRuleTaskParser,
    ServiceTaskParser,
    UserTaskParser,
)
from SpiffWorkflow.spiff.specs.defaults import BusinessRuleTask, ServiceTask, UserTask

from .forms import parse_form_data

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}

_WRAPPED = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.DOTALL)
_ISO_TIMER = re.compile(
    r"^(R\d*/)?(P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
    r"|\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?)(/.*)?$"
)
NO_FUNCTION = ("A service task needs the name of a registered function: set an external "
               "topic (camunda:type=\"external\" camunda:topic=\"...\")")
_EXPRESSION_TAGS = ("conditionExpression", "completionCondition", "loopCardinality")
_TIMER_TAGS = ("timeDate", "timeDuration", "timeCycle")


def is_wrapped(text: str) -> bool:
    """True for a Camunda-style ``${...}`` expression (as opposed to a literal value)."""
    return _WRAPPED.match(text) is not None


def unwrap_expression(text: str) -> str:
    """``${amount > 10}`` becomes ``amount > 10``; anything else is returned unchanged."""
    match = _WRAPPED.match(text)
    return match.group(1).strip() if match else text


def normalise_timer(text: str) -> str:
    """Quote a bare ISO 8601 duration, date or cycle so it evaluates as a string."""
    stripped = unwrap_expression(text.strip())
    return repr(stripped) if _ISO_TIMER.match(stripped) else stripped


def normalise(root: etree._Element) -> etree._Element:
    """Return a copy of a BPMN document with Camunda-style expressions made Python."""
    root = copy.deepcopy(root)
    for tag in _EXPRESSION_TAGS:
        for node in root.iter(f"{{{BPMN_NS}}}{tag}"):
            if node.text:
                node.text = unwrap_expression(node.text)
    for tag in _TIMER_TAGS:
        for node in root.iter(f"{{{BPMN_NS}}}{tag}"):
            if node.text:
                node.text = normalise_timer(node.text)
    return root


def camunda_attr(node: etree._Element, name: str) -> str | None:
    value = node.get(f"{{{CAMUNDA_NS}}}{name}")
    return value.strip() if value and value.strip() else None


def split_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _camunda_properties(node: etree._Element) -> dict[str, str]:
    props = node.xpath("./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=NS)
    return {p.get("name"): p.get("value", "") for p in props if p.get("name")}


class DealflowUserTaskParser(UserTaskParser):
    """Reads who may work the task, its form and its properties from either dialect."""

    def parse_extensions(self, node: etree._Element | None = None) -> dict[str, Any]:
        node = self.node if node is None else node
        ext: dict[str, Any] = super().parse_extensions(node)
        ext["properties"] = {**_camunda_properties(node), **ext.get("properties", {})}
        for name in ("assignee", "dueDate", "followUpDate", "formKey", "priority"):
            value = camunda_attr(node, name)
            if value is not None:
                ext.setdefault(name, value)
        ext["candidateGroups"] = split_list(camunda_attr(node, "candidateGroups"))
        ext["candidateUsers"] = split_list(camunda_attr(node, "candidateUsers"))
        form = node.xpath("./bpmn:extensionElements/camunda:formData", namespaces=NS)
        ext["form"] = parse_form_data(form[0]) if form else []
        return ext


class CamundaPropertiesMixin:
    """Events carry properties too: a pipeline's closed states name their stage on an end
    event or on a none intermediate event (a milestone) where a lost deal waits."""

    node: etree._Element

    def parse_extensions(self, node: etree._Element | None = None) -> dict[str, Any]:
        node = self.node if node is None else node
        ext: dict[str, Any] = super().parse_extensions(node)  # type: ignore[misc]
        ext["properties"] = {**_camunda_properties(node), **ext.get("properties", {})}
        return ext


class DealflowEndEventParser(CamundaPropertiesMixin, SpiffEndEventParser):
    pass


class DealflowThrowEventParser(CamundaPropertiesMixin, SpiffIntermediateThrowEventParser):
    pass


class DealflowBusinessRuleTaskParser(BusinessRuleTaskParser):
    @staticmethod
    def get_decision_ref(node: etree._Element) -> str | None:
        return BusinessRuleTaskParser.get_decision_ref(node) or camunda_attr(node, "decisionRef")

    def parse_extensions(self, node: etree._Element | None = None) -> dict[str, Any]:
        """Adds the called decision's id and name: of the decision, the library keeps only its table."""
        node = self.node if node is None else node
        ext: dict[str, Any] = super().parse_extensions(node)
        ref = self.get_decision_ref(node)
        dmn = self.process_parser.parser.dmn_parsers.get(ref)  # a missing one is reported by get_engine
        ext.update(decisionRef=ref, decisionName=(dmn.get_name() if dmn else None) or ref)
        return ext


class DealflowServiceTaskParser(ServiceTaskParser):
    """Accepts a Camunda external-task topic as the name of a registered function."""

    def create_task(self) -> ServiceTask:
        extensions = self.parse_extensions()
        if extensions.get("serviceTaskOperator") is not None:
            return super().create_task()
        topic = camunda_attr(self.node, "topic")
        if topic is None:
            raise ValidationException(
                NO_FUNCTION,
                node=self.node,
                file_name=self.filename,
            )
        return ServiceTask(
            self.spec,
            self.bpmn_id,
            operation_name=topic,
            operation_params=self._camunda_parameters(),
            result_variable=camunda_attr(self.node, "resultVariable") or "",
            prescript=extensions.get("preScript"),
            postscript=extensions.get("postScript"),
            **self.bpmn_attributes,
        )

    def _camunda_parameters(self) -> dict[str, dict[str, str]]:
        params = {}
        path = "./bpmn:extensionElements/camunda:inputOutput/camunda:inputParameter"
        for node in self.node.xpath(path, namespaces=NS):
            text = (node.text or "").strip()
            expression = unwrap_expression(text) if is_wrapped(text) else repr(text)
            params[node.get("name")] = {"value": expression, "type": "any"}
        return params


class DealflowProcessParser(SpiffProcessParser):
    def _index_process_nodes(self) -> None:
        """BPMN elements win over extension elements that share their id.

        The library indexes every element with an id, so a form value ``approve`` would
        otherwise shadow the user task ``approve`` the flows point to.
        """
        super()._index_process_nodes()
        for node in self.xpath(".//bpmn:*[@id]"):
            self.nodes_by_id[node.get("id")] = node


class DealflowParser(SpiffBpmnParser):
    PROCESS_PARSER_CLASS = DealflowProcessParser
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (DealflowUserTaskParser, UserTask),
        full_tag("businessRuleTask"): (DealflowBusinessRuleTaskParser, BusinessRuleTask),
        full_tag("serviceTask"): (DealflowServiceTaskParser, ServiceTask),
        full_tag("endEvent"): (DealflowEndEventParser, EndEvent),
        full_tag("intermediateThrowEvent"): (DealflowThrowEventParser, IntermediateThrowEvent),
    }
