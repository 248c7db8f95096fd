"""Deploy-time checks: every expression a diagram holds must compile and pass the sandbox.

Designers learn about a bad condition, an unquoted or malformed timer, or a service that
does not exist when they deploy, with the element named, rather than months later when
an instance finally reaches that element.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Collection, Iterator
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from .errors import Problem
from .forms import field_problems
from .parsing import is_wrapped, unwrap_expression
from .sandbox import UnsafeExpression, check_source
from .specs import LoadedSpec

_DMN_INPUT = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")
# Per BPMN timer element: how the library reads its value, and what a valid one looks like.
TIMER_FORMATS: dict[str, tuple[Callable[[str], Any], str]] = {
    "timeDuration": (TimerEventDefinition.parse_iso_duration, "duration (e.g. \"P7D\", \"PT4H\")"),
    "timeDate": (TimerEventDefinition.parse_time_or_duration, "date-time (e.g. \"2026-01-31T09:00:00Z\")"),
    "timeCycle": (TimerEventDefinition.parse_iso_recurring_interval, "cycle (e.g. \"R3/PT10M\")"),
}
_TIMER_TAGS: dict[type, str] = {
    DurationTimerEventDefinition: "timeDuration",
    TimeDateEventDefinition: "timeDate",
    CycleTimerEventDefinition: "timeCycle",
}


def check_process(
    loaded: LoadedSpec, services: Collection[str], functions: Collection[str] = ()
) -> list[Problem]:
    """Every problem in the process and the processes it calls."""
    problems: list[Problem] = []
    for spec in [loaded.spec, *loaded.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            if getattr(task_spec, "bpmn_id", None) is None:
                continue
            for message in _task_messages(task_spec, services, functions):
                problems.append(
                    Problem(message, element_id=task_spec.bpmn_id, element_name=task_spec.bpmn_name)
                )
    return problems


def _task_messages(task_spec: Any, services: Collection[str], functions: Collection[str]) -> Iterator[str]:
    for label, source, mode in _expressions(task_spec):
        message = _check(source, mode, functions)
        if message:
            yield f"{label}: {message}"
    event = getattr(task_spec, "event_definition", None)
    if isinstance(event, TimerEventDefinition):
        message = _timer_literal_problem(event)
        if message:
            yield message
    operation = getattr(task_spec, "operation_name", None)
    if operation is not None:
        message = unknown_service(operation, services)
        if message:
            yield message
    yield from field_problems(getattr(task_spec, "extensions", {}).get("form", []))


def _expressions(task_spec: Any) -> Iterator[tuple[str, str, str]]:
    """(label, source, mode) for every piece of Python the element holds."""
    for condition, target in getattr(task_spec, "cond_task_specs", []) or []:
        if condition is not None:
            yield f"condition of the flow to '{target}'", condition.args[0], "eval"
    yield from _attributes(task_spec, _SCRIPTS, "exec")
    yield from _attributes(getattr(task_spec, "event_definition", None), _EVENT_EXPRESSIONS, "eval")
    yield from _attributes(task_spec, _LOOP_EXPRESSIONS, "eval")
    for name, param in (getattr(task_spec, "operation_params", None) or {}).items():
        yield f"parameter '{name}'", param["value"], "eval"
    extensions = getattr(task_spec, "extensions", {}) or {}
    for attribute in ("assignee", "dueDate", "followUpDate"):
        value = extensions.get(attribute)
        if isinstance(value, str) and is_wrapped(value):
            yield attribute, unwrap_expression(value), "eval"
    yield from _decision_expressions(task_spec)


_SCRIPTS = (("script", "script"), ("prescript", "pre-script"), ("postscript", "post-script"))
_EVENT_EXPRESSIONS = (("expression", "event expression"),)
_LOOP_EXPRESSIONS = (("cardinality", "loop cardinality"), ("condition", "completion condition"))


def _attributes(
    owner: Any, attributes: tuple[tuple[str, str], ...], mode: str
) -> Iterator[tuple[str, str, str]]:
    for attribute, label in attributes:
        source = getattr(owner, attribute, None)
        if isinstance(source, str) and source.strip():
            yield label, source, mode


def _decision_expressions(task_spec: Any) -> Iterator[tuple[str, str, str]]:
    engine = getattr(task_spec, "dmnEngine", None)
    if engine is None:
        return
    table = engine.decision_table
    for column in table.inputs:
        if column.expression:
            yield f"decision '{table.id}' input '{column.label or column.id}'", column.expression, "eval"
    for rule in table.rules:
        for entry in rule.inputEntries:
            for lhs in entry.lhs:
                if lhs and lhs.strip() not in ("-", ""):
                    yield f"decision '{table.id}' rule {rule.row_number}", _dmn_test(lhs), "eval"
        for entry in rule.outputEntries:
            if entry.text and entry.text.strip():
                yield f"decision '{table.id}' rule {rule.row_number} output", entry.text, "eval"


def _dmn_test(lhs: str) -> str:
    """The expression the DMN engine will evaluate for an input entry."""
    replaced = _DMN_INPUT.sub("dmninputexpr", lhs)
    if "dmninputexpr" in replaced:
        return replaced
    try:
        ast.parse(lhs, mode="eval")
        return f"(dmninputexpr) == ({lhs})"
    except SyntaxError:
        return f"dmninputexpr {lhs}"


def _check(source: str, mode: str, functions: Collection[str]) -> str | None:
    try:
        check_source(source, mode, {"dmninputexpr", *functions})  # type: ignore[arg-type]
    except SyntaxError as exc:
        return f"invalid Python ({exc.msg}) in {source.strip()!r}"
    except UnsafeExpression as exc:
        return f"{exc} in {source.strip()!r}"
    return None


def unknown_service(operation: str, services: Collection[str]) -> str | None:
    """Why a service task naming ``operation`` cannot run, or None if it is registered."""
    if operation in services:
        return None
    known = ", ".join(sorted(services)) or "none"
    return f"service '{operation}' is not a registered function (registered: {known})"


def timer_value_problem(tag: str, value: str) -> str | None:
    """Why ``value`` is no valid ISO 8601 value for the timer element ``tag`` (e.g. "timeDuration")."""
    parse, kind = TIMER_FORMATS[tag]
    try:
        parse(value)
    except Exception:  # noqa: BLE001 - the library raises assorted errors for bad values
        return f"timer value {value!r} is not a valid ISO 8601 {kind}"
    return None


def _timer_literal_problem(event: TimerEventDefinition) -> str | None:
    """A quoted timer value must be valid ISO 8601; variables are checked when evaluated."""
    try:
        value = ast.literal_eval(event.expression)
    except (ValueError, SyntaxError):
        return None
    tag = _TIMER_TAGS.get(type(event))
    if not isinstance(value, str) or tag is None:
        return None
    return timer_value_problem(tag, value)
