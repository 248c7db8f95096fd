"""Drafts: a designer's edits of a process, kept without deploying anything.

A draft holds every file of one process key (its BPMN diagram and the DMN tables it
calls) as the designer last saved them. Reopening the designer shows the draft when
there is one, else the latest deployed version; deploying or discarding ends it. A new
process starts as a draft too: a shipped diagram copied under a new key, or an uploaded
file. Files are only ever parsed here (safely, see ``xmlsafe``), never run: whether the
engine can execute them is the deploy check's question, answered per element.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.errors import Conflict, InvalidInput
from core.phrases import Phrase

from .deployment import latest_definition
from .errors import DefinitionNotFound, Problem
from .forms import FormField, field_problems, parse_form_data
from .models import ProcessDefinition, ProcessDraft
from .parsing import BPMN_NS, NS
from .specs import DMN_NAMESPACES, processes_to_deploy
from .xmlsafe import MAX_FILE_BYTES, load_xml

MAX_FILES = 20
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}\.(bpmn|dmn)$")
# A process id is what business types, opportunities and the API call a process by.
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")


class DraftRejected(InvalidInput):
    """Files that cannot be kept as a draft; ``details`` names the file or element of each problem."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(Phrase("The files were not saved: %(problem)s", problem=str(problems[0])),
                         [str(p) for p in problems])
        self.details = problems


@dataclass(frozen=True)
class Design:
    """What the designer opens for a key: its draft if there is one, else its latest version."""

    key: str
    name: str
    sources: Mapping[str, str]
    draft: ProcessDraft | None
    latest: ProcessDefinition | None
    diagram: str  # the file holding the process itself: the one the modeler edits

    @property
    def behind(self) -> bool:
        """The draft started from a version older than the latest: deploying it drops what came since."""
        based_on = self.draft.based_on if self.draft else None
        return based_on is not None and self.latest is not None and based_on.version < self.latest.version


@dataclass(frozen=True)
class DesignRow:
    """One process key on the designer's list."""

    key: str
    name: str
    latest: ProcessDefinition | None
    draft: ProcessDraft | None


def open_design(session: Session, key: str) -> Design:
    draft = get_draft(session, key)
    latest = latest_definition(session, key)
    if draft is not None:
        return Design(key, draft.name, draft.sources, draft, latest, main_file(draft.sources, key) or "")
    if latest is None:
        raise DefinitionNotFound(Phrase("No process %(key)s is deployed", key=key))
    return Design(key, latest.name, latest.sources, None, latest, main_file(latest.sources, key) or "")


def get_draft(session: Session, key: str) -> ProcessDraft | None:
    return session.scalars(select(ProcessDraft).where(ProcessDraft.key == key)).first()


def list_designs(session: Session) -> list[DesignRow]:
    """Every deployed or drafted key, by name; a process key's versions are few, its keys fewer."""
    newest = (select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
              .group_by(ProcessDefinition.key).subquery())
    latest = {d.key: d for d in session.scalars(select(ProcessDefinition).join(
        newest, (newest.c.key == ProcessDefinition.key) & (newest.c.version == ProcessDefinition.version)))}
    drafts = {d.key: d for d in session.scalars(select(ProcessDraft))}
    rows = [DesignRow(key, (drafts.get(key) or latest[key]).name or key, latest.get(key), drafts.get(key))
            for key in {*latest, *drafts}]
    return sorted(rows, key=lambda row: (row.name.lower(), row.key))


def save_draft(session: Session, key: str, files: Mapping[str, str | bytes], user: str, now: datetime,
               revision: int | None = None, based_on_id: int | None = None) -> ProcessDraft:
    """Keep ``files`` as the draft of ``key``. ``revision`` is the draft's revision the designer
    opened (None: they opened a deployed version), so a save over someone else's draft is refused."""
    sources, roots = read_files(files)
    name = _process_name(roots, key, sources)
    draft = get_draft(session, key)
    if draft is None:
        draft = ProcessDraft(key=key, based_on_id=_based_on(session, key, based_on_id))
        session.add(draft)
    elif revision != draft.revision:
        raise _saved_meanwhile(draft)
    draft.name, draft.sources, draft.updated_by, draft.updated_at = name, sources, user, now
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict(Phrase("Someone saved this draft at the same moment; reload the designer")) from exc
    return draft


def end_draft(session: Session, key: str, revision: int | None) -> None:
    """Close the draft a deploy came from; a draft someone saved since is refused, not lost."""
    draft = get_draft(session, key)
    if draft is not None:
        if draft.revision != revision:
            raise _saved_meanwhile(draft)
        session.delete(draft)
        session.flush()


