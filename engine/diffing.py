"""What changed between two versions of a process, element by element, in words.

A designer comparing versions wants what a reviewer of a pull request wants: which
stages, flows and lanes were added or removed, and for each element kept, what about it
changed (its name, type, stage or probability, condition, timer, who works it, its form
fields, where a flow goes). Elements are matched by their BPMN id, which every modeler
keeps stable while an element is edited. Each difference is a ``Phrase``, so the page
shows it in the reader's language.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from lxml import etree

from core.phrases import Phrase

from .executable import ELEMENT_KINDS, EVENT_KINDS, event_kinds, flow_elements, local
from .models import ProcessDefinition
from .parsing import BPMN_NS, CAMUNDA_NS, NS, split_list
from .specs import DMN_NAMESPACES
from .xmlsafe import load_xml

Status = Literal["added", "removed", "changed"]
_SHORT = 80
# Attributes compared as they are written, by the label a designer knows them by.
_CAMUNDA = {
    "candidateGroups": Phrase("candidate groups"), "candidateUsers": Phrase("candidate users"),
    "assignee": Phrase("assignee"), "dueDate": Phrase("due date"), "followUpDate": Phrase("follow-up date"),
    "formKey": Phrase("form key"), "priority": Phrase("priority"), "topic": Phrase("service function"),
    "decisionRef": Phrase("decision table"), "candidateStarterGroups": Phrase("starter groups"),
    "candidateStarterUsers": Phrase("starter users"),
}
_LABELS = {
    "type": Phrase("type"), "name": Phrase("name"), "source": Phrase("from"), "target": Phrase("to"),
    "condition": Phrase("condition"), "default": Phrase("default flow"), "timer": Phrase("timer"),
    "script": Phrase("script"), "documentation": Phrase("documentation"), "lane": Phrase("lane"),
    "attached": Phrase("attached to"), "interrupting": Phrase("interrupting"), "message": Phrase("message"),
    "signal": Phrase("signal"), "called": Phrase("called process"),
    "decision": Phrase("decision table rules"),
    "executable": Phrase("executable"), **_CAMUNDA,
}
_LONG = frozenset({"script", "documentation", "decision"})
_REFERENCES = frozenset({"source", "target", "default", "attached"})  # values are element ids


@dataclass(frozen=True)
class Change:
    """One element added, removed or changed; ``details`` say what, one ``Phrase`` each."""

    element_id: str
    status: Status
    kind: str
    name: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Element:
    tag: str
    name: str
    facets: Mapping[str, str]
    position: int


def diff_definitions(old: ProcessDefinition, new: ProcessDefinition) -> list[Change]:
    """The changes from one deployed version of a process to another."""
    if old.key != new.key:
        raise ValueError(f"versions of different processes: {old.key} and {new.key}")
    return diff_sources(old.sources, new.sources, new.key)


def diff_sources(old: Mapping[str, str], new: Mapping[str, str], key: str) -> list[Change]:
    """Changes to process ``key`` between two sets of files: the kept and added elements in
    the new diagram's order, then the removed ones in the old diagram's order."""
    before, after = _elements(old, key), _elements(new, key)
    changes = []
    for element_id, element in sorted(after.items(), key=lambda item: item[1].position):
        previous = before.get(element_id)
        if previous is None:
            details = tuple(_detail(name, None, value, before, after)
                            for name, value in element.facets.items() if name != "type")
            changes.append(Change(element_id, "added", _kind(element), element.name, details))
            continue
        details = tuple(_details(previous, element, before, after))
        if details:
            name = element.name or previous.name
            changes.append(Change(element_id, "changed", _kind(element), name, details))
    changes += [Change(element_id, "removed", _kind(element), element.name)
                for element_id, element in sorted(before.items(), key=lambda item: item[1].position)
                if element_id not in after]
    return changes


def process_source(sources: Mapping[str, str], key: str) -> str | None:
    """The BPMN file text holding process ``key`` (what a diagram viewer draws)."""
    found = _process(sources, key)
    return sources[found[0]] if found else None


def _process(sources: Mapping[str, str], key: str) -> tuple[str, etree._Element] | None:
    for name, text in sorted(sources.items()):
        root = load_xml(text, name)[0]
        if root is not None and etree.QName(root).namespace == BPMN_NS:
            for process in root.xpath("//bpmn:process[@id=$key]", namespaces=NS, key=key):
                return name, process
    return None


def _elements(sources: Mapping[str, str], key: str) -> dict[str, _Element]:
    found = _process(sources, key)
    if found is None:
        return {}
    process = found[1]
    root = process.getroottree().getroot()
    lanes = {ref: lane.get("name") or lane.get("id", "")
             for lane in process.iter(f"{{{BPMN_NS}}}lane")
             for ref in lane.xpath("./bpmn:flowNodeRef/text()", namespaces=NS)}
    decisions = _decisions(sources)
    nodes = [process, *flow_elements(process), *process.iter(f"{{{BPMN_NS}}}lane")]
    return {node.get("id", ""): _Element(_type(node), _clean(node.get("name")),
                                         dict(_facets(node, root, lanes, decisions)), position)
            for position, node in enumerate(nodes)}


def _type(node: etree._Element) -> str:
    kinds = event_kinds(node)
    return f"{local(node)}:{','.join(kinds)}" if kinds else local(node)


def _kind(element: _Element) -> str:
    tag, _, events = element.tag.partition(":")
    kind = ELEMENT_KINDS.get(tag, tag)
    if not events:
        return kind
    named = EVENT_KINDS.get(events, events)  # one definition, in words; several stay as written
    return Phrase("%(kind)s (%(events)s)", kind=kind, events=named)


def _facets(node: etree._Element, root: etree._Element, lanes: Mapping[str, str],
            decisions: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    tag = local(node)
    yield "type", _type(node)
    if tag == "process":
        yield "executable", node.get("isExecutable", "false")
    for attribute in ("sourceRef", "targetRef", "default", "attachedToRef"):
        if node.get(attribute):
            yield {"sourceRef": "source", "targetRef": "target", "attachedToRef": "attached"}.get(
                attribute, attribute), node.get(attribute, "")
    if tag == "boundaryEvent":
        yield "interrupting", node.get("cancelActivity", "true")
    if node.get("calledElement"):
        yield "called", node.get("calledElement", "")
    for attribute in _CAMUNDA:
        value = node.get(f"{{{CAMUNDA_NS}}}{attribute}")
        if value and value.strip():
            listed = attribute.startswith("candidate")
            yield attribute, ", ".join(split_list(value)) if listed else value.strip()
    if node.get("id") in lanes:
        yield "lane", lanes[node.get("id", "")]
    yield from _texts(node)
    yield from _references(node, root)
    yield from _extensions(node)
    decision = node.get(f"{{{CAMUNDA_NS}}}decisionRef")
    if decision and decision in decisions:
        yield "decision", decisions[decision]


def _texts(node: etree._Element) -> Iterator[tuple[str, str]]:
    condition = node.xpath("./bpmn:conditionExpression/text()"
                           "|./bpmn:conditionalEventDefinition/bpmn:condition/text()", namespaces=NS)
    if condition and "".join(condition).strip():
        yield "condition", _clean("".join(condition))
    timer = node.xpath("./bpmn:timerEventDefinition/*/text()", namespaces=NS)
    if timer and "".join(timer).strip():
        yield "timer", _clean("".join(timer))
    for facet, path in (("script", "./bpmn:script/text()"), ("documentation", "./bpmn:documentation/text()")):
        text = "".join(node.xpath(path, namespaces=NS)).strip()
        if text:
            yield facet, text


def _references(node: etree._Element, root: etree._Element) -> Iterator[tuple[str, str]]:
    """The message or signal an event waits for or sends, by its name."""
    for facet in ("message", "signal"):
        for ref in node.xpath(f"./bpmn:{facet}EventDefinition/@{facet}Ref|./@{facet}Ref", namespaces=NS):
            named = root.xpath(f"//bpmn:{facet}[@id=$ref]/@name", namespaces=NS, ref=ref)
            yield facet, str(named[0] if named else ref)


def _extensions(node: etree._Element) -> Iterator[tuple[str, str]]:
    for prop in node.xpath("./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=NS):
        if prop.get("name"):
            yield f"property:{prop.get('name')}", prop.get("value", "")
    for field in node.xpath("./bpmn:extensionElements/camunda:formData/camunda:formField", namespaces=NS):
        yield f"field:{field.get('id')}", _field(field)
    path = "./bpmn:extensionElements/camunda:inputOutput/camunda:inputParameter"
    for param in node.xpath(path, namespaces=NS):
        yield f"parameter:{param.get('name')}", _clean(param.text)


def _field(field: etree._Element) -> str:
    """A form field in one line: label, type, choices, constraints and default."""
    parts = [field.get("type", "string")]
    values = field.xpath("./camunda:value/@id", namespaces=NS)
    if values:
        parts[0] += ": " + "|".join(values)
    for constraint in field.xpath("./camunda:validation/camunda:constraint", namespaces=NS):
        config = constraint.get("config")
        parts.append(f"{constraint.get('name')}={config}" if config else str(constraint.get("name")))
    if field.get("defaultValue"):
        parts.append(f"default={field.get('defaultValue')}")
    return f"{field.get('label') or field.get('id')} [{'; '.join(parts)}]"


def _decisions(sources: Mapping[str, str]) -> dict[str, str]:
    """Each decision's table, canonically written, so an edited rule shows on the task calling it."""
    tables = {}
    for name, text in sorted(sources.items()):
        root = load_xml(text, name)[0]
        if root is None or etree.QName(root).namespace not in DMN_NAMESPACES:
            continue
        for decision in root.iter(f"{{{etree.QName(root).namespace}}}decision"):
            for element in decision.iter():
                element.text = element.text.strip() if element.text and element.text.strip() else None
                element.tail = None
            tables[decision.get("id", "")] = etree.tostring(decision, method="c14n").decode()
    return tables


