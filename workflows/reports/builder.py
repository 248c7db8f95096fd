"""A report someone builds: an object, columns, filters, one or two groupings with a summary,
and a chart type, read from a query string or a saved JSON and checked against the catalogue
(``builder_catalog``) before anything reaches SQL.

Both sources go through :func:`check_definition`, so a saved report is held to the same rules
as the builder's preview, and a report saved before a field was withdrawn names what no longer
fits instead of failing. Problems are keyed by the builder's input names (``f0`` the first
filter's field, ``v0`` its value, ``g1`` the first grouping...), so each shows beside its input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from core.phrases import Phrase
from workflows.inputs import Checker
from workflows.visits.periods import on_calendar

from .builder_catalog import (
    AGGREGATES,
    CHARTS,
    DATED,
    NO_VALUE,
    NUMERIC,
    OBJECTS,
    OPERATORS,
    PERIODS,
    TWO_VALUES,
    Field,
    ReportObject,
)

MAX_COLUMNS = 12
MAX_FILTERS = 8
MAX_GROUPINGS = 2
MAX_TEXT = 200
WHOLE = 999_999_999
Problems = dict[str, str]


class Params(Protocol):
    """A query string or a form (werkzeug's MultiDict): one value per key, several for columns."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def getlist(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class Condition:
    """A filter with its values typed for the field's kind (and as typed, for links and saving)."""

    field: Field
    op: str
    value: Any = None
    value2: Any = None
    text: str = ""
    text2: str = ""


@dataclass(frozen=True)
class Grouping:
    field: Field
    period: str = ""  # month, quarter or year for dated fields

    @property
    def label(self) -> Phrase:
        if not self.period:
            return self.field.label
        return Phrase("%(field)s (%(period)s)", field=self.field.label, period=PERIODS[self.period])


@dataclass(frozen=True)
class ReportDefinition:
    object: ReportObject
    columns: tuple[Field, ...]
    conditions: tuple[Condition, ...] = ()
    groups: tuple[Grouping, ...] = ()
    aggregate: str = "count"
    measure: Field | None = None
    chart: str = "none"

    @property
    def value_label(self) -> Phrase:
        """What the summary column counts: "Count of records", "Sum of Amount"."""
        if self.measure is None:
            return AGGREGATES["count"]
        return Phrase("%(aggregate)s of %(field)s", aggregate=AGGREGATES[self.aggregate],
                      field=self.measure.label)

    def to_json(self) -> dict[str, Any]:
        """The definition as saved: field keys and values as typed, never SQL."""
        return {
            "object": self.object.key,
            "columns": [f.key for f in self.columns],
            "filters": [{"field": c.field.key, "op": c.op, "value": c.text, "value2": c.text2}
                        for c in self.conditions],
            "groups": [{"field": g.field.key, "period": g.period} for g in self.groups],
            "aggregate": self.aggregate,
            "measure": self.measure.key if self.measure else "",
            "chart": self.chart,
        }

    def params(self) -> dict[str, str | list[str]]:
        """The builder's query string for this definition (links, exports, editing a saved one)."""
        return params_of(self.to_json())


def params_of(raw: Mapping[str, Any]) -> dict[str, str | list[str]]:
    """A definition's JSON shape (checked or not) as the builder's query string, empty values left out."""
    found: dict[str, str | list[str]] = {"object": _text(raw.get("object")),
                                         "col": _strings(raw.get("columns"))}
    for i, f in enumerate(_rows(raw.get("filters"))):
        found.update({f"f{i}": _text(f.get("field")), f"o{i}": _text(f.get("op")),
                      f"v{i}": _text(f.get("value")), f"w{i}": _text(f.get("value2"))})
    for n, g in enumerate(_rows(raw.get("groups")), start=1):
        found.update({f"g{n}": _text(g.get("field")), f"g{n}by": _text(g.get("period"))})
    found.update({"agg": _text(raw.get("aggregate")), "aggf": _text(raw.get("measure")),
                  "chart": _text(raw.get("chart"))})
    return {key: value for key, value in found.items() if value}


def raw_from_params(params: Params) -> dict[str, Any]:
    """The builder's query string in the JSON shape of a saved definition; blank filter and
    grouping rows are dropped (that is how a row is removed)."""
    def value(key: str) -> str:
        return str(params.get(key) or "").strip()[:MAX_TEXT + 1]

    filters = [{"field": value(f"f{i}"), "op": value(f"o{i}"), "value": value(f"v{i}"),
                "value2": value(f"w{i}")} for i in range(MAX_FILTERS + 1) if value(f"f{i}")]
    groups = [{"field": value(f"g{n}"), "period": value(f"g{n}by")} for n in range(1, MAX_GROUPINGS + 1)
              if value(f"g{n}")]
    columns = [c.strip() for c in params.getlist("col")[:MAX_COLUMNS + 1] if c.strip()]
    return {"object": value("object"), "columns": columns, "filters": filters, "groups": groups,
            "aggregate": value("agg") or "count", "measure": value("aggf"), "chart": value("chart") or "none"}


def check_definition(raw: Mapping[str, Any]) -> tuple[ReportDefinition | None, Problems]:
    """The definition ``raw`` describes, or None with every problem named (by input name)."""
    problems: Problems = {}
    key = _text(raw.get("object"))
    report_object = OBJECTS.get(key)
    if report_object is None:
        problems["object"] = Phrase("Choose what to report on") if not key \
            else Phrase("“%(value)s” is not a kind of record reports can read", value=key)
        return None, problems
    groups = _groups(report_object, _rows(raw.get("groups")), problems)
    columns = _columns(report_object, _strings(raw.get("columns")), bool(groups), problems)
    conditions = _conditions(report_object, raw.get("filters"), problems)
    aggregate, measure = _summary(report_object, _text(raw.get("aggregate")) or "count",
                                  _text(raw.get("measure")), problems)
    chart = _chart(_text(raw.get("chart")) or "none", groups, problems)
    if problems:
        return None, problems
    return ReportDefinition(report_object, columns, conditions, groups, aggregate, measure, chart), problems


def _field(report_object: ReportObject, key: str, where: str, problems: Problems) -> Field | None:
    found = report_object.fields.get(key)
    if found is None:
        problems.setdefault(where, Phrase("“%(value)s” is not a field of %(object)s", value=key,
                                          object=report_object.label))
    return found


def _columns(report_object: ReportObject, keys: Sequence[str], grouped: bool,
             problems: Problems) -> tuple[Field, ...]:
    """The listed fields, each once; a grouped report shows its groups instead, so needs none."""
    if len(keys) > MAX_COLUMNS:
        problems["col"] = Phrase("At most %(count)s columns", count=MAX_COLUMNS)
        return ()
    fields = [_field(report_object, key, "col", problems) for key in dict.fromkeys(keys)]
    if not keys and not grouped:
        problems["col"] = Phrase("Choose at least one column")
    return tuple(f for f in fields if f is not None)


def _conditions(report_object: ReportObject, rows: Any, problems: Problems) -> tuple[Condition, ...]:
    filters = _rows(rows)
    if len(filters) > MAX_FILTERS:
        problems["filters"] = Phrase("At most %(count)s filters", count=MAX_FILTERS)
        return ()
    conditions = []
    for i, row in enumerate(filters):
        found = _condition(report_object, i, row, problems)
        if found is not None:
            conditions.append(found)
    return tuple(conditions)


def _condition(report_object: ReportObject, i: int, row: Mapping[str, Any],
               problems: Problems) -> Condition | None:
    field = _field(report_object, _text(row.get("field")), f"f{i}", problems)
    if field is None:
        return None
    op = _text(row.get("op"))
    if op not in field.operators:
        problems[f"o{i}"] = Phrase("%(field)s cannot be filtered with “%(operator)s”", field=field.label,
                                   operator=OPERATORS.get(op, op))
        return None
    if op in NO_VALUE:
        return Condition(field, op)
    text, text2 = _text(row.get("value")), _text(row.get("value2")) if op in TWO_VALUES else ""
    value = _typed(field, text, f"v{i}", problems)
    value2 = _typed(field, text2, f"w{i}", problems) if op in TWO_VALUES else None
    if value is None or (op in TWO_VALUES and value2 is None):
        return None
    if op in TWO_VALUES and value2 < value:
        problems[f"w{i}"] = Phrase("%(field)s: the second value must not be below the first",
                                   field=field.label)
        return None
    return Condition(field, op, value, value2, text, text2)


def _typed(field: Field, text: str, key: str, problems: Problems) -> Any:
    """The value typed for the field's kind; a problem naming the field when it does not fit."""
    if not text:
        problems[key] = Phrase("%(field)s: a value is required", field=field.label)
        return None
    if field.kind == "choice":
        if text not in field.choices:
            problems[key] = Phrase("%(field)s: “%(value)s” is not one of its values", field=field.label,
                                   value=text)
            return None
        return text
    check = Checker()
    value: Any
    if field.kind in NUMERIC:
        value = check.money(key, text) if field.kind == "money" else check.whole(key, text, -WHOLE, WHOLE)
    elif field.kind in DATED:
        value = on_calendar(check, key, check.date(key, text))
    else:
        value = check.text(key, text, MAX_TEXT)
    if key in check.problems:
        problems[key] = Phrase("%(field)s %(problem)s", field=field.label, problem=check.problems[key])
        return None
    return value


def _groups(report_object: ReportObject, rows: list[Mapping[str, Any]],
            problems: Problems) -> tuple[Grouping, ...]:
    if len(rows) > MAX_GROUPINGS:
        problems["groups"] = Phrase("Group by at most %(count)s fields", count=MAX_GROUPINGS)
        return ()
    groups: list[Grouping] = []
    for n, row in enumerate(rows, start=1):
        field = _field(report_object, _text(row.get("field")), f"g{n}", problems)
        if field is None:
            continue
        if not field.groupable:
            problems[f"g{n}"] = Phrase("%(field)s cannot be grouped", field=field.label)
            continue
        period = _text(row.get("period")) if field.kind in DATED else ""
        if field.kind in DATED and period not in PERIODS:
            problems[f"g{n}by"] = Phrase("%(field)s groups by month, quarter or year", field=field.label)
            continue
        if any(g.field.key == field.key for g in groups):
            problems[f"g{n}"] = Phrase("Group by two different fields")
            continue
        groups.append(Grouping(field, period))
    return tuple(groups)


def _summary(report_object: ReportObject, aggregate: str, measure_key: str,
             problems: Problems) -> tuple[str, Field | None]:
    """Count records, or sum or average a number or an amount."""
    if aggregate not in AGGREGATES:
        problems["agg"] = Phrase("“%(value)s” is not a summary reports can compute", value=aggregate)
        return "count", None
    if aggregate == "count":
        return aggregate, None
    if not measure_key:
        problems["aggf"] = Phrase("Choose the number or amount to %(aggregate)s",
                                  aggregate=AGGREGATES[aggregate])
        return aggregate, None
    measure = _field(report_object, measure_key, "aggf", problems)
    if measure is not None and measure.kind not in NUMERIC:
        problems["aggf"] = Phrase("%(field)s is not a number or an amount", field=measure.label)
        return aggregate, None
    return aggregate, measure


def _chart(chart: str, groups: tuple[Grouping, ...], problems: Problems) -> str:
    if chart not in CHARTS:
        problems["chart"] = Phrase("“%(value)s” is not a chart type", value=chart)
    elif chart != "none" and not groups:
        problems["chart"] = Phrase("A chart needs a grouping (step 4)")
    elif chart == "pie" and len(groups) > 1:
        problems["chart"] = Phrase("A pie chart shows one grouping only")
    return chart


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _strings(value: Any) -> list[str]:
    return [v.strip() for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _rows(value: Any) -> list[Mapping[str, Any]]:
    return [row for row in value if isinstance(row, Mapping)] if isinstance(value, list) else []
