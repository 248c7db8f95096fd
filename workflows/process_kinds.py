"""Admin-managed kinds of record that each name a deployed process to run: business types
(their pipeline) and contract types (their approval). One set of rules for both."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from core.errors import NotFound, PermissionDenied, reject_fields
from core.phrases import Phrase
from engine import ProcessDefinition
from workflows.org.visibility import Viewer

MAX_NAME = 120


@dataclass(frozen=True)
class KindRules:
    """A kind's table, the column holding its process key, the column of the records that
    use it (for the usage counts) and its messages."""

    model: type[Any]
    key_attribute: str
    used_by: InstrumentedAttribute[int]
    denied: Phrase
    missing: Phrase
    name_taken: Phrase


def save_kind(session: Session, actor: Viewer, rules: KindRules, kind_id: int | None, name: str,
              process_key: str, active: bool) -> Any:
    """Create (``kind_id`` None) or change a kind: admins only; the name unique, the key that
    of a deployed process. A problem with the key is named by ``rules.key_attribute``."""
    if not actor.is_admin:
        raise PermissionDenied(rules.denied)
    kind = rules.model() if kind_id is None else session.get(rules.model, kind_id)
    if kind is None:
        raise NotFound(rules.missing)
    name, process_key = name.strip(), process_key.strip()
    problems: dict[str, str] = {}
    if not 0 < len(name) <= MAX_NAME:
        problems["name"] = Phrase("is required (at most %(count)s characters)", count=MAX_NAME)
    elif session.scalar(select(exists().where(rules.model.name == name, rules.model.id != kind_id))):
        problems["name"] = rules.name_taken
    if not session.scalar(select(exists().where(ProcessDefinition.key == process_key))):
        problems[rules.key_attribute] = Phrase("no process with this key is deployed")
    reject_fields(problems)
    kind.name, kind.active = name, active
    setattr(kind, rules.key_attribute, process_key)
    session.add(kind)
    session.flush()
    return kind


def kinds(session: Session, model: type[Any], active_only: bool) -> list[Any]:
    """The kinds by name; ``active_only`` leaves out those retired from new records."""
    query = select(model).order_by(model.name)
    if active_only:
        query = query.where(model.active.is_(True))
    return list(session.scalars(query))


def kind_usage(session: Session, rules: KindRules) -> list[tuple[Any, int]]:
    """Every kind by name with the number of records using it, for the admin list."""
    counts = (select(rules.used_by.label("kind_id"), func.count().label("n"))
              .group_by(rules.used_by).subquery())
    rows = session.execute(select(rules.model, func.coalesce(counts.c.n, 0))
                           .outerjoin(counts, counts.c.kind_id == rules.model.id)
                           .order_by(rules.model.name)).all()
    return [(kind, count) for kind, count in rows]


def deployed_keys(session: Session) -> list[str]:
    """Every deployed process key, for the pickers of the admin pages."""
    return list(session.scalars(select(ProcessDefinition.key).distinct().order_by(ProcessDefinition.key)))
