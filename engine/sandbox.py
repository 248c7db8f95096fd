"""An AST allow-list sandbox for the Python that BPMN and DMN diagrams carry.

SpiffWorkflow's ``TaskDataEnvironment`` hands gateway conditions, scripts, DMN cells and
timer expressions straight to ``eval``/``exec``, so a diagram could run anything. Here the
source is parsed and checked against a deny-by-default allow-list at deploy time (so the
designer gets a clear error) and again before every run (defence in depth), and then runs
with a tiny set of builtins. Runaway loops over large task data are not stopped here:
the worker's time and memory limits are the backstop for that.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from types import CodeType
from typing import Any, Literal, NoReturn, cast

from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

MAX_SOURCE_CHARS = 100_000
MAX_RANGE = 100_000
MAX_EXPONENT = 100
MAX_REPEAT = 10_000_000
_MAX_POWER_BITS = 100_000


class UnsafeExpression(Exception):  # noqa: N818 - public name fixed by the API
    """Source uses something outside the allow-list; ``str(exc)`` tells the designer what."""


def _capped_range(*args: int) -> range:
    """``range`` that refuses huge spans, so a loop over it cannot run for hours."""
    span = range(*args)
    try:
        size = len(span)
    except OverflowError:
        size = MAX_RANGE + 1
    if size > MAX_RANGE:
        raise UnsafeExpression(f"range() over more than {MAX_RANGE} items is not allowed")
    return span


_BUILTIN_FUNCTIONS = (abs, all, any, bool, dict, divmod, enumerate, float, int, len, list, max,
                      min, reversed, round, set, sorted, str, sum, tuple, zip)
SAFE_BUILTINS: dict[str, Any] = {f.__name__: f for f in _BUILTIN_FUNCTIONS}
SAFE_BUILTINS.update(range=_capped_range, Decimal=Decimal, date=date, datetime=datetime,
                     timedelta=timedelta)

READ_ATTRIBUTES = frozenset({"days", "seconds", "microseconds", "year", "month", "day", "hour",
                             "minute", "second", "real", "imag"})
# No format/format_map (they walk attributes), no today/now (time comes from the engine clock).
METHODS = frozenset({
    "lower", "upper", "strip", "lstrip", "rstrip", "split", "join", "startswith", "endswith",
    "replace", "title", "capitalize", "isdigit", "isalpha", "zfill", "count", "find", "index",
    "append", "extend", "insert", "pop", "remove", "get", "items", "keys", "values", "update",
    "setdefault", "copy", "add", "discard", "union", "intersection", "difference", "sort",
    "isoformat", "date", "weekday", "isoweekday", "total_seconds", "quantize", "fromisoformat",
    "strftime",
})

_ALLOWED_NODES: frozenset[type[ast.AST]] = frozenset({
    ast.Module, ast.Expression, ast.Expr, ast.Assign, ast.AugAssign, ast.If, ast.For, ast.Pass,
    ast.Break, ast.Continue, ast.Delete,
    ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.Dict, ast.List, ast.Set,
    ast.Tuple, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.comprehension,
    ast.Subscript, ast.Slice, ast.Constant, ast.Name, ast.Attribute, ast.Call, ast.keyword,
    ast.Starred, ast.JoinedStr, ast.FormattedValue,
    ast.Load, ast.Store, ast.Del, ast.And, ast.Or,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow,
    ast.BitAnd, ast.BitOr, ast.BitXor, ast.UAdd, ast.USub, ast.Not, ast.Invert,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn,
})
_DENIED_NAMES: dict[type[ast.AST], str] = {
    ast.Import: "'import' statements are", ast.ImportFrom: "'import' statements are",
    ast.FunctionDef: "function definitions ('def') are", ast.Lambda: "'lambda' expressions are",
    ast.AsyncFunctionDef: "'async def' functions are", ast.ClassDef: "class definitions are",
    ast.While: "'while' loops are", ast.With: "'with' blocks are", ast.Try: "'try' blocks are",
    ast.AsyncWith: "'async with' blocks are", ast.TryStar: "'try' blocks are",
    ast.Raise: "'raise' statements are", ast.Global: "'global' statements are",
    ast.Nonlocal: "'nonlocal' statements are", ast.Yield: "'yield' expressions are",
    ast.YieldFrom: "'yield' expressions are", ast.Await: "'await' expressions are",
    ast.NamedExpr: "assignment expressions (':=') are", ast.Match: "'match' statements are",
    ast.Assert: "'assert' statements are", ast.Return: "'return' statements are",
    ast.AnnAssign: "annotated assignments are", ast.AsyncFor: "'async for' loops are",
    ast.LShift: "the '<<' operator is", ast.RShift: "the '>>' operator is",
    ast.MatMult: "the '@' operator is",
}
_FOLDABLE: dict[type[ast.AST], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Pow: operator.pow}
_BIG_PERCENT_WIDTH = re.compile(r"%(\([^)]*\))?[^a-zA-Z%]*(\*|\d{6})")


def _fold(node: ast.AST) -> int | float | None:
    """Value of a constant numeric expression (None if not constant); refuses huge powers."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) \
            and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _fold(node.operand)
        return -value if value is not None and isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _FOLDABLE:
        left, right = _fold(node.left), _fold(node.right)
        if isinstance(node.op, ast.Pow) and right is not None:
            if right > MAX_EXPONENT:
                raise UnsafeExpression(f"exponent {right} is not allowed (limit {MAX_EXPONENT})")
            if isinstance(left, int) and right > 0 and left.bit_length() * right > _MAX_POWER_BITS:
                raise UnsafeExpression("'**' giving a number this large is not allowed")
        if left is None or right is None:
            return None
        try:
            result = _FOLDABLE[type(node.op)](left, right)
        except ArithmeticError:
            return None
        return result if isinstance(result, int | float) else None
    return None


