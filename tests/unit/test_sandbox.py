"""The expression sandbox: escapes are refused at deploy and run time, BPMN content still runs."""

from __future__ import annotations

import ast
from datetime import date
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.sandbox import SandboxEnvironment, UnsafeExpression, check_source

ESCAPES = [
    pytest.param("import os", id="import"),
    pytest.param("from os import system", id="from-import"),
    pytest.param("if True:\n    import os", id="nested-import"),
    pytest.param("__import__('os')", id="dunder-import"),
    pytest.param("().__class__.__bases__[0].__subclasses__()", id="subclasses-walk"),
    pytest.param("[].__class__", id="dunder-class"),
    pytest.param("str.__dict__", id="dunder-dict"),
    pytest.param("f.__globals__", id="dunder-globals"),
    pytest.param("getattr(x, 'y')", id="getattr"),
    pytest.param("setattr(x, 'y', 1)", id="setattr"),
    pytest.param("eval('1')", id="eval"),
    pytest.param("exec('x=1')", id="exec"),
    pytest.param("compile('1', 'f', 'eval')", id="compile"),
    pytest.param("open('/etc/passwd')", id="open"),
    pytest.param("globals()", id="globals"),
    pytest.param("vars()", id="vars"),
    pytest.param("dir()", id="dir"),
    pytest.param("type(x)", id="type"),
    pytest.param("print(1)", id="print"),
    pytest.param("(lambda: 1)()", id="lambda"),
    pytest.param("sorted(xs, key=lambda v: v)", id="lambda-key"),
    pytest.param("def f(): pass", id="def"),
    pytest.param("async def f(): pass", id="async-def"),
    pytest.param("class A: pass", id="class"),
    pytest.param("@d\ndef f(): pass", id="decorator"),
    pytest.param("while True: pass", id="while"),
    pytest.param("g = (i for i in [1])\ng.gi_frame.f_back.f_globals", id="gi-frame"),
    pytest.param("g.gi_code", id="gi-code"),
    pytest.param("c.cr_frame", id="cr-frame"),
    pytest.param("t.tb_frame", id="tb-frame"),
    pytest.param("x.f_globals", id="f-globals"),
    pytest.param("'{0.__class__}'.format(1)", id="str-format"),
    pytest.param("'{x}'.format_map(d)", id="format-map"),
    pytest.param("f'{x:{spec}}'", id="fstring-dynamic-spec"),
    pytest.param("f'{x:>999999999}'", id="fstring-huge-width"),
    pytest.param("'%999999999s' % x", id="percent-huge-width"),
    pytest.param("try:\n x=1\nexcept Exception:\n pass", id="try"),
    pytest.param("with x: pass", id="with"),
    pytest.param("9**9**9", id="power-tower"),
    pytest.param("2 ** 1000", id="big-exponent"),
    pytest.param("x **= 1000", id="big-exponent-augassign"),
    pytest.param("((10**100)**100)**100", id="power-of-power"),
    pytest.param("'a' * 10**10", id="string-bomb"),
    pytest.param("[0] * 10**9", id="list-bomb"),
    pytest.param("1 << 10**10", id="left-shift"),
    pytest.param("(x := 1)", id="walrus"),
    pytest.param("_secret", id="private-name"),
    pytest.param("__builtins__", id="builtins-name"),
    pytest.param("raise Exception()", id="raise"),
    pytest.param("assert x", id="assert"),
    pytest.param("breakpoint()", id="breakpoint"),
    pytest.param("f()()", id="call-call-result"),
    pytest.param("x[0]()", id="call-subscript"),
    pytest.param("x.mro()", id="mro"),
    pytest.param("datetime.now()", id="datetime-now"),
    pytest.param("date.today()", id="date-today"),
    pytest.param("upper = 'a'.upper", id="bound-method-read"),
    pytest.param("x.days = 1", id="attribute-assign"),
    pytest.param("global x", id="global"),
    pytest.param("yield 1", id="yield"),
    pytest.param("await x", id="await"),
    pytest.param("[x async for x in y]", id="async-comprehension"),
    pytest.param("return 1", id="return"),
    pytest.param("match x:\n    case 1:\n        pass", id="match"),
    pytest.param("x: int = 1", id="annotated-assign"),
    pytest.param("-" * 50_000 + "1", id="deep-nesting"),
]


