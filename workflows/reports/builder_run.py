"""Running a built report: one SQL query from the checked definition, always scoped to the
*runner's* visibility (``org.visibility``), whoever saved or shared the report.

Ungrouped, it lists records a page at a time with the total of every amount column over all
of them; grouped, it counts, sums or averages per group in SQL (GROUP BY), with a totals row.
Dated fields group by the reader's month, quarter or year: PostgreSQL converts each time to
the reader's zone itself; SQLite shifts it by the zone's offset at that moment (a CASE over
the zone's offset changes, none for zones without daylight saving).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, Select, and_, case, cast, func, literal_column, or_, select
from sqlalchemy.orm import Session

from core.db import is_postgresql
from core.phrases import Phrase
from workflows.org.recipients import display_names
from workflows.org.visibility import Viewer, owner_condition
from workflows.visits.periods import utc_bounds

from .builder import Condition, Grouping, ReportDefinition
from .builder_catalog import DATED, Field
from .builder_offsets import offset_changes
from .scope import ReportScope
from .table import Column, Table

PAGE_SIZE = 50
MAX_BUCKETS = 200  # groups past this tell a person nothing: a note says so
EXPORT_ROWS = 10_000
CENTS = Decimal("0.01")
_DAY = timedelta(days=1)
_ZONE = re.compile(r"[A-Za-z0-9_+\-/]{1,60}")
_PG_FORMATS = {"month": "YYYY-MM", "quarter": 'YYYY-"Q"Q', "year": "YYYY"}
_SQLITE_STORED = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy writes a datetime into SQLite


@dataclass(frozen=True)
class ChartData:
    """What a chart plots: one value per label (the first grouping's values) in each series (the
    second grouping's values, or just the summary)."""

    kind: str
    labels: list[Any]
    series: list[tuple[Any, list[Any]]]


@dataclass(frozen=True)
class ReportResult:
    table: Table
    chart: ChartData | None
    records: int  # listed: the records matching; grouped: the groups
    page: int = 1
    pages: int = 1

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def run_report(session: Session, viewer: Viewer, definition: ReportDefinition, time_zone: str, *,
               page: int = 1, per_page: int = PAGE_SIZE, scope: ReportScope | None = None) -> ReportResult:
    """The report as ``viewer`` may see it, in ``time_zone``'s calendar; ``scope`` narrows it to a
    unit or a person of theirs (never wider than they see)."""
    zone = time_zone if _ZONE.fullmatch(time_zone or "") and _loads(time_zone) else "UTC"
    owner = definition.object.owner
    where = [scope.condition(viewer, owner) if scope else owner_condition(viewer, owner),
             *(_condition(c, zone) for c in definition.conditions)]
    if definition.groups:
        return _grouped(session, definition, where, zone)
    return _listed(session, definition, where, zone, page, per_page)


def _loads(zone: str) -> bool:
    try:
        ZoneInfo(zone)
    except (ValueError, KeyError, OSError):
        return False
    return True


def _from(definition: ReportDefinition, fields: list[Field], query: Select[Any]) -> Select[Any]:
    """``query`` over the object's table with the outer joins its fields need (each one to one)."""
    query = query.select_from(definition.object.model)
    for key in dict.fromkeys(f.join for f in fields if f.join):
        target, on = definition.object.joins[key]
        query = query.outerjoin(target, on)
    return query


def _used(definition: ReportDefinition) -> list[Field]:
    return [c.field for c in definition.conditions]


def _listed(session: Session, definition: ReportDefinition, where: list[ColumnElement[bool]], zone: str,
            page: int, per_page: int) -> ReportResult:
    columns = list(definition.columns)
    used = [*columns, *_used(definition)]
    total = session.scalar(_from(definition, _used(definition), select(func.count())).where(*where)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    query = (_from(definition, used, select(*(f.column for f in columns))).where(*where)
             .order_by(columns[0].column.asc().nulls_last(), definition.object.model.id)
             .limit(per_page).offset((page - 1) * per_page))
    rows = [list(row) for row in session.execute(query)]
    money = [f for f in columns if f.kind == "money"]
    totals: list[Any] | None = None
    if money:
        sums = session.execute(_from(definition, [*money, *_used(definition)],
                                     select(*(func.sum(f.column) for f in money))).where(*where)).one()
        by_key = dict(zip((f.key for f in money), sums, strict=True))
        totals = [(by_key[f.key] or Decimal("0.00")) if f.kind == "money" else None for f in columns]
    _readable(session, columns, rows, zone)
    table = Table([Column(f.key, f.label, _kind(f)) for f in columns], rows, totals)
    return ReportResult(table, None, total, page, pages)


def _grouped(session: Session, definition: ReportDefinition, where: list[ColumnElement[bool]],
             zone: str) -> ReportResult:
    postgresql = is_postgresql(session)
    keys = [_group_key(g, postgresql, zone) for g in definition.groups]
    values = _aggregates(definition)
    used = [g.field for g in definition.groups] + _used(definition)
    if definition.measure is not None:
        used.append(definition.measure)
    query = (_from(definition, used, select(*keys, *values)).where(*where).group_by(*keys)
             .order_by(*(key.asc().nulls_last() for key in keys)).limit(MAX_BUCKETS + 1))
    found = [list(row) for row in session.execute(query)]
    notes = []
    if len(found) > MAX_BUCKETS:
        found = found[:MAX_BUCKETS]
        notes.append(_more_groups())
    rows = [[*row[:len(keys)], _summary(definition, row[len(keys):])] for row in found]
    totals_row = session.execute(_from(definition, used, select(*values)).where(*where)).one()
    group_fields = [g.field if not g.period else None for g in definition.groups]
    _readable(session, group_fields, rows, zone)
    columns = [Column(g.field.key, g.label, "count" if g.field.kind == "number" and not g.period else "text")
               for g in definition.groups]
    columns.append(Column("value", definition.value_label, _value_kind(definition)))
    totals = [None] * len(keys) + [_summary(definition, list(totals_row))]
    table = Table(columns, rows, totals, notes)
    chart = _chart(definition, rows) if definition.chart != "none" else None
    return ReportResult(table, chart, len(rows))


def _more_groups() -> Phrase:
    return Phrase("Only the first %(count)s groups are shown: narrow the filters to see the rest.",
                  count=MAX_BUCKETS)


def _aggregates(definition: ReportDefinition) -> list[ColumnElement[Any]]:
    """Count: the records; sum: the sum; average: the sum and how many values it adds up, divided
    in Decimal afterwards so both databases round alike."""
    if definition.measure is None or definition.aggregate == "count":
        return [func.count()]
    column = definition.measure.column
    if definition.aggregate == "sum":
        return [func.sum(column)]
    return [func.sum(column), func.count(column)]


def _summary(definition: ReportDefinition, values: list[Any]) -> Any:
    if definition.measure is None or definition.aggregate == "count":
        return values[0] or 0
    zero = Decimal("0.00") if definition.measure.kind == "money" else 0
    if definition.aggregate == "sum":
        return values[0] if values[0] is not None else zero
    total, count = values
    if not count:
        return None
    return (Decimal(total) / count).quantize(CENTS, rounding=ROUND_HALF_UP)


def _value_kind(definition: ReportDefinition) -> str:
    if definition.measure is None or definition.aggregate == "count":
        return "count"
    if definition.measure.kind == "money":
        return "money"
    return "count" if definition.aggregate == "sum" else "number"


def _kind(field: Field) -> str:
    return {"money": "money", "number": "count", "date": "date", "datetime": "date"}.get(field.kind, "text")


def _readable(session: Session, fields: Sequence[Field | None], rows: list[list[Any]], zone: str) -> None:
    """People by their display names and times as the reader's calendar days, in place."""
    people = [i for i, f in enumerate(fields) if f is not None and f.kind == "person"]
    names = display_names(session, {row[i] for row in rows for i in people if row[i]})
    local = ZoneInfo(zone)
    for row in rows:
        for i, f in enumerate(fields):
            if f is not None and f.kind == "person" and row[i]:
                row[i] = names.get(row[i], row[i])
            elif f is not None and f.kind == "datetime" and isinstance(row[i], datetime):
                row[i] = row[i].astimezone(local).date()


def _chart(definition: ReportDefinition, rows: list[list[Any]]) -> ChartData:
    """One series for one grouping; for two, a series per value of the second, zero where a pair
    has no records."""
    if len(definition.groups) == 1:
        return ChartData(definition.chart, [row[0] for row in rows], [(definition.value_label,
                                                                      [row[1] for row in rows])])
    labels = list(dict.fromkeys(row[0] for row in rows))
    seconds = list(dict.fromkeys(row[1] for row in rows))
    values = {(row[0], row[1]): row[2] for row in rows}
    series = [(second, [values.get((label, second)) or 0 for label in labels]) for second in seconds]
    return ChartData(definition.chart, labels, series)


def _condition(c: Condition, zone: str) -> ColumnElement[bool]:
    column, kind = c.field.column, c.field.kind
    textual = kind in ("text", "choice", "person")  # empty: no value, or an empty text
    if c.op == "empty":
        return or_(column.is_(None), column == "") if textual else column.is_(None)
    if c.op == "not_empty":
        return and_(column.is_not(None), column != "") if textual else column.is_not(None)
    if kind == "datetime":
        return _moments(column, c, zone)
    if c.op == "contains":
        return func.lower(column).contains(str(c.value).lower(), autoescape=True)
    if c.op == "between":
        return column.between(c.value, c.value2)
    compared: ColumnElement[bool] = {  # comparisons SQLAlchemy's stubs type as Any
        "at_least": lambda: column >= c.value, "after": lambda: column > c.value,
        "at_most": lambda: column <= c.value, "before": lambda: column < c.value,
    }.get(c.op, lambda: column == c.value)()
    return compared


def _moments(column: ColumnElement[Any], c: Condition, zone: str) -> ColumnElement[bool]:
    """A filter on a stored moment by the reader's calendar days: "on" a day is from its first
    moment to the next day's, in the reader's zone."""
    first, last = c.value, c.value2 if c.op == "between" else c.value
    start, end = utc_bounds(first, last + _DAY, zone)
    if c.op == "before":
        return column < start
    if c.op == "after":
        return column >= end
    return and_(column >= start, column < end)


def _group_key(g: Grouping, postgresql: bool, zone: str) -> ColumnElement[Any]:
    """The expression a grouping groups by: the field, or its period as a sortable label ("2026-03",
    "2026-Q1", "2026"). Constants are inlined so SELECT and GROUP BY are the same expression."""
    column = g.field.column
    if g.field.kind not in DATED:
        return column
    if postgresql:
        local = column if g.field.kind == "date" else func.timezone(_literal(zone), column)
        return func.to_char(local, _literal(_PG_FORMATS[g.period]))
    local = column if g.field.kind == "date" else _sqlite_local(column, zone)
    year = func.strftime(_literal("%Y"), local)
    if g.period == "year":
        return year
    if g.period == "month":
        return func.strftime(_literal("%Y-%m"), local)
    month = cast(func.strftime(_literal("%m"), local), Integer)
    quarter = (month + literal_column("2")).self_group().op("/")(literal_column("3"))
    return func.printf(_literal("%s-Q%d"), year, quarter)


def _sqlite_local(column: ColumnElement[Any], zone: str) -> ColumnElement[Any]:
    """A stored UTC moment as the reader's local time on SQLite, shifted by the offset in force then."""
    first, changes = offset_changes(zone)
    shifted = [(None, first), *changes]
    if len(shifted) == 1:
        return func.datetime(column, _literal(f"{first:+d} seconds"))
    whens = [(column < _literal(moment.astimezone(UTC).strftime(_SQLITE_STORED)),
              func.datetime(column, _literal(f"{before:+d} seconds")))
             for (_, before), (moment, _after) in zip(shifted, changes, strict=False)]
    return case(*whens, else_=func.datetime(column, _literal(f"{changes[-1][1]:+d} seconds")))


def _literal(text: str) -> ColumnElement[Any]:
    """A constant inlined into the SQL: only our own formats, offsets, moments and zone names."""
    return literal_column("'" + text.replace("'", "''") + "'")