def _details(old: _Element, new: _Element, before: Mapping[str, _Element],
             after: Mapping[str, _Element]) -> Iterator[str]:
    for facet in dict.fromkeys([*new.facets, *old.facets]):
        was, now = old.facets.get(facet), new.facets.get(facet)
        if was != now:
            yield _detail(facet, was, now, before, after)
    if old.name != new.name:
        yield Phrase("%(what)s: %(old)s → %(new)s", what=_LABELS["name"], old=old.name or "—",
                     new=new.name or "—")


def _detail(facet: str, was: str | None, now: str | None, before: Mapping[str, _Element],
            after: Mapping[str, _Element]) -> str:
    what = _label(facet)
    if facet in _LONG:
        return Phrase("%(what)s changed", what=what) if was and now else \
            Phrase("%(what)s added", what=what) if now else Phrase("%(what)s removed", what=what)
    old, new = _shown(facet, was, before), _shown(facet, now, after)
    if was is None:
        return Phrase("%(what)s: %(new)s", what=what, new=new)
    if now is None:
        return Phrase("%(what)s removed (was %(old)s)", what=what, old=old)
    return Phrase("%(what)s: %(old)s → %(new)s", what=what, old=old, new=new)


def _label(facet: str) -> str:
    group, _, name = facet.partition(":")
    if group == "property":
        return Phrase("property %(name)s", name=name)
    if group == "field":
        return Phrase("form field %(name)s", name=name)
    if group == "parameter":
        return Phrase("service parameter %(name)s", name=name)
    return _LABELS.get(facet, facet)


def _shown(facet: str, value: str | None, elements: Mapping[str, _Element]) -> str:
    if value is None:
        return "—"
    if facet == "type":
        return _kind(_Element(value, "", {}, 0))
    if facet in _REFERENCES and value in elements:
        return elements[value].name or value
    return value if len(value) <= _SHORT else value[: _SHORT - 1] + "…"


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())