def _saved_meanwhile(draft: ProcessDraft) -> Conflict:
    return Conflict(Phrase("%(who)s saved this draft after you opened it; reload the designer to see "
                           "their changes", who=draft.updated_by or "—"))


def discard_draft(session: Session, key: str) -> bool:
    draft = get_draft(session, key)
    if draft is not None:
        session.delete(draft)
        session.flush()
    return draft is not None


def start_from_template(session: Session, template: Mapping[str, str | bytes], key: str, name: str,
                        user: str, now: datetime) -> ProcessDraft:
    """A draft of a new process: the template's files, its process renamed to ``key`` and ``name``."""
    name = name.strip()
    problems = {}
    if not _KEY.match(key):
        problems["key"] = Phrase("must start with a letter and hold only letters, digits and underscores")
    if not name:
        problems["name"] = Phrase("is required")
    if problems:
        raise InvalidInput(Phrase("Please correct: %(fields)s", fields=", ".join(problems)), fields=problems)
    _require_new(session, key, "key")
    sources, roots = read_files(template)
    old_key = _executable_key(roots)
    if old_key is None:
        raise DraftRejected([Problem(Phrase("the template has no executable process"))])
    files: dict[str, str] = {}
    for filename, root in roots.items():
        if etree.QName(root).namespace == BPMN_NS and root.xpath(_PROCESS, namespaces=NS, key=old_key):
            files[f"{key}.bpmn"] = _renamed(root, old_key, key, name)
        else:
            files[filename] = sources[filename]
    return save_draft(session, key, files, user, now)


def start_from_upload(session: Session, files: Mapping[str, bytes], user: str, now: datetime) -> ProcessDraft:
    """A draft from uploaded files (one BPMN diagram, any DMN tables it calls): of a new
    process, or of the deployed one whose id the diagram carries."""
    _sources, roots = read_files(files)
    diagrams = [name for name, root in roots.items() if etree.QName(root).namespace == BPMN_NS]
    if len(diagrams) != 1:
        raise DraftRejected([Problem(Phrase("upload exactly one BPMN diagram (.bpmn), with the DMN tables "
                                            "it calls"))])
    key = _executable_key({diagrams[0]: roots[diagrams[0]]})
    if key is None or not _KEY.match(key):
        raise DraftRejected([Problem(Phrase("the diagram needs a process whose id starts with a letter and "
                                            "holds only letters, digits and underscores"), file=diagrams[0])])
    if get_draft(session, key) is not None:
        raise DraftRejected([Problem(Phrase(
            "process %(key)s already has a draft: open it in the designer, or discard it first", key=key),
            file=diagrams[0])])
    return save_draft(session, key, files, user, now)


def restore_version(session: Session, key: str, version: int, user: str, now: datetime) -> ProcessDraft:
    """A draft holding an earlier version's files, to deploy it again (a rollback) or edit it."""
    definition = require_version(session, key, version)
    if get_draft(session, key) is not None:
        raise Conflict(Phrase("Process %(key)s already has a draft: discard it first", key=key))
    return save_draft(session, key, definition.sources, user, now, based_on_id=definition.id)


def require_version(session: Session, key: str, version: int) -> ProcessDefinition:
    definition = session.scalars(select(ProcessDefinition).where(
        ProcessDefinition.key == key, ProcessDefinition.version == version)).first()
    if definition is None:
        raise DefinitionNotFound(Phrase("Process %(key)s has no version %(version)s", key=key,
                                        version=version))
    return definition


def versions(session: Session, key: str, page: int, per_page: int) -> tuple[list[ProcessDefinition], int]:
    """One page of a key's versions, newest first (the unique index on key and version serves it)."""
    total = session.scalar(select(func.count()).where(ProcessDefinition.key == key)) or 0
    rows = session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key)
                           .order_by(ProcessDefinition.version.desc())
                           .offset((page - 1) * per_page).limit(per_page)).all()
    return list(rows), total


def preview_form(source: str, filename: str, task_id: str) -> tuple[list[FormField], list[str]]:
    """The form of user task ``task_id`` in a diagram being edited, with what the deploy check
    would say about the form's definition."""
    root, problem = load_xml(source, filename)
    if problem is not None or root is None:
        raise DraftRejected([problem or Problem(Phrase("empty file"), file=filename)])
    tasks = root.xpath("//bpmn:userTask[@id=$task]", namespaces=NS, task=task_id)
    if not tasks:
        raise DraftRejected([Problem(Phrase("is not a user task of this diagram"), element_id=task_id,
                                     file=filename)])
    data = tasks[0].xpath("./bpmn:extensionElements/camunda:formData", namespaces=NS)
    form = parse_form_data(data[0]) if data else []
    return form, field_problems(form)