def _is_expression(source: str) -> bool:
    try:
        ast.parse(source, mode="eval")
    except (SyntaxError, MemoryError):
        return False
    return True


@pytest.mark.parametrize("source", ESCAPES)
def test_escape_is_refused_at_deploy_and_at_run_time(source: str) -> None:
    env = SandboxEnvironment()
    # Run time first: nothing may have been cached by a deploy-time check.
    with pytest.raises(UnsafeExpression):
        env.execute(source, {"x": 1, "d": {}})
    if _is_expression(source):
        with pytest.raises(UnsafeExpression):
            env.evaluate(source, {"x": 1, "d": {}})
    with pytest.raises(UnsafeExpression) as refused:
        check_source(source, "exec")
    assert "not allowed" in str(refused.value)


@pytest.mark.parametrize(("source", "message"), [
    ("__import__('os')", "name '__import__' is not allowed"),
    ("import os", "'import' statements are not allowed"),
    ("g.gi_frame", "attribute 'gi_frame' is not allowed"),
    ("getattr(x, 'y')", "calling 'getattr' is not allowed"),
    ("while True: pass", "'while' loops are not allowed"),
    ("'{0}'.format(1)", "method 'format' is not allowed"),
    ("x = 1\nimport os", "line 2: 'import' statements are not allowed"),
])
def test_refusals_name_the_construct(source: str, message: str) -> None:
    with pytest.raises(UnsafeExpression) as refused:
        check_source(source, "exec")
    assert str(refused.value) == message


def test_syntax_errors_propagate_unchanged() -> None:
    with pytest.raises(SyntaxError):
        check_source("amount >", "eval")
    with pytest.raises(SyntaxError):
        SandboxEnvironment().execute("x = (", {})
    with pytest.raises(SyntaxError):
        check_source("break", "exec")


def test_huge_range_is_refused_when_it_runs() -> None:
    source = "for i in range(10**12):\n    pass"
    check_source(source, "exec")  # the bound is data-dependent, so it is a run-time refusal
    with pytest.raises(UnsafeExpression, match="range"):
        SandboxEnvironment().execute(source, {})
    context: dict[str, Any] = {"n": 3}
    SandboxEnvironment().execute("squares = [i * i for i in range(n)]", context)
    assert context["squares"] == [0, 1, 4]


def test_registered_function_names_are_callable_only_when_registered() -> None:
    with pytest.raises(UnsafeExpression, match="calling 'add'"):
        check_source("add(1, 2)", "eval")
    check_source("add(1, 2)", "eval", functions={"add"})
    with pytest.raises(ValueError, match="identifiers"):
        SandboxEnvironment(functions={"_hidden": print})


@pytest.mark.parametrize(("expression", "data", "expected"), [
    ('amount >= 100000 and region == "Shanghai"', {"amount": 150000, "region": "Shanghai"}, True),
    ('amount >= 100000 and region == "Shanghai"', {"amount": 150000, "region": "Beijing"}, False),
    ("  amount > 5", {"amount": 6}, True),
    ("\n    amount > 5\n  ", {"amount": 6}, True),
    ('f"{name.title()} owes {amount:,.2f}"', {"name": "ada", "amount": 1234.5},
     "Ada owes 1,234.50"),
    ('Decimal("10.5") * 2', {}, Decimal("21.0")),
    ('(Decimal("10") / 3).quantize(Decimal("0.01"))', {}, Decimal("3.33")),
    ("timedelta(days=3).days", {}, 3),
    ("date(2026, 1, 1).isoformat()", {}, "2026-01-01"),
    ('date.fromisoformat("2026-03-02").weekday()', {}, 0),
    ("sorted(tags, reverse=True)[0]", {"tags": ["a", "c", "b"]}, "c"),
    ("'%s-%03d' % (prefix, n)", {"prefix": "Q", "n": 7}, "Q-007"),
    ("2 ** 10", {}, 1024),
])
def test_typical_expressions_evaluate(expression: str, data: dict[str, Any], expected: Any) -> None:
    assert SandboxEnvironment().evaluate(expression, data) == expected


