"""The designers' rules, checked on the BPMN as drawn, beside the engine's deploy check.

The deploy check (``deployment.check``) refuses what the engine cannot run. These rules
catch what runs but goes wrong later: a gateway where a token gets stuck, a timer value
that only fails when an instance reaches it, a task handed to a role nobody holds, a
name people will miss in their inbox. They read the XML as the designer wrote it (before
``parsing.normalise`` quotes timers and strips ``${}``), so they can say what to change.
The roles are the caller's: the engine knows nothing of the organisation.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from itertools import count

from lxml import etree

from core.phrases import Phrase

from . import deployment
from .errors import Problem
from .executable import CONDITIONAL_GATEWAYS, flow_elements, kind_of, local
from .parsing import BPMN_NS, CAMUNDA_NS, is_wrapped, normalise_timer, split_list
from .projection import role_name
from .specs import processes_to_deploy
from .validation import TIMER_FORMATS, timer_value_problem, unknown_service
from .xmlsafe import MAX_FILE_BYTES, load_xml

_NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS, "spiff": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
TASKS = frozenset({"task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask",
                   "sendTask", "receiveTask", "callActivity", "subProcess", "transaction", "adHocSubProcess"})
EVENTS = frozenset({"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
                    "boundaryEvent"})
# Tasks that wait for a person, and so are handed to their lane's role when they name no group.
HUMAN_TASKS = frozenset({"task", "userTask", "manualTask"})
# A bare word the engine cannot quote for the designer but that was meant as an ISO 8601 value.
_ISO_ATTEMPT = re.compile(r"^(R\d*/)?P(T?\d|\d)", re.IGNORECASE)


def check_design(files: deployment.Files, services: Collection[str], functions: Collection[str],
                 roles: Collection[str], max_bytes: int = MAX_FILE_BYTES) -> list[Problem]:
    """What the designer's Check shows and what a designer's deploy must pass: the engine's
    full deploy check plus the rules below, sorted by file and by element in document order.

    Errors block a deploy; warnings do not (``Problem.blocking``):

    - errors: everything the deploy check refuses (unsafe or malformed files, elements the
      engine cannot run, bad expressions, unknown service functions); a conditional gateway
      with no default whose every flow has a condition (a token stuck when none holds); a
      timer value that looks like ISO 8601 but is not, left unquoted (fails when reached);
      a candidate group, starter group or lane's role that is not one of ``roles``.
    - warnings: a task or event without a name (people see its id); a timer value left
      unquoted that the engine quotes for you; a task without a type (it waits for someone).
    """
    problems = deployment.check(files, services, functions, max_bytes)[1]
    seen = {(problem.element_id, str(problem.message)) for problem in problems}
    roots = _roots(files, max_bytes)
    problems += [problem for problem in lint(roots, services, roles)
                 if (problem.element_id, str(problem.message)) not in seen]
    return sorted(problems, key=_document_order(roots))


def lint(roots: Mapping[str, etree._Element], services: Collection[str],
         roles: Collection[str]) -> list[Problem]:
    """The rules on each process to deploy (each process, while none is executable)."""
    problems: list[Problem] = []
    for filename, process in processes_to_deploy(roots):
        problems += [Problem(message, node.get("id"), node.get("name") or None, filename, severity)
                     for node, message, severity in _process_findings(process, services, roles)]
    return problems


Finding = tuple[etree._Element, str, str]


def _process_findings(process: etree._Element, services: Collection[str],
                      roles: Collection[str]) -> Iterator[Finding]:
    nodes = list(flow_elements(process))
    flows = [node for node in nodes if local(node) == "sequenceFlow"]
    yield from _starter_findings(process, roles)
    for node in nodes:
        tag = local(node)
        if tag in TASKS | EVENTS and not (node.get("name") or "").strip():
            yield node, Phrase("has no name, so people see its id instead: give the %(kind)s a name",
                               kind=kind_of(node)), "warning"
        if tag == "task":
            yield node, Phrase("a task without a type waits for someone to complete it: make it a user "
                               "task with candidate groups, or a service or script task"), "warning"
        if tag in CONDITIONAL_GATEWAYS:
            yield from _default_findings(node, [f for f in flows if f.get("sourceRef") == node.get("id")])
        if tag in EVENTS:
            yield from _timer_findings(node)
        if tag == "userTask":
            yield from _group_findings(node, roles)
        if tag == "serviceTask":
            yield from _service_findings(node, services)
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        yield from _lane_findings(lane, {node.get("id"): node for node in nodes}, roles)


def _default_findings(gateway: etree._Element, outgoing: list[etree._Element]) -> Iterator[Finding]:
    conditional = [flow for flow in outgoing
                   if (flow.findtext(f"{{{BPMN_NS}}}conditionExpression") or "").strip()]
    if outgoing and len(conditional) == len(outgoing) and not gateway.get("default"):
        yield gateway, Phrase("every flow leaving this gateway has a condition and none is its default: "
                              "when no condition holds, the instance gets stuck here; make one flow the "
                              "default"), "error"


def _timer_findings(event: etree._Element) -> Iterator[Finding]:
    for value in event.xpath("./bpmn:timerEventDefinition/*", namespaces=_NS):
        tag, raw = local(value), (value.text or "").strip()
        if tag not in TIMER_FORMATS or not raw or is_wrapped(raw):
            continue  # an empty timer is the deploy check's; ${...} is an expression
        quoted = normalise_timer(raw)
        if quoted != raw:  # a bare ISO 8601 literal, which the engine quotes before running it
            literal = ast.literal_eval(quoted)
            problem = timer_value_problem(tag, literal)
            if problem:
                yield event, problem, "error"
            else:
                yield event, Phrase("timer value %(value)s is not quoted: it runs here because the engine "
                                    "quotes it, but write %(quoted)s so it reads as the Python expression it "
                                    "is", value=raw, quoted=quoted.replace("'", '"')), "warning"
        elif raw.isidentifier() and _ISO_ATTEMPT.match(raw):
            yield event, Phrase("timer value %(value)s is not valid ISO 8601 and would be read as a variable "
                                "that does not exist: write it in capitals and quotes, e.g. \"P7D\" or "
                                "\"PT4H\"", value=raw), "error"


def _group_findings(task: etree._Element, roles: Collection[str]) -> Iterator[Finding]:
    for group in split_list(task.get(f"{{{CAMUNDA_NS}}}candidateGroups")):
        if not is_wrapped(group) and group not in roles:
            yield task, _unknown_role(Phrase("candidate group"), group, roles), "error"


def _starter_findings(process: etree._Element, roles: Collection[str]) -> Iterator[Finding]:
    for group in split_list(process.get(f"{{{CAMUNDA_NS}}}candidateStarterGroups")):
        if not is_wrapped(group) and group not in roles:
            yield process, _unknown_role(Phrase("starter group"), group, roles), "error"


def _unknown_role(what: str, role: str, roles: Collection[str]) -> Phrase:
    return Phrase("%(what)s '%(role)s' is not a role (roles: %(roles)s)",
                  what=what, role=role, roles=", ".join(sorted(roles)) or "none")


def _lane_findings(lane: etree._Element, nodes: Mapping[str | None, etree._Element],
                   roles: Collection[str]) -> Iterator[Finding]:
    """A person's task naming no group goes to its lane's role, which must then exist."""
    role = role_name(lane.get("name") or "")
    routed = [nodes[ref] for ref in lane.xpath("./bpmn:flowNodeRef/text()", namespaces=_NS)
              if ref in nodes and local(nodes[ref]) in HUMAN_TASKS
              and not nodes[ref].get(f"{{{CAMUNDA_NS}}}candidateGroups")]
    if routed and role not in roles:
        names = ", ".join(node.get("name") or node.get("id", "") for node in routed)
        yield lane, Phrase("the lane hands %(tasks)s to role '%(role)s', which does not exist: name the "
                           "lane after a role (%(roles)s) or give those tasks candidate groups",
                           tasks=names, role=role, roles=", ".join(sorted(roles)) or "none"), "error"


def _service_findings(task: etree._Element, services: Collection[str]) -> Iterator[Finding]:
    names = [task.get(f"{{{CAMUNDA_NS}}}topic")] + task.xpath(
        "./bpmn:extensionElements/spiff:serviceTaskOperator/@id", namespaces=_NS)
    for name in names:
        message = unknown_service(str(name), services) if name else None
        if message:
            yield task, message, "error"


def _roots(files: deployment.Files, max_bytes: int) -> dict[str, etree._Element]:
    """The BPMN documents among ``files`` that load safely (the deploy check reports the rest)."""
    roots = {}
    for name, content in sorted(files.items()):
        root = load_xml(content, name, max_bytes)[0]
        if root is not None and etree.QName(root).namespace == BPMN_NS:
            roots[name] = root
    return roots


def _document_order(roots: Mapping[str, etree._Element]) -> Callable[[Problem], tuple[int, int, int]]:
    """Sort key: file-wide problems first, then by file and by element as the files hold them."""
    counter = count()
    position: dict[tuple[str | None, str | None], int] = {
        (name, node.get("id")): next(counter) for name, root in roots.items()
        for node in root.iter() if isinstance(node.tag, str) and node.get("id")}
    by_id = {element_id: index for (_, element_id), index in position.items()}

    def key(problem: Problem) -> tuple[int, int, int]:
        if problem.element_id is None:
            return (0, 0, 0)
        index = position.get((problem.file, problem.element_id), by_id.get(problem.element_id, len(by_id)))
        return (1, index, 0 if problem.blocking else 1)

    return key
