"""What a process designer (or an admin) does to one running instance: look into its data,
retry a step that failed, cancel it with a reason, move it to another version (after a dry
run). Every act is audited in the transaction that does it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from core.errors import InvalidInput, NotFound, reject_fields
from core.phrases import Phrase
from engine import (
    Migrated,
    MigrationCheck,
    ProcessDefinition,
    ProcessEngine,
    ProcessInstance,
    ProcessStepFailed,
    versions_of,
)
from workflows.audit import record
from workflows.org.rules import require_designer
from workflows.org.visibility import Viewer

REASON_MAX = 500
HIDDEN = "••••••"
# Variables whose names say they hold a secret are never shown, whoever looks.
_SECRET_WORDS = ("password", "passwd", "secret", "token", "api_key", "apikey", "credential", "private_key")


def subject(instance_id: int) -> str:
    """How the audit log names an instance."""
    return f"process_instance:{instance_id}"


def instance_data(session: Session, engine: ProcessEngine, viewer: Viewer,
                  instance_id: int) -> dict[str, Any]:
    """The instance's variables, by name, for a designer; secrets hidden."""
    require_designer(viewer)
    data = engine.instance_data(session, instance_id)
    return {name: HIDDEN if _secret(name) else value for name, value in sorted(data.items())}


def cancel_instance(session: Session, engine: ProcessEngine, viewer: Viewer, instance_id: int, reason: str,
                    now: datetime) -> None:
    """Stop a running instance for good; the reason is kept in its history and the audit log."""
    require_designer(viewer)
    reason = reason.strip()
    problems = {}
    if not reason:
        problems["reason"] = Phrase("is required")
    elif len(reason) > REASON_MAX:
        problems["reason"] = Phrase("must be at most %(count)s characters", count=REASON_MAX)
    reject_fields(problems)
    instance = _instance(session, instance_id)
    engine.cancel(session, instance_id, viewer.username, reason)
    record(session, viewer.username, "process_cancelled", subject(instance_id),
           {"process": instance.process_key, "reason": reason}, now)


def retry_instance(session_factory: sessionmaker[Session], engine: ProcessEngine, viewer: Viewer,
                   instance_id: int, now: datetime) -> None:
    """Run the failed step again. If it fails again, nothing of the attempt stays but the new
    error (on the instance, in its history and in the audit log), and ProcessStepFailed says it."""
    require_designer(viewer)
    with session_factory() as session:
        instance = _instance(session, instance_id)
        try:
            engine.retry(session, instance_id, viewer.username)
        except ProcessStepFailed as exc:
            session.rollback()
            engine.note_failure(session, instance_id, exc, "retry_failed", viewer.username)
            record(session, viewer.username, "process_step_retried", subject(instance_id),
                   {"process": instance.process_key, "outcome": "failed", "error": str(exc)}, now)
            session.commit()
            raise
        record(session, viewer.username, "process_step_retried", subject(instance_id),
               {"process": instance.process_key, "outcome": "done"}, now)
        session.commit()


def targets(session: Session, viewer: Viewer, key: str, current_id: int) -> list[ProcessDefinition]:
    """The versions instances on ``current_id`` could move to: the others of its key, newest first."""
    require_designer(viewer)
    return [d for d in versions_of(session, key) if d.id != current_id]


def check_instance(session: Session, engine: ProcessEngine, viewer: Viewer, instance_id: int,
                   target_id: int) -> MigrationCheck:
    """The dry run for one instance: whether it could move to ``target_id`` now, and why not."""
    require_designer(viewer)
    _target(session, _instance(session, instance_id).process_key, target_id)
    [check] = engine.check_migration(session, [instance_id], target_id)
    return check


def migrate_instance(session: Session, engine: ProcessEngine, viewer: Viewer, instance_id: int,
                     target_id: int, now: datetime, job_id: int | None = None) -> Migrated:
    """Move one instance to version ``target_id``; MigrationRefused says why it cannot."""
    require_designer(viewer)
    instance = _instance(session, instance_id)
    _target(session, instance.process_key, target_id)
    migrated = engine.migrate(session, instance_id, target_id, viewer.username)
    if migrated.moved:
        details: dict[str, Any] = {"process": instance.process_key, "from_version": migrated.from_version,
                                   "to_version": migrated.to_version}
        if job_id is not None:
            details["job"] = job_id
        record(session, viewer.username, "process_migrated", subject(instance_id), details, now)
    return migrated


def phrase_values(phrase: str) -> dict[str, Any]:
    """A refusal as stored with a bulk job's results: its msgid and values (plain text too)."""
    if isinstance(phrase, Phrase):
        return {"msgid": phrase.msgid, "values": dict(phrase.values)}
    return {"msgid": None, "text": str(phrase)}


def stored_phrase(stored: Mapping[str, Any]) -> str:
    """The inverse of ``phrase_values``: a Phrase the web translates, or the plain text."""
    if stored.get("msgid"):
        return Phrase(str(stored["msgid"]), **dict(stored.get("values") or {}))
    return str(stored.get("text", ""))


@dataclass(frozen=True)
class Target:
    source: ProcessDefinition
    target: ProcessDefinition


def migration_pair(session: Session, viewer: Viewer, source_id: int, target_id: int) -> Target:
    """Two versions of one key, checked: the one instances are on and the one they move to."""
    require_designer(viewer)
    source = session.get(ProcessDefinition, source_id)
    if source is None:
        raise NotFound(Phrase("This process version does not exist"))
    target = _target(session, source.key, target_id)
    if target.id == source.id:
        reject_fields({"target": Phrase("must be another version than the one the processes are on")})
    return Target(source, target)


def _instance(session: Session, instance_id: int) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(Phrase("Process %(id)s does not exist", id=instance_id))
    return instance


def _target(session: Session, key: str, target_id: int) -> ProcessDefinition:
    target = session.get(ProcessDefinition, target_id)
    if target is None or target.key != key:
        raise InvalidInput(Phrase("Please correct: %(fields)s", fields="target"),
                           fields={"target": Phrase("is not a version of this process")})
    return target


def _secret(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_WORDS)