def require_process(key: str, files: Mapping[str, str | bytes]) -> None:
    """Refuse files that are no design of ``key``: unsafe or unreadable, or without its process."""
    sources, roots = read_files(files)
    _process_name(roots, key, sources)


def main_file(sources: Mapping[str, str], key: str) -> str | None:
    """The BPMN file that defines process ``key``."""
    for name, xml in sorted(sources.items()):
        root = load_xml(xml, name)[0] if name.endswith(".bpmn") else None
        if root is not None and root.xpath(_PROCESS, namespaces=NS, key=key):
            return name
    return None


def read_files(files: Mapping[str, str | bytes],
               max_bytes: int = MAX_FILE_BYTES) -> tuple[dict[str, str], dict[str, etree._Element]]:
    """Decode and safely parse each file: a problem per bad name, size, encoding or XML."""
    problems: list[Problem] = []
    sources: dict[str, str] = {}
    roots: dict[str, etree._Element] = {}
    if not files:
        problems.append(Problem(Phrase("no files")))
    if len(files) > MAX_FILES:
        problems.append(Problem(Phrase("at most %(count)s files", count=MAX_FILES)))
    for name, content in sorted(files.items())[:MAX_FILES]:
        problem = _read_file(name, content, max_bytes, sources, roots)
        if problem is not None:
            problems.append(problem)
    if problems:
        raise DraftRejected(problems)
    return sources, roots


def _read_file(name: str, content: str | bytes, max_bytes: int, sources: dict[str, str],
               roots: dict[str, etree._Element]) -> Problem | None:
    if not _FILE_NAME.match(name):
        return Problem(Phrase("a file name must end in .bpmn or .dmn and hold only letters, digits, '.', '-' "
                              "and '_'"), file=name[:100])
    try:
        text = content.decode("utf-8") if isinstance(content, bytes) else content
    except UnicodeDecodeError:
        return Problem(Phrase("file is not UTF-8 text"), file=name)
    root, problem = load_xml(text, name, max_bytes)
    if problem is not None or root is None:
        return problem or Problem(Phrase("empty file"), file=name)
    namespace = etree.QName(root).namespace
    expected = (BPMN_NS,) if name.endswith(".bpmn") else DMN_NAMESPACES
    if namespace not in expected:
        return Problem(Phrase("a .bpmn file must hold BPMN 2.0 definitions, a .dmn file DMN decisions"),
                       file=name)
    sources[name], roots[name] = text, root
    return None


_PROCESS = "//bpmn:process[@id=$key]"


def _process_name(roots: Mapping[str, etree._Element], key: str, sources: Mapping[str, str]) -> str:
    for root in roots.values():
        found = root.xpath(_PROCESS, namespaces=NS, key=key)
        if found:
            return str(found[0].get("name") or key)[:200]
    diagram = next((name for name in sources if name.endswith(".bpmn")), None)
    raise DraftRejected([Problem(Phrase(
        "the process id must stay %(key)s (what business types and running instances call it); to use "
        "another id, start a new process", key=key), file=diagram)])


def _executable_key(roots: Mapping[str, etree._Element]) -> str | None:
    """The executable process's id, else the first process's: other modelers leave it unmarked."""
    found = processes_to_deploy(roots)
    return str(found[0][1].get("id")) if found else None


def _renamed(root: etree._Element, old_key: str, key: str, name: str) -> str:
    """The document with process ``old_key`` called ``key`` and ``name``, references included."""
    process = root.xpath(_PROCESS, namespaces=NS, key=old_key)[0]
    process.set("id", key)
    process.set("name", name)
    for attribute in ("bpmnElement", "processRef"):
        for node in root.xpath(f"//*[@{attribute}=$key]", key=old_key):
            node.set(attribute, key)
    return str(etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8"))


def _require_new(session: Session, key: str, field: str) -> None:
    if latest_definition(session, key) is not None or get_draft(session, key) is not None:
        message = Phrase("is already the id of a process; pick another")
        raise InvalidInput(Phrase("Please correct: %(fields)s", fields=field), fields={field: message})


def _based_on(session: Session, key: str, based_on_id: int | None) -> int | None:
    """The version the designer opened, if it is one of this key's; else the latest."""
    if based_on_id is not None:
        definition = session.get(ProcessDefinition, based_on_id)
        if definition is not None and definition.key == key:
            return definition.id
    latest = latest_definition(session, key)
    return latest.id if latest else None