def test_scripts_update_task_data_in_place() -> None:
    context: dict[str, Any] = {
        "lines": [{"qty": 2, "price": 10}, {"qty": 1, "price": 5}],
        "roles": ["sales", "legal"],
        "tmp": "scratch",
        "_internal": "kept",
    }
    script = (
        'total = sum(line["qty"] * line["price"] for line in lines)\n'
        "approvers = []\n"
        "for r in roles:\n"
        "    approvers.append(r.upper())\n"
        "del tmp\n"
        'label = f"{len(approvers)} approvers"\n'
    )
    assert SandboxEnvironment().execute(script, context) is True
    assert context == {
        "lines": [{"qty": 2, "price": 10}, {"qty": 1, "price": 5}],
        "roles": ["sales", "legal"],
        "_internal": "kept",
        "total": 25,
        "approvers": ["SALES", "LEGAL"],
        "r": "legal",  # loop variables stay, as with plain exec
        "label": "2 approvers",
    }


def test_functions_and_external_context_do_not_leak_into_task_data() -> None:
    env = SandboxEnvironment(functions={"add": lambda a, b: a + b})
    context: dict[str, Any] = {"a": 1}
    env.execute("b = add(a, 2)\nc = limit * 2\nf = len\nd = date(2026, 1, 1)", context,
                external_context={"limit": 5})
    assert context == {"a": 1, "b": 3, "c": 10, "d": date(2026, 1, 1)}
    assert env.evaluate("add(a, b)", context) == 4


def test_task_data_may_not_shadow_registered_functions() -> None:
    env = SandboxEnvironment(functions={"add": lambda a, b: a + b})
    with pytest.raises(ValueError, match="add"):
        env.execute("x = 1", {"add": 3})


def test_external_context_is_visible_to_dmn_cells() -> None:
    env = SandboxEnvironment()
    assert env.evaluate("dmninputexpr < 0.2", {}, external_context={"dmninputexpr": 0.1})
    assert not env.evaluate("dmninputexpr < 0.2", {}, external_context={"dmninputexpr": 0.3})


BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    id="defs" targetNamespace="http://example.com/dealflow">
  <bpmn:process id="deal" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="price" />
    <bpmn:scriptTask id="price" scriptFormat="python">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="price" targetRef="gw" />
    <bpmn:exclusiveGateway id="gw">
      <bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>to_big</bpmn:outgoing><bpmn:outgoing>to_small</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="to_big" sourceRef="gw" targetRef="end_big">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">total &gt;= 1000
      </bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="to_small" sourceRef="gw" targetRef="end_small">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">total &lt; 1000
      </bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:endEvent id="end_big"><bpmn:incoming>to_big</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_small"><bpmn:incoming>to_small</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def _run(script: str, data: dict[str, Any]) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(BPMN.format(script=escape(script)).encode(), "deal.bpmn")
    engine = PythonScriptEngine(environment=SandboxEnvironment())
    workflow = BpmnWorkflow(parser.get_spec("deal"), script_engine=engine)
    start = workflow.get_next_task(state=TaskState.READY)
    assert start is not None
    start.data.update(data)
    workflow.do_engine_steps()
    return workflow


@pytest.mark.parametrize(("qty", "end"), [(20, "end_big"), (2, "end_small")])
def test_sandbox_runs_a_spiff_workflow(qty: int, end: str) -> None:
    workflow = _run('total = sum(l["qty"] * l["price"] for l in lines)', {
        "lines": [{"qty": qty, "price": 50}]})
    assert workflow.is_completed()
    finished = workflow.get_next_task(spec_name=end)
    assert finished is not None and finished.state == TaskState.COMPLETED
    assert finished.data["total"] == qty * 50


def test_unsafe_script_fails_the_workflow_at_run_time() -> None:
    with pytest.raises(Exception, match="not allowed"):
        _run("import os", {})