class _Checker:
    """Per-node rules applied after every node type has passed the allow-list."""

    def __init__(self, source: str, functions: frozenset[str]) -> None:
        self.multiline = "\n" in source.strip()
        self.callables = functions | frozenset(SAFE_BUILTINS)
        self.callees: set[int] = set()

    def deny(self, node: ast.AST, message: str) -> NoReturn:
        line = getattr(node, "lineno", None)
        raise UnsafeExpression(f"line {line}: {message}" if self.multiline and line else message)

    def check(self, tree: ast.AST) -> None:
        nodes = list(ast.walk(tree))
        for node in nodes:  # outermost first: a 'def' is reported rather than its body
            if type(node) not in _ALLOWED_NODES:
                what = _DENIED_NAMES.get(type(node), f"'{type(node).__name__}' syntax is")
                self.deny(node, f"{what} not allowed")
        self.callees = {id(n.func) for n in nodes if isinstance(n, ast.Call)}
        # Left to right, so `g.gi_frame.f_back` names the first bad step.
        for node in sorted(nodes, key=lambda n: (getattr(n, "end_lineno", 0) or 0,
                                                 getattr(n, "end_col_offset", 0) or 0)):
            self.rule(node)

    def rule(self, node: ast.AST) -> None:
        check = _RULES.get(type(node))
        if check is not None:
            check(self, node)

    def name(self, node: ast.Name) -> None:
        if node.id.startswith("_"):
            self.deny(node, f"name '{node.id}' is not allowed")

    def attribute(self, node: ast.Attribute) -> None:
        if not isinstance(node.ctx, ast.Load):
            self.deny(node, f"changing attribute '{node.attr}' is not allowed")
        if id(node) in self.callees and node.attr not in METHODS:
            self.deny(node, f"method '{node.attr}' is not allowed")
        if id(node) not in self.callees and node.attr not in READ_ATTRIBUTES:
            hint = " except as a direct call" if node.attr in METHODS else ""
            self.deny(node, f"attribute '{node.attr}' is not allowed{hint}")

    def call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id not in self.callables:
            self.deny(node, f"calling '{node.func.id}' is not allowed")
        if not isinstance(node.func, ast.Name | ast.Attribute):
            kind = {ast.Call: "a call", ast.Subscript: "a subscript"}.get(type(node.func), "an expression")
            self.deny(node, f"calling the result of {kind} is not allowed")

    def binary(self, node: ast.BinOp | ast.AugAssign) -> None:
        left = node.left if isinstance(node, ast.BinOp) else node.target
        right = node.right if isinstance(node, ast.BinOp) else node.value
        self.arithmetic(node, node.op, left, right)

    def formatted(self, node: ast.FormattedValue) -> None:
        if node.format_spec is None:
            return
        parts = node.format_spec.values  # type: ignore[attr-defined]
        if not all(isinstance(p, ast.Constant) for p in parts):
            self.deny(node, "non-constant f-string format specs are not allowed")
        if re.search(r"\d{6}", "".join(str(p.value) for p in parts)):
            self.deny(node, "f-string format widths over 5 digits are not allowed")

    def comprehension(self, node: ast.comprehension) -> None:
        if node.is_async:
            self.deny(node.target, "async comprehensions are not allowed")

    def arithmetic(self, node: ast.AST, op: ast.operator, left: ast.expr, right: ast.expr) -> None:
        """Refuse constant operands that would make '**', '*' or '%' exhaust CPU or memory."""
        try:
            if isinstance(op, ast.Pow):
                _fold(ast.BinOp(left=left, op=op, right=right))
            elif isinstance(op, ast.Mult):
                for count, other in ((left, right), (right, left)):
                    times = _fold(count)
                    if isinstance(times, int) and times > MAX_REPEAT and _fold(other) is None:
                        raise UnsafeExpression(
                            f"repeating {times} times is not allowed (limit {MAX_REPEAT})")
            elif isinstance(op, ast.Mod) and isinstance(left, ast.Constant) \
                    and isinstance(left.value, str):
                if _BIG_PERCENT_WIDTH.search(left.value.replace("%%", "")):
                    raise UnsafeExpression("'%' format widths over 5 digits or '*' are not allowed")
        except UnsafeExpression as exc:
            self.deny(node, str(exc))


