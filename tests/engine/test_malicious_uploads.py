"""Hostile uploads are refused by the check with a message naming the file or element.

XML entities (internal, external, parameter), entity bombs, external DTDs, oversized and
over-deep files never reach the parser's entity handling; Python that tries to leave the
sandbox is refused wherever a diagram can hold Python. tests/integration/ shows that a
deploy of any of them stores nothing.
"""

from __future__ import annotations

import pytest

from engine import ProcessEngine, ServiceRegistry, check_design
from engine.specs import parse_sources
from tests import diagrams
from tests.diagrams import flows, process, user_task
from tests.integration.test_camunda_diagrams import ROUTE_DMN, routed
from workflows.org.models import ROLES

NO_DOCTYPE = "DOCTYPE declarations are not allowed"
BODY = diagrams.two_stages().split("?>", 1)[1]


def billion_laughs() -> str:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
    return f'<?xml version="1.0"?><!DOCTYPE lolz [{entities}]>' + BODY.replace('name="Two stages"', 'name="&lol9;"')


HOSTILE_XML = {
    "external entity": '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                       + BODY.replace('name="Two stages"', 'name="&xxe;"'),
    "internal entity": '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY who "a friend">]>'
                       + BODY.replace('name="Two stages"', 'name="&who;"'),
    "billion laughs": billion_laughs(),
    "quadratic blowup": '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "' + "x" * 100_000 + '">]>'
                        + BODY.replace("Confirm the budget with the customer.", "&a;" * 10_000),
    "parameter entity": '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> '
                        "%remote;]>" + BODY,
    "external DTD": '<?xml version="1.0"?><!DOCTYPE definitions SYSTEM "file:///etc/passwd">' + BODY,
}


def check(files: dict[str, str | bytes]) -> list[str]:
    return [str(p) for p in ProcessEngine().check(files)]


@pytest.mark.parametrize("kind", sorted(HOSTILE_XML))
def test_documents_declaring_entities_or_a_dtd_are_refused(kind):
    assert check({"evil.bpmn": HOSTILE_XML[kind]}) == [
        "evil.bpmn: DOCTYPE declarations are not allowed: BPMN and DMN files need none, and they can declare "
        "entities that expand without end or read other files"]


def test_a_hostile_decision_table_is_refused_too():
    dmn = ROUTE_DMN.replace('<?xml version="1.0" encoding="UTF-8"?>',
                            '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>')
    [problem] = check({"routed.bpmn": routed(), "route.dmn": dmn})
    assert problem.startswith(f"route.dmn: {NO_DOCTYPE}")


def test_an_undeclared_entity_is_not_well_formed():
    [problem] = check({"evil.bpmn": BODY.replace('name="Two stages"', 'name="&xxe;"')})
    assert problem.startswith("evil.bpmn: not well-formed XML (line 2): Entity 'xxe' not defined")


@pytest.mark.parametrize("as_text", [False, True])
def test_a_50_mb_file_is_refused_before_parsing(as_text):
    padding = "<!--" + "x" * (50 * 1024 * 1024) + "-->"
    huge = diagrams.two_stages().replace("</bpmn:definitions>", padding + "</bpmn:definitions>")
    [problem] = check({"huge.bpmn": huge if as_text else huge.encode()})
    assert problem == f"huge.bpmn: file is {len(huge.encode()):,} bytes; the limit is 2,097,152"


def test_a_deeply_nested_file_is_refused():
    nested = BODY.replace("</bpmn:documentation>", "<b>" * 5000 + "</b>" * 5000 + "</bpmn:documentation>")
    [problem] = check({"deep.bpmn": nested})
    assert problem.startswith("deep.bpmn: not well-formed XML (line 2): Excessive depth in document")


def test_a_file_in_another_encoding_is_refused():
    [problem] = check({"latin.bpmn": diagrams.two_stages().replace("Two stages", "Étapes").encode("latin-1")})
    assert problem == "latin.bpmn: file is not UTF-8 text"


