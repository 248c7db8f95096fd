"""Camunda 7 generated task forms: parsed from ``camunda:formData``, enforced on submit.

The form lives in the diagram, so a designer changes what a stage asks for without
code. Submissions are checked here, server side, whatever client sent them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from core.phrases import Phrase

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
FIELD_TYPES = ("string", "textarea", "long", "decimal", "money", "boolean", "date", "enum")
_NUMERIC = ("long", "decimal", "money")
_TRUE = {"true", "on", "1", "yes"}
_FALSE = {"false", "off", "0", "no", ""}


@dataclass(frozen=True)
class FormField:
    id: str
    label: str
    type: str = "string"
    default: str | None = None
    required: bool = False
    readonly: bool = False
    min: str | None = None
    max: str | None = None
    minlength: int | None = None
    maxlength: int | None = None
    options: tuple[tuple[str, str], ...] = ()
    properties: Mapping[str, str] = field(default_factory=dict)
    # Constraint ``required_if`` with config "outcome=lost|abandoned": required only when
    # another field has one of those values, so leaving a stage can demand what losing doesn't.
    required_if: tuple[str, tuple[str, ...]] | None = None

    def required_for(self, submitted: Mapping[str, Any]) -> bool:
        if self.required:
            return True
        if self.required_if is None:
            return False
        other, values = self.required_if
        return str(submitted.get(other) or "").strip() in values

    @property
    def help(self) -> str | None:
        return self.properties.get("help") or self.properties.get("description")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "options": [list(o) for o in self.options], "help": self.help}


def _c(tag: str) -> str:
    return f"{{{CAMUNDA_NS}}}{tag}"


def parse_form_data(node: etree._Element) -> list[FormField]:
    """Read the ``camunda:formField`` children of a ``camunda:formData`` element."""
    return [_parse_field(f) for f in node.iter(_c("formField"))]


def _parse_field(node: etree._Element) -> FormField:
    constraints = {
        c.get("name"): c.get("config") for c in node.iter(_c("constraint")) if c.get("name")
    }
    properties = {p.get("id"): p.get("value", "") for p in node.iter(_c("property")) if p.get("id")}
    options = tuple((v.get("id", ""), v.get("name") or v.get("id", "")) for v in node.iter(_c("value")))
    return FormField(
        id=node.get("id", ""),
        label=node.get("label") or node.get("id", ""),
        type=node.get("type") or "string",
        default=node.get("defaultValue"),
        required="required" in constraints,
        readonly="readonly" in constraints,
        min=constraints.get("min"),
        max=constraints.get("max"),
        minlength=_int_or_none(constraints.get("minlength")),
        maxlength=_int_or_none(constraints.get("maxlength")),
        options=options,
        properties=properties,
        required_if=_condition(constraints.get("required_if")),
    )


def _condition(config: str | None) -> tuple[str, tuple[str, ...]] | None:
    """``"outcome=lost|abandoned"`` as ("outcome", ("lost", "abandoned"))."""
    if config is None:
        return None
    other, _, values = config.partition("=")
    return other.strip(), tuple(v.strip() for v in values.split("|") if v.strip())


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def field_problems(form: list[FormField]) -> list[str]:
    """Deploy-time check of a form definition; each message names the field."""
    problems = []
    for f in form:
        if not f.id.isidentifier() or f.id.startswith("_"):
            problems.append(f"form field id {f.id!r} must be a name (letters, digits, underscore)")
        if f.type not in FIELD_TYPES:
            problems.append(f"form field '{f.id}' has unknown type {f.type!r}")
        if f.type == "enum" and not f.options:
            problems.append(f"form field '{f.id}' is an enum without values")
        problems += _condition_problems(f, {other.id: other for other in form})
    return problems


def _condition_problems(f: FormField, fields: Mapping[str, FormField]) -> list[str]:
    if f.required_if is None:
        return []
    other, values = f.required_if
    if other not in fields or other == f.id:
        return [f"form field '{f.id}': required_if must name another field of the form, as in "
                f"'outcome=lost' (got {other!r})"]
    if not values:
        return [f"form field '{f.id}': required_if names no value of '{other}'"]
    allowed = {option for option, _ in fields[other].options}
    unknown = [v for v in values if allowed and v not in allowed]
    if unknown:
        return [f"form field '{f.id}': required_if value {unknown[0]!r} is not an option of '{other}'"]
    return []


def validate_submission(
    form: list[FormField], submitted: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Coerce and check ``submitted`` against ``form``.

    Returns the cleaned values and a field-id -> message map of errors. Read-only
    fields keep their current value; fields the form does not declare are refused,
    so a crafted request cannot set process variables the designer never exposed.
    """
    known = {f.id for f in form}
    unknown = Phrase("is not a field of this form")
    errors: dict[str, str] = {key: unknown for key in submitted if key not in known}
    clean: dict[str, Any] = {}
    for f in form:
        if f.readonly:
            continue
        raw = submitted.get(f.id)
        if f.type == "boolean":
            value, error = _to_bool(raw)
        elif raw is None or (isinstance(raw, str) and raw.strip() == ""):
            value, error = None, (Phrase("is required") if f.required_for(submitted) else None)
        else:
            value, error = _coerce(f, raw)
        if error:
            errors[f.id] = error
        else:
            clean[f.id] = value
    return clean, errors


def _to_bool(raw: Any) -> tuple[bool | None, str | None]:
    if isinstance(raw, bool) or raw is None:
        return bool(raw), None
    text = str(raw).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE, None
    return None, Phrase("must be yes or no")


def _coerce(f: FormField, raw: Any) -> tuple[Any, str | None]:
    if isinstance(raw, (Mapping, list)):  # JSON clients can send these; a form field holds one value
        return None, Phrase("must be a single value")
    if f.type in _NUMERIC:
        return _coerce_number(f, raw)
    if f.type == "date":
        try:
            return (raw if isinstance(raw, date) else date.fromisoformat(str(raw).strip())), None
        except ValueError:
            return None, Phrase("must be a date (YYYY-MM-DD)")
    text = str(raw).strip() if f.type != "textarea" else str(raw)
    if f.type == "enum" and text not in {o[0] for o in f.options}:
        return None, Phrase("is not one of the allowed values")
    if f.minlength is not None and len(text) < f.minlength:
        return None, Phrase("must be at least %(count)s characters", count=f.minlength)
    if f.maxlength is not None and len(text) > f.maxlength:
        return None, Phrase("must be at most %(count)s characters", count=f.maxlength)
    return text, None


def _coerce_number(f: FormField, raw: Any) -> tuple[Any, str | None]:
    if isinstance(raw, bool):
        return None, Phrase("must be a number")
    try:
        number = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        return None, Phrase("must be a number")
    if not number.is_finite():
        return None, Phrase("must be a number")
    if f.type == "long":
        if number != number.to_integral_value():
            return None, Phrase("must be a whole number")
        number = Decimal(int(number))
    if f.min is not None and number < Decimal(f.min):
        return None, Phrase("must be at least %(limit)s", limit=f.min)
    if f.max is not None and number > Decimal(f.max):
        return None, Phrase("must be at most %(limit)s", limit=f.max)
    if f.type == "long":
        return int(number), None
    return (number.quantize(Decimal("0.01")) if f.type == "money" else number), None