_RULES: dict[type[ast.AST], Callable[[_Checker, Any], None]] = {
    ast.Name: _Checker.name, ast.Attribute: _Checker.attribute, ast.Call: _Checker.call,
    ast.BinOp: _Checker.binary, ast.AugAssign: _Checker.binary,
    ast.FormattedValue: _Checker.formatted, ast.comprehension: _Checker.comprehension,
}


@lru_cache(maxsize=4096)
def _compiled(source: str, mode: Literal["eval", "exec"], functions: frozenset[str]) -> CodeType:
    """Check then compile; cached so the run-time re-check costs one dict lookup."""
    if len(source) > MAX_SOURCE_CHARS:
        raise UnsafeExpression(f"source longer than {MAX_SOURCE_CHARS} characters is not allowed")
    if mode == "eval":
        source = source.strip()  # eval() strips leading blanks; XML text often has more
    try:
        tree = ast.parse(source, "<string>", mode)
    except ValueError as exc:  # null bytes
        raise SyntaxError(str(exc)) from None
    except (RecursionError, MemoryError):
        raise UnsafeExpression("nesting this deep is not allowed") from None
    try:
        _Checker(source, functions).check(tree)
    except RecursionError:
        raise UnsafeExpression("nesting this deep is not allowed") from None
    # '<string>' is the file name SpiffWorkflow looks for to report the failing line.
    code: CodeType = compile(cast(ast.Module | ast.Expression, tree), "<string>", mode)
    return code


def check_source(
    source: str, mode: Literal["eval", "exec"], functions: Collection[str] = ()
) -> None:
    """Raise SyntaxError or UnsafeExpression if ``source`` may not run in the sandbox."""
    _compiled(source, mode, frozenset(functions))


def _public(values: Mapping[str, Any]) -> dict[str, Any]:
    """Leave out '_' names: scripts cannot name them, so they must not shadow anything."""
    return {k: v for k, v in values.items() if not k.startswith("_")}


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Drop-in for ``TaskDataEnvironment``: same task-data semantics, checked code only."""

    def __init__(self, functions: Mapping[str, Callable[..., Any]] | None = None) -> None:
        bad = [n for n in functions or {} if n.startswith("_") or not n.isidentifier()]
        if bad:
            raise ValueError(f"registered function names must be plain identifiers: {bad}")
        super().__init__(dict(functions or {}))
        self.function_names = frozenset(self.globals)

    def _namespace(self, context: Mapping[str, Any],
                   external_context: Mapping[str, Any] | None) -> dict[str, Any]:
        return {"__builtins__": SAFE_BUILTINS, **self.globals,
                **_public(external_context or {}), **_public(context)}

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: dict[str, Any] | None = None) -> Any:
        code = _compiled(expression, "eval", self.function_names)
        return eval(code, self._namespace(context, external_context))  # noqa: S307

    def execute(self, script: str, context: dict[str, Any],
                external_context: dict[str, Any] | None = None) -> bool:
        external = external_context or {}
        clashes = (set(self.globals) | set(external)) & set(context)
        if clashes:
            raise ValueError(f"You have task data that overwrites a predefined function(s). "
                             f"Please change the following variable or field name(s) to "
                             f"something else: {clashes}")
        code = _compiled(script, "exec", self.function_names)
        namespace = self._namespace(context, external)
        try:
            exec(code, namespace)  # noqa: S102
        finally:  # like TaskDataEnvironment, keep assignments made before a failure
            for key in [k for k in context if not k.startswith("_") and k not in namespace]:
                del context[key]
            for key, value in namespace.items():
                if key == "__builtins__" or key in self.globals or key in external \
                        or callable(value):
                    context.pop(key, None)
                else:
                    context[key] = value
        return True