def test_xinclude_is_not_followed():
    include = ('<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="/etc/passwd" parse="text"/>')
    xml = diagrams.two_stages().replace("Confirm the budget with the customer.", include)
    result = parse_sources({"p.bpmn": xml})
    [loaded] = result.processes
    documentation = loaded.spec.task_specs["qualify"].documentation or ""
    assert "root:" not in documentation


ESCAPES = [
    "import os", "from os import system", "__import__('os').system('id')", "().__class__.__bases__[0]",
    "''.__class__.__mro__[1].__subclasses__()", "open('/etc/passwd').read()", "eval('1')", "exec('x = 1')",
    "getattr(owner, '__class__')", "globals()", "vars()", "'{0.__class__}'.format(owner)", "f'{owner.__class__}'",
    "type(owner)", "compile('1', 's', 'eval')", "breakpoint()", "__builtins__", "owner.__dict__",
    "(lambda: 0)()", "[c for c in ().__class__.__mro__]", "x = 9 ** 9 ** 9", "'a' * 10 ** 10",
]


def script(source: str) -> str:
    return process('<bpmn:startEvent id="start" name="Go"/><bpmn:scriptTask id="calc" name="Compute margin">'
                   f"<bpmn:script>{source}</bpmn:script></bpmn:scriptTask><bpmn:endEvent id=\"end\" name=\"Done\"/>"
                   + flows(("start", "calc"), ("calc", "end")))


@pytest.mark.parametrize("source", ESCAPES)
def test_scripts_reaching_outside_the_sandbox_are_refused(source):
    xml = script(source.replace("'", "&apos;").replace("<", "&lt;"))
    [problem] = check({"s.bpmn": xml})
    assert problem.startswith("element 'calc' (Compute margin): ") and "not allowed" in problem


ESCAPE = "__import__(&apos;os&apos;).system(&apos;id&apos;)"
PLACES = {
    "gateway condition": process(
        '<bpmn:startEvent id="s" name="S"/><bpmn:exclusiveGateway id="x" name="X" default="f2"/>'
        '<bpmn:endEvent id="e" name="E"/>' + flows(("s", "x"))
        + f'<bpmn:sequenceFlow id="f1" sourceRef="x" targetRef="e"><bpmn:conditionExpression>{ESCAPE}'
        '</bpmn:conditionExpression></bpmn:sequenceFlow><bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="e"/>'),
    "timer": diagrams.timer_then_task(ESCAPE).replace('id="wait"', 'id="x"').replace('"wait"', '"x"'),
    "service parameter": routed().replace(">${approver_role}<", f">${{{ESCAPE}}}<").replace('id="notify"', 'id="x"')
                                 .replace('"notify"', '"x"'),
    "assignee": process('<bpmn:startEvent id="s" name="S"/>' + user_task("x", "X", f'camunda:assignee="${{{ESCAPE}}}"')
                        + '<bpmn:endEvent id="e" name="E"/>' + flows(("s", "x"), ("x", "e"))),
}


@pytest.mark.parametrize("place", sorted(PLACES))
def test_python_is_checked_wherever_a_diagram_holds_it(place):
    services = ServiceRegistry()
    services.register("notify.approvers", lambda call: None)
    files = {"p.bpmn": PLACES[place], "route.dmn": ROUTE_DMN}
    problems = [p for p in check_design(files, set(services), (), ROLES) if p.blocking]
    assert [p.element_id for p in problems] == ["x"] and "'__import__' is not" in problems[0].message


def test_a_decision_table_cell_is_checked_too():
    dmn = ROUTE_DMN.replace('"commercial_director"', "__import__('os')")
    [problem] = [p for p in check({"routed.bpmn": routed(), "route.dmn": dmn}) if "notify.approvers" not in p]
    assert problem.startswith("element 'route' (Who approves?): decision 'table' rule 2 output: name '__import__' "
                              "is not allowed")
