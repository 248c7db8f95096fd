"""Finding the records a new or edited one duplicates, by the active rules of its kind.

Each rule first narrows the table with indexed lookups: equality for exact fields, a
``LIKE 'xx%'`` on the normalised column for prefix and fuzzy fields (all combined with AND,
capped at ``CANDIDATE_CAP`` rows), and only those candidates are scored in Python. So the
cost of a check does not grow with the table; the price is that a fuzzy match whose first
``FUZZY_PREFIX`` normalised characters differ ("上海某某" and "某某") is not found.

All rules' lookups go to the database as one query (a ``UNION ALL`` of the capped lookups,
each tagged with its rule), so a check is one round trip however many rules there are: an
import or a busy web form checks every record it saves.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import Integer, Select, bindparam, literal_column, select, union_all
from sqlalchemy.orm import Session, aliased

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

    @property
    def described(self) -> Phrase:
        """What a refused save and an import's report say of it: the record and the rule."""
        return Phrase('Duplicate of "%(label)s" (#%(id)s) by the rule "%(rule)s"',
                      label=self.label, id=self.record_id, rule=self.rule_name)


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
        message = duplicate.described
        super().__init__(message, [message], {next(iter(duplicate.scores), ""): message})
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


def duplicates_of(session: Session, object: str, record: Any) -> list[Duplicate]:
    """The records an existing one duplicates (never itself), by the values it keeps: what a
    pool claim checks before a rep takes a lead or an account."""
    source = SOURCES[object]
    values = {name: str(getattr(record, source.kept_as.get(name, name), "") or "") for name in source.fields}
    return find_duplicates(session, object, values, exclude_id=record.id)


def match(session: Session, object: str, values: Mapping[str, str], exclude_id: int | None = None,
          rules: Sequence[DuplicateRule] | None = None) -> MatchResult:
    """Every rule's matches, near misses and how many rows were scored (the admin check page)."""
    source = SOURCES[object]
    typed = {name: stored.typed(values.get(name, "") or "") for name, stored in source.fields.items()}
    searches = [search for rule in (rules if rules is not None else active_rules(session, object))
                if (search := _search(source, rule, typed)) is not None]
    result = MatchResult()
    for search, record in _candidates(session, object, searches, exclude_id):
        _score(source, search, typed, record, result)
    result.duplicates.sort(key=lambda d: (d.action != "block", -min(d.scores.values(), default=0)))
    result.near_misses.sort(key=lambda d: -sum(d.scores.values()))
    del result.near_misses[NEAR_MISSES:]
    return result


Lookup = tuple[str, bool]  # an indexed field, and whether it is looked up by its start (else by equality)


@dataclass(frozen=True)
class _Search:
    """A rule that can say "same" for the typed values: its conditions, its indexed lookups and
    the value each lookup compares (the typed value, or a ``LIKE`` pattern for its start)."""

    rule: DuplicateRule
    conditions: Sequence[Mapping[str, Any]]
    lookups: tuple[Lookup, ...]
    values: tuple[str, ...]


def _search(source: Source, rule: DuplicateRule, typed: Mapping[str, str]) -> _Search | None:
    conditions = [c for c in rule.fields if c.get("field") in source.fields]
    if not conditions or any(not typed[c["field"]] for c in conditions):
        return None  # a rule on a field left empty (or not kept by this kind) cannot say "same"
    lookups: list[Lookup] = []
    values: list[str] = []
    for condition in conditions:
        if source.fields[condition["field"]].indexed:
            text, length = typed[condition["field"]], _start(condition)
            lookups.append((condition["field"], length is not None))
            values.append(text if length is None else _starting_with(text[:length]))
    if not lookups:
        return None  # only unindexed fields: refused when the rule is saved, never a table scan
    return _Search(rule, conditions, tuple(lookups), tuple(values))


def _start(condition: Mapping[str, Any]) -> int | None:
    """How many leading characters a condition's lookup compares; None: the whole value."""
    if condition["match"] == "exact":
        return None
    return int(condition.get("prefix_length") or 0) if condition["match"] == "prefix" else FUZZY_PREFIX


def _starting_with(text: str) -> str:
    """A ``LIKE`` pattern (escaped with "/") for values that start with ``text``."""
    return "".join(f"/{c}" if c in "/%_" else c for c in text) + "%"


def _candidates(session: Session, object: str, searches: Sequence[_Search],
                exclude_id: int | None) -> Iterator[tuple[_Search, Any]]:
    """Each search's candidates (at most ``CANDIDATE_CAP``), rule by rule, from one query. Rows
    are put in rule order here, not by an ``ORDER BY``: sorting the wide rows cost the database
    more than the whole lookup."""
    if not searches:
        return
    statement = _statement(object, tuple(search.lookups for search in searches), exclude_id is not None)
    values: dict[str, Any] = {f"v{index}_{n}": value for index, search in enumerate(searches)
                              for n, value in enumerate(search.values)}
    if exclude_id is not None:
        values["exclude"] = exclude_id
    rows = sorted(session.execute(statement, values), key=lambda row: row[1])  # rule by rule, as listed
    for record, index in rows:
        yield searches[index], record


@lru_cache(maxsize=256)
def _statement(object: str, searches: tuple[tuple[Lookup, ...], ...], excluding: bool) -> Select[Any]:
    """The query for searches of these shapes, built once (building one costs more than running
    it): the capped lookups joined in a ``UNION ALL``, each row tagged with its search's index.
    Each lookup reads whole rows, so no join back to the table is needed (one, planned from the
    statistics of a table that just grew, ran the whole union once per row of the table). Each
    sits in a subquery of its own, since SQLite takes no ``LIMIT`` on a bare member of a
    compound select."""
    source = SOURCES[object]
    model = source.model
    members = []
    for index, lookups in enumerate(searches):
        where = [source.fields[name].column.like(bindparam(f"v{index}_{n}"), escape="/") if by_start
                 else source.fields[name].column == bindparam(f"v{index}_{n}")
                 for n, (name, by_start) in enumerate(lookups)]
        if excluding:
            where.append(model.id != bindparam("exclude"))
        lookup = (select(literal_column(str(index), Integer).label("search"), *model.__table__.c)
                  .where(*where).limit(CANDIDATE_CAP).subquery())
        members.append(select(*lookup.c))
    tagged = union_all(*members).subquery()
    return select(aliased(model, tagged), tagged.c.search)


def _score(source: Source, search: _Search, typed: Mapping[str, str], record: Any,
           result: MatchResult) -> None:
    result.scored += 1
    rule, conditions = search.rule, search.conditions
    scores = {c["field"]: score(c, typed[c["field"]], stored_value(source, c["field"], record))
              for c in conditions}
    found = Duplicate(record.id, source.label(record), getattr(record, "owner", None), rule.id, rule.name,
                      rule.action, scores)
    if all(_passes(c, scores[c["field"]]) for c in conditions):
        result.duplicates.append(found)
    else:
        result.near_misses.append(found)


def _passes(condition: Mapping[str, Any], points: int) -> bool:
    if condition["match"] == "fuzzy":
        return points >= int(condition.get("threshold") or 0)
    return points == 100
