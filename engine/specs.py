"""Parse a set of BPMN/DMN source files into runnable specs, and cache them per version.

Deployed versions are immutable, so a parsed spec is cached by definition id for the
life of the worker; only the first instance of a version pays for parsing.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from .errors import Problem
from .executable import unsupported
from .models import ProcessDefinition
from .parsing import BPMN_NS, DealflowParser, camunda_attr, normalise, split_list
from .xmlsafe import MAX_FILE_BYTES, load_xml

DMN_NAMESPACES = (
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20230324/MODEL/",
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
)
NOT_EXECUTABLE = 'no executable process: mark the process as executable (isExecutable="true")'
_NS = {"bpmn": BPMN_NS}


@dataclass(frozen=True)
class Starters:
    """Who the diagram says may start it (``camunda:candidateStarterGroups``/``Users``)."""

    groups: tuple[str, ...] = ()
    users: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadedSpec:
    """A top-level executable process and every process it calls."""

    key: str
    name: str
    spec: BpmnProcessSpec
    subprocess_specs: Mapping[str, BpmnProcessSpec]
    starters: Starters = Starters()

    def element_name(self, bpmn_id: str | None) -> str | None:
        """The name a BPMN element has in this process (or a process it calls), else its id."""
        if bpmn_id is None:
            return None
        for spec in [self.spec, *self.subprocess_specs.values()]:
            for task_spec in spec.task_specs.values():
                if getattr(task_spec, "bpmn_id", None) == bpmn_id:
                    return getattr(task_spec, "bpmn_name", None) or bpmn_id
        return bpmn_id


@dataclass
class ParseResult:
    processes: list[LoadedSpec] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def parse_sources(sources: Mapping[str, str | bytes], max_bytes: int = MAX_FILE_BYTES) -> ParseResult:
    """Parse files into specs, collecting a problem per bad file or element.

    Each process to deploy is first scanned for what the engine cannot run (see
    ``executable.py``); one with such an element is reported element by element and not
    handed to the library, whose first exception would hide the rest.
    """
    result = ParseResult()
    parser = DealflowParser(validator=VALIDATOR)
    bpmn_roots: dict[str, etree._Element] = {}
    for filename, content in sorted(sources.items()):
        root, problem = load_xml(content, filename, max_bytes)
        if problem or root is None:
            result.problems.append(problem or Problem("empty file", file=filename))
            continue
        namespace = etree.QName(root).namespace
        try:
            if namespace == BPMN_NS:
                normalised = normalise(root)
                parser.add_bpmn_xml(normalised, filename)
                bpmn_roots[filename] = normalised
            elif namespace in DMN_NAMESPACES:
                parser.add_dmn_xml(root, filename)
            else:
                result.problems.append(Problem("neither a BPMN nor a DMN document", file=filename))
        except ValidationException as exc:
            result.problems.append(problem_from(exc, filename))
    if result.problems:
        return result
    blocked = _scan(bpmn_roots, result.problems)
    for key in top_level_processes(bpmn_roots, result.problems):
        loaded = _load(parser, key, result.problems) if not blocked & _called(parser, key) else None
        if loaded is not None:
            result.processes.append(loaded)
    return result


def _executable_ids(roots: Mapping[str, etree._Element]) -> list[str]:
    return [str(key) for root in roots.values()
            for key in root.xpath("//bpmn:process[@isExecutable='true']/@id", namespaces=_NS)]


def processes_to_deploy(roots: Mapping[str, etree._Element]) -> list[tuple[str, etree._Element]]:
    """(file, process) for each executable process, or for every process while none is marked
    executable (a diagram from another modeler): what the checks and a draft look at."""
    processes = [(name, process) for name, root in roots.items()
                 for process in root.iter(f"{{{BPMN_NS}}}process")]
    return [(name, process) for name, process in processes if process.get("isExecutable") == "true"] \
        or processes


def _scan(roots: Mapping[str, etree._Element], problems: list[Problem]) -> set[str]:
    """Report what the engine cannot run in each process to deploy; the ids of those that cannot run."""
    blocked: set[str] = set()
    for filename, process in processes_to_deploy(roots):
        found = unsupported(process, filename)
        problems += found
        if any(problem.blocking for problem in found):
            blocked.add(process.get("id", ""))
    return blocked


def _called(parser: DealflowParser, key: str, seen: set[str] | None = None) -> set[str]:
    """``key`` and every process it calls, directly or not."""
    seen = set() if seen is None else seen
    process_parser = parser.get_process_parser(key)
    if key not in seen and process_parser is not None:
        seen.add(key)
        for called in process_parser.called_element_ids():
            _called(parser, called, seen)
    return seen


def top_level_processes(roots: Mapping[str, etree._Element], problems: list[Problem]) -> list[str]:
    """Executable processes that no call activity in the same files calls; when there is
    none, a problem on each process saying it is not executable."""
    executable = _executable_ids(roots)
    called: set[str] = set()
    for root in roots.values():
        called.update(root.xpath("//bpmn:callActivity/@calledElement", namespaces=_NS))
    if not executable:
        processes = [(name, node) for name, root in roots.items()
                     for node in root.iter(f"{{{BPMN_NS}}}process")]
        problems += [Problem(NOT_EXECUTABLE, node.get("id"), node.get("name"), name)
                     for name, node in processes] or [Problem(NOT_EXECUTABLE)]
    return [key for key in executable if key not in called]


def _load(parser: DealflowParser, key: str, problems: list[Problem]) -> LoadedSpec | None:
    try:
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except ValidationException as exc:
        problems.append(problem_from(exc))
        return None
    except SpiffWorkflowException as exc:
        problems.append(Problem(str(exc), element_id=key))
        return None
    node = parser.get_process_parser(key).node
    starters = Starters(tuple(split_list(camunda_attr(node, "candidateStarterGroups"))),
                        tuple(split_list(camunda_attr(node, "candidateStarterUsers"))))
    return LoadedSpec(key=key, name=spec.description or key, spec=spec, subprocess_specs=subprocess_specs,
                      starters=starters)


def problem_from(exc: ValidationException, filename: str | None = None) -> Problem:
    message = str(exc.args[0]) if exc.args else str(exc)
    line = f" (line {exc.line_number})" if getattr(exc, "line_number", "") else ""
    return Problem(
        message + line,
        element_id=getattr(exc, "id", None) or None,
        element_name=getattr(exc, "name", None) or None,
        file=getattr(exc, "file_name", None) or filename,
    )


class SpecCache:
    """Parsed specs by definition id, filled on first use, shared by the worker's threads."""

    def __init__(self) -> None:
        self._specs: dict[int, LoadedSpec] = {}
        self._lock = threading.Lock()

    def cached(self, definition_id: int) -> LoadedSpec | None:
        """The parsed spec if this worker has it already: no definition row needed."""
        return self._specs.get(definition_id)

    def get(self, definition: ProcessDefinition) -> LoadedSpec:
        """The parsed spec of a deployed version; its sources are only read on a miss."""
        loaded = self._specs.get(definition.id)
        if loaded is not None:
            return loaded
        result = parse_sources(definition.sources)
        matching = [p for p in result.processes if p.key == definition.key]
        if not matching:
            raise RuntimeError(f"deployed {definition.key} v{definition.version} no longer parses")
        with self._lock:
            return self._specs.setdefault(definition.id, matching[0])
