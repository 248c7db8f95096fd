"""Finding the records a new or edited one duplicates, by the active rules of its kind.

Each rule first narrows the table with indexed lookups: equality for exact fields, a
``LIKE 'xx%'`` on the normalised column for prefix and fuzzy fields (all combined with AND,
capped at ``CANDIDATE_CAP`` rows), and only those candidates are scored in Python. So the
cost of a check does not grow with the table; the price is that a fuzzy match whose first
``FUZZY_PREFIX`` normalised characters differ ("上海某某" and "某某") is not found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from core.errors import InvalidInput
from core.phrases import Phrase

from .models import DuplicateRule
from .rules import active_rules
from .sources import SOURCES, Source, stored_value

CANDIDATE_CAP = 300  # rows scored per rule at most
FUZZY_PREFIX = 2  # normalised characters a fuzzy candidate shares with the typed value
NEAR_MISSES = 10


@dataclass(frozen=True)
class Duplicate:
    """A record a rule matched, with the score (0-100) of each of the rule's fields."""

    record_id: int
    label: str
    owner: str | None
    rule_id: int
    rule_name: str
    action: str
    scores: dict[str, int]


@dataclass
class MatchResult:
    """What a check found; ``scored`` counts candidate rows scored (all rules), and
    ``near_misses`` are candidates some field scored too low for, to help tune thresholds."""

    duplicates: list[Duplicate] = field(default_factory=list)
    near_misses: list[Duplicate] = field(default_factory=list)
    scored: int = 0


class DuplicateBlocked(InvalidInput):
    """A blocking rule matched; ``duplicate`` names the rule and the existing record."""

    def __init__(self, duplicate: Duplicate) -> None:
        message = Phrase('Duplicate of "%(label)s" (#%(id)s) by the rule "%(rule)s"',
                         label=duplicate.label, id=duplicate.record_id, rule=duplicate.rule_name)
        fields = {next(iter(duplicate.scores), ""): message}
        super().__init__(message, [message], fields)
        self.duplicate = duplicate


def score(condition: Mapping[str, Any], typed: str, stored: str) -> int:
    """0-100. Fuzzy uses rapidfuzz's ``WRatio`` on the normalised strings: the best of the plain,
    partial and token-based ratios, weighted by how much the lengths differ. ``token_set_ratio``
    alone sees a Chinese company without spaces as one token, so "上海某某" against
    "上海某某科技发展" would score 67; WRatio's partial ratio scores it 90, while Latin names in
    another word order ("smith john") still score 95 through its token ratios."""
    if not typed or not stored:
        return 0
    if condition["match"] == "fuzzy":
        return round(fuzz.WRatio(typed, stored, processor=None))
    if condition["match"] == "prefix":
        length = int(condition.get("prefix_length") or 0)
        return 100 if typed[:length] == stored[:length] else 0
    return 100 if typed == stored else 0


def find_duplicates(session: Session, object: str, values: Mapping[str, str],
                    exclude_id: int | None = None) -> list[Duplicate]:
    """The records of kind ``object`` ("lead", "account", "contact") that any active rule
    says ``values`` (field → text as typed) duplicates; blocking rules first. ``exclude_id``
    is the record being edited, which never duplicates itself."""
    return match(session, object, values, exclude_id).duplicates


def check_duplicates(session: Session, object: str, values: Mapping[str, str],
                     exclude_id: int | None = None) -> list[Duplicate]:
    """Raise :class:`DuplicateBlocked` (an ``InvalidInput``) naming the rule and the record
    when a blocking rule matches; otherwise return the warnings for the user to see."""
    duplicates = find_duplicates(session, object, values, exclude_id)
    for duplicate in duplicates:
        if duplicate.action == "block":
            raise DuplicateBlocked(duplicate)
    return duplicates


def match(session: Session, object: str, values: Mapping[str, str], exclude_id: int | None = None,
          rules: Sequence[DuplicateRule] | None = None) -> MatchResult:
    """Every rule's matches, near misses and how many rows were scored (the admin check page)."""
    source = SOURCES[object]
    typed = {name: stored.typed(values.get(name, "") or "") for name, stored in source.fields.items()}
    result = MatchResult()
    for rule in rules if rules is not None else active_rules(session, object):
        _apply(session, source, rule, typed, exclude_id, result)
    result.duplicates.sort(key=lambda d: (d.action != "block", -min(d.scores.values(), default=0)))
    result.near_misses.sort(key=lambda d: -sum(d.scores.values()))
    del result.near_misses[NEAR_MISSES:]
    return result


def _apply(session: Session, source: Source, rule: DuplicateRule, typed: Mapping[str, str],
           exclude_id: int | None, result: MatchResult) -> None:
    conditions = [c for c in rule.fields if c.get("field") in source.fields]
    if not conditions or any(not typed[c["field"]] for c in conditions):
        return  # a rule on a field left empty (or not kept by this kind) cannot say "same"
    narrowing = [_narrowing(source, c, typed[c["field"]]) for c in conditions]
    where = [n for n in narrowing if n is not None]
    if not where:
        return  # only unindexed fields: refused when the rule is saved, never a table scan
    if exclude_id is not None:
        where.append(source.model.id != exclude_id)
    for record in session.scalars(select(source.model).where(*where).limit(CANDIDATE_CAP)):
        result.scored += 1
        scores = {c["field"]: score(c, typed[c["field"]], stored_value(source, c["field"], record))
                  for c in conditions}
        found = Duplicate(record.id, source.label(record), getattr(record, "owner", None), rule.id, rule.name,
                          rule.action, scores)
        if all(_passes(c, scores[c["field"]]) for c in conditions):
            result.duplicates.append(found)
        else:
            result.near_misses.append(found)


def _narrowing(source: Source, condition: Mapping[str, Any], typed: str) -> ColumnElement[bool] | None:
    stored = source.fields[condition["field"]]
    if not stored.indexed:
        return None
    if condition["match"] == "exact":
        return stored.column == typed
    length = int(condition.get("prefix_length") or 0) if condition["match"] == "prefix" else FUZZY_PREFIX
    return stored.column.startswith(typed[:length], autoescape=True)


def _passes(condition: Mapping[str, Any], points: int) -> bool:
    if condition["match"] == "fuzzy":
        return points >= int(condition.get("threshold") or 0)
    return points == 100
