"""Admins manage duplicate rules: what each kind of record is compared on, and what a match does.

Input comes as typed text (:class:`RuleInput`), all problems are reported at once, and a
condition's problem is named ``conditions-<row>-<field>``, the row's own input name, so a
form shows it beside the cell. Functions work in the caller's session and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound, PermissionDenied
from core.phrases import Phrase
from workflows.inputs import Checker
from workflows.org.visibility import Viewer

from .models import ACTIONS, MATCHES, OBJECTS, DuplicateRule
from .sources import SOURCES

MAX_CONDITIONS = 5


@dataclass(frozen=True)
class ConditionInput:
    """One row of the rule form; a row without a field is an unused blank row."""

    field: str = ""
    match: str = "exact"
    threshold: str = ""
    prefix_length: str = ""


@dataclass(frozen=True)
class RuleInput:
    object: str
    name: str
    action: str = "warn"
    active: bool = True
    position: str = "0"
    conditions: Sequence[ConditionInput] = field(default_factory=tuple)


def active_rules(session: Session, object: str) -> list[DuplicateRule]:
    """The rules a check applies, in the admin's order."""
    return list(session.scalars(select(DuplicateRule).where(
        DuplicateRule.object == object, DuplicateRule.active.is_(True))
        .order_by(DuplicateRule.position, DuplicateRule.id)))


def list_rules(session: Session) -> list[DuplicateRule]:
    """Every rule, active or not, by kind of record and position, for the admin page."""
    return list(session.scalars(select(DuplicateRule).order_by(
        DuplicateRule.object, DuplicateRule.position, DuplicateRule.id)))


def get_rule(session: Session, rule_id: int) -> DuplicateRule:
    rule = session.get(DuplicateRule, rule_id)
    if rule is None:
        raise NotFound(Phrase("This duplicate rule does not exist"))
    return rule


def save_rule(session: Session, actor: Viewer, rule_id: int | None, data: RuleInput) -> DuplicateRule:
    """Create (``rule_id`` None) or change a rule; admins only."""
    _require_admin(actor)
    rule = DuplicateRule() if rule_id is None else get_rule(session, rule_id)
    check = Checker()
    object = check.choice("object", data.object, OBJECTS)
    values: dict[str, Any] = {
        "object": object,
        "name": check.text("name", data.name, 120, required=True),
        "action": check.choice("action", data.action, ACTIONS),
        "position": check.whole("position", data.position or "0", 0, 1000),
        "fields": _conditions(check, object, data.conditions),
        "active": data.active,
    }
    check.done()
    for name, value in values.items():
        setattr(rule, name, value)
    session.add(rule)
    session.flush()
    return rule


def deactivate_rule(session: Session, actor: Viewer, rule_id: int) -> DuplicateRule:
    """Retire a rule without losing it: checks skip it until it is made active again."""
    _require_admin(actor)
    rule = get_rule(session, rule_id)
    rule.active = False
    session.flush()
    return rule


def _require_admin(actor: Viewer) -> None:
    if not actor.is_admin:
        raise PermissionDenied(Phrase("Only administrators may manage duplicate rules"))


def _conditions(check: Checker, object: str, rows: Sequence[ConditionInput]) -> list[dict[str, Any]]:
    """The filled rows as stored field rules; one problem per bad cell. A rule may compare only
    the fields its kind keeps (a contact has no company), and not unindexed ones (an address)
    alone: they cannot find candidates."""
    fields = SOURCES.get(object, SOURCES["lead"]).fields
    allowed = tuple(fields)
    kept: list[dict[str, Any]] = []
    for row, data in enumerate(rows[:MAX_CONDITIONS]):
        if not data.field.strip():
            continue
        name = f"conditions-{row}"
        condition = _condition(check, name, allowed, data)
        if condition["field"] in {c["field"] for c in kept}:
            check.problem(f"{name}-field", Phrase("this field already has a condition"))
        kept.append(condition)
    if not kept:
        check.problem("conditions-0-field", Phrase("a rule needs at least one field to compare"))
    elif all(c["field"] in fields and not fields[c["field"]].indexed for c in kept):
        check.problem("conditions-0-field", Phrase("the address alone cannot be searched: add another field"))
    return kept


def _condition(check: Checker, name: str, allowed: Sequence[str], data: ConditionInput) -> dict[str, Any]:
    field_name = check.choice(f"{name}-field", data.field, allowed)
    match = check.choice(f"{name}-match", data.match, MATCHES)
    condition: dict[str, Any] = {"field": field_name, "match": match}
    if match == "fuzzy" and field_name in ("phone", "email"):
        check.problem(f"{name}-match", Phrase("phones and emails are compared exactly or by their start"))
    if match == "fuzzy":
        condition["threshold"] = check.whole(f"{name}-threshold", data.threshold, 0, 100)
    if match == "prefix":
        condition["prefix_length"] = check.whole(f"{name}-prefix_length", data.prefix_length, 1, 50)
    return condition
