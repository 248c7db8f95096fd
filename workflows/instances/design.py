"""Designing a process: what Check shows and a deploy must pass, and the deploy itself as one
unit of work (the new version, its audit entry, the draft closed).

The roles a diagram may hand work to are the organisation's (``org.models.ROLES``), which
the engine cannot know; this is where they meet the engine's check.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from core.errors import InvalidInput
from core.phrases import Phrase
from engine import Problem, ProcessDefinition, ProcessEngine, check_design
from engine.deployment import latest_definition
from engine.drafts import DraftRejected, end_draft, require_process
from workflows.audit import record
from workflows.org.models import ROLES
from workflows.org.rules import require_designer
from workflows.org.visibility import Viewer

MAX_NOTE = 2000


class DesignRefused(InvalidInput):
    """The check found errors; ``details`` holds every problem (warnings too) for the page to pin."""

    def __init__(self, problems: list[Problem]) -> None:
        self.errors = sum(problem.blocking for problem in problems)
        super().__init__(Phrase("Not deployed: the check found errors"))
        self.details = problems


def design_problems(engine: ProcessEngine, key: str, files: Mapping[str, str]) -> list[Problem]:
    """The draft's own rules (it holds process ``key``), then the engine's deploy check with the
    designers' lint rules; errors block a deploy, warnings do not."""
    try:
        require_process(key, files)
    except DraftRejected as exc:
        return exc.details
    return check_design(files, set(engine.services), set(engine.functions), ROLES)


def deploy_design(session: Session, engine: ProcessEngine, actor: Viewer, key: str, files: Mapping[str, str],
                  note: str, revision: int | None, now: datetime) -> tuple[ProcessDefinition, bool]:
    """A new version of ``key`` (or, for files identical to the latest, that one: ``True``),
    audited, with the draft the designer opened (at ``revision``) closed. Only with a change
    note, and only when the check finds no error (DesignRefused lists what it found)."""
    require_designer(actor)
    if not 0 < len(note) <= MAX_NOTE:
        raise InvalidInput(Phrase("Write a change note (at most %(count)s characters): what changed and why.",
                                  count=MAX_NOTE))
    problems = design_problems(engine, key, files)
    if any(problem.blocking for problem in problems):
        raise DesignRefused(problems)
    before = latest_definition(session, key)
    deployed = [d for d in engine.deploy(session, files, actor.username, note) if d.key == key]
    if not deployed:
        raise InvalidInput(Phrase("Not deployed: process %(key)s is not marked executable.", key=key))
    definition = deployed[0]
    unchanged = before is not None and before.id == definition.id
    if not unchanged:
        record(session, actor.username, "process_deployed", f"process:{key}",
               {"version": definition.version, "definition_id": definition.id, "note": note}, now)
    end_draft(session, key, revision)
    return definition, unchanged
