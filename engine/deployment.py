"""Deploy BPMN/DMN files as immutable, numbered versions of a process key."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from core.phrases import Phrase

from .errors import DefinitionNotFound, DeployError, Problem
from .models import ProcessDefinition
from .specs import ParseResult, parse_sources
from .validation import check_process
from .xmlsafe import MAX_FILE_BYTES

Files = Mapping[str, str | bytes]


def check(files: Files, services: Collection[str], functions: Collection[str] = (),
          max_bytes: int = MAX_FILE_BYTES) -> tuple[ParseResult, list[Problem]]:
    """Everything deploy validates, without storing anything: errors block a deploy,
    warnings (``Problem.severity``) do not."""
    sources, problems = _decode(files)
    result = parse_sources(sources, max_bytes) if not problems else ParseResult()
    problems += result.problems
    for loaded in result.processes:
        problems += check_process(loaded, services, functions)
    return result, problems


def deploy(session: Session, files: Files, services: Collection[str], functions: Collection[str],
           now: datetime, deployed_by: str | None = None, note: str = "",
           max_bytes: int = MAX_FILE_BYTES) -> list[ProcessDefinition]:
    """Store a new version per executable process; identical content to the latest is a no-op."""
    result, problems = check(files, services, functions, max_bytes)
    errors = [problem for problem in problems if problem.blocking]
    if errors:
        raise DeployError(errors)
    sources = _decode(files)[0]
    digest = content_hash(sources)
    deployed = []
    for loaded in result.processes:
        latest = latest_definition(session, loaded.key)
        if latest is not None and latest.content_hash == digest:
            deployed.append(latest)
            continue
        definition = ProcessDefinition(
            key=loaded.key, version=(latest.version + 1) if latest else 1, name=loaded.name,
            content_hash=digest, sources=sources, deployed_by=deployed_by, deployed_at=now,
            note=note,
        )
        session.add(definition)
        deployed.append(definition)
    session.flush()
    return deployed


def latest_definition(session: Session, key: str) -> ProcessDefinition | None:
    return session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc()).limit(1)
    ).first()


_LATEST_ID = (select(ProcessDefinition.id).where(ProcessDefinition.key == bindparam("key"))
              .order_by(ProcessDefinition.version.desc()).limit(1))


def require_latest_id(session: Session, key: str) -> int:
    """The latest version's id alone: with the spec cached, starting needs no more."""
    definition_id: int | None = session.scalar(_LATEST_ID, {"key": key})
    if definition_id is None:
        raise DefinitionNotFound(Phrase("No process %(key)s is deployed", key=key))
    return definition_id


def require_latest(session: Session, key: str) -> ProcessDefinition:
    definition = latest_definition(session, key)
    if definition is None:
        raise DefinitionNotFound(Phrase("No process %(key)s is deployed", key=key))
    return definition


def content_hash(sources: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(name.encode() + b"\0" + sources[name].encode() + b"\0")
    return digest.hexdigest()


def _decode(files: Files) -> tuple[dict[str, str], list[Problem]]:
    sources, problems = {}, []
    for name, content in files.items():
        try:
            sources[name] = content.decode("utf-8") if isinstance(content, bytes) else content
        except UnicodeDecodeError:
            problems.append(Problem("file is not UTF-8 text", file=name))
    return sources, problems

