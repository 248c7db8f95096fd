"""Evaluate a deployed decision table outside a running instance, naming the rules that matched.

Before submitting, a rep sees who will have to approve and why. The table runs on a task of
a throwaway instance with the engine's sandboxed script engine, so the preview gives exactly
what the business rule task calling it would merge into the process data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.dmn.specs.model import HitPolicy
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task

from core.phrases import Phrase

from .errors import DecisionInputInvalid, DecisionNotFound
from .specs import LoadedSpec
from .stepping import DealflowScriptEngine, new_workflow


@dataclass(frozen=True)
class MatchedRule:
    """A row of the table that matched, as the designer numbered (from 1) and described it."""

    rule_id: str
    description: str
    position: int
    outputs: Mapping[str, Any]


@dataclass(frozen=True)
class Decision:
    """What a table decided and why: ``inputs`` holds each input column's value by label
    (the margin the table compared), ``result`` what the process would get."""

    decision_id: str
    name: str
    hit_policy: str
    inputs: Mapping[str, Any]
    matches: tuple[MatchedRule, ...]
    result: Mapping[str, Any]


def decide(loaded: LoadedSpec, decision_id: str | None, inputs: Mapping[str, Any],
           script_engine: DealflowScriptEngine) -> Decision:
    """Run a decision the process calls on ``inputs``, as its business rule task would;
    ``None`` means the one decision it calls."""
    task_spec = _calling_task(loaded, decision_id)
    engine = task_spec.dmnEngine
    table = engine.decision_table
    name = str(task_spec.extensions["decisionName"])
    task = Task(new_workflow(loaded, script_engine, {}), task_spec)
    task.data = dict(inputs)
    values = {_label(column): _input_value(name, column, task, script_engine)
              for column in table.inputs if column.expression}
    try:
        rules = engine.decide(task)
        kept = rules if table.hit_policy == HitPolicy.COLLECT.value else rules[:1]
        matches = tuple(MatchedRule(rule.id, rule.description or "", rule.row_number,
                                    dict(rule.output_as_dict(task))) for rule in kept)
        result = dict(engine.result(task))
    except SpiffWorkflowException as exc:
        given = ", ".join(f"{label} = {value!r}" for label, value in (values or inputs).items())
        raise DecisionInputInvalid(Phrase(
            "Decision '%(decision)s' cannot be evaluated with %(inputs)s: %(reason)s",
            decision=name, inputs=given, reason=_reason(exc))) from exc
    return Decision(task_spec.extensions["decisionRef"], name, str(table.hit_policy), values, matches, result)


def _calling_task(loaded: LoadedSpec, decision_id: str | None) -> Any:
    """A business rule task calling the decision: the library keeps tables only on those."""
    calls: dict[str, Any] = {}
    for spec in [loaded.spec, *loaded.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            if hasattr(task_spec, "dmnEngine"):
                calls.setdefault(task_spec.extensions["decisionRef"], task_spec)
    known = ", ".join(sorted(calls)) or "none"
    if decision_id is None:
        if len(calls) != 1:
            raise DecisionNotFound(Phrase(
                "Process '%(process)s' should call exactly one decision table (it calls: %(known)s)",
                process=loaded.name, known=known))
        return next(iter(calls.values()))
    if decision_id not in calls:
        raise DecisionNotFound(Phrase(
            "Process '%(process)s' calls no decision '%(decision)s' (it calls: %(known)s)",
            process=loaded.name, decision=decision_id, known=known))
    return calls[decision_id]


def _input_value(decision: str, column: Any, task: Task, script_engine: DealflowScriptEngine) -> Any:
    """One input column's value, computed first so that data it cannot use is named by input."""
    try:
        return script_engine.evaluate(task, column.expression)
    except SpiffWorkflowException as exc:
        raise DecisionInputInvalid(Phrase(
            "Decision '%(decision)s' cannot compute its input '%(input)s' (%(expression)s): %(reason)s",
            decision=decision, input=_label(column), expression=column.expression.strip(),
            reason=_reason(exc))) from exc


def _label(column: Any) -> str:
    return str(column.label or column.id)


def _reason(exc: BaseException) -> str:
    """The innermost error: the library's wrappers only say which expression failed."""
    while (inner := exc.__cause__ or exc.__context__) is not None:
        exc = inner
    return str(exc)
