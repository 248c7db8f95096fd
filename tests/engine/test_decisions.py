"""A decision table evaluated outside an instance routes exactly as the running process does."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.decisions import decide
from engine.errors import DecisionInputInvalid, DecisionNotFound
from engine.specs import LoadedSpec, parse_sources
from tests.engine.conftest import BUNDLES, Run, script_engine
from tests.engine.test_shipped_diagrams import CD, GM, SD, SVC

EVERY, BELOW_30, BELOW_20, BELOW_10 = "Every contract", "Margin below 30%", "Margin below 20%", "Margin below 10%"


def edited(*replacements: tuple[bytes, bytes]) -> LoadedSpec:
    """The contract approval as a designer changed its table, parsed as a deploy would."""
    files = dict(BUNDLES["contract_approval.bpmn"])
    for old, new in replacements:
        assert old in files["approval_route.dmn"]
        files["approval_route.dmn"] = files["approval_route.dmn"].replace(old, new)
    result = parse_sources(files)
    assert result.problems == []
    return result.processes[0]


def roles_of_a_run(loaded: LoadedSpec, margin: object, save_restore: bool) -> list[str]:
    run = Run(loaded, {"owner": "alice", "margin": margin}, save_restore)
    return sorted(t.data["role"] for t in run.ready("Approve contract"))


@pytest.mark.parametrize("number", [Decimal, float])
@pytest.mark.parametrize(("margin", "roles", "why"), [
    ("0.0999", [SD, CD, SVC, GM], [EVERY, BELOW_30, BELOW_20, BELOW_10]),
    ("0.1", [SD, CD, SVC], [EVERY, BELOW_30, BELOW_20]),
    ("0.1999", [SD, CD, SVC], [EVERY, BELOW_30, BELOW_20]),
    ("0.2", [SD, CD], [EVERY, BELOW_30]),
    ("0.2999", [SD, CD], [EVERY, BELOW_30]),
    ("0.3", [SD], [EVERY]),
])
def test_the_preview_routes_each_margin_boundary_as_the_process_does(
        margin, roles, why, number, processes, save_restore):
    loaded = processes["contract_approval"]
    decision = decide(loaded, "approval_route", {"margin": number(margin)}, script_engine())
    assert decision.result == {"approver_role": roles}
    assert sorted(roles) == roles_of_a_run(loaded, number(margin), save_restore)
    assert [rule.description for rule in decision.matches] == why
    assert [rule.outputs for rule in decision.matches] == [{"approver_role": role} for role in roles]
    assert decision.inputs == {"Margin": float(margin)}


def test_the_preview_names_the_decision_and_each_matched_rule(processes):
    decision = decide(processes["contract_approval"], "approval_route", {"margin": 0.15}, script_engine())
    assert (decision.decision_id, decision.name, decision.hit_policy) == ("approval_route", "Approval route",
                                                                          "COLLECT")
    assert [(rule.rule_id, rule.position) for rule in decision.matches] == [
        ("rule_every_contract", 1), ("rule_below_30", 2), ("rule_below_20", 3)]


@pytest.mark.parametrize(("margin", "roles", "why"), [
    ("0.3", [SD, CD], [EVERY, "Margin below 35%"]),
    ("0.3499", [SD, CD], [EVERY, "Margin below 35%"]),
    ("0.35", [SD], [EVERY]),
])
def test_an_edited_table_gives_the_new_routing(margin, roles, why, save_restore):
    loaded = edited((b"&lt; 0.3<", b"&lt; 0.35<"), (b"Margin below 30%", b"Margin below 35%"))
    decision = decide(loaded, "approval_route", {"margin": Decimal(margin)}, script_engine())
    assert decision.result == {"approver_role": roles}
    assert [rule.description for rule in decision.matches] == why
    assert sorted(roles) == roles_of_a_run(loaded, Decimal(margin), save_restore)


def test_a_single_hit_table_reports_the_one_rule_the_process_would_use():
    loaded = edited((b'hitPolicy="COLLECT"', b'hitPolicy="UNIQUE"'))
    decision = decide(loaded, "approval_route", {"margin": 0.15}, script_engine())
    assert [rule.description for rule in decision.matches] == [EVERY]
    assert decision.result == {"approver_role": SD}


@pytest.mark.parametrize(("inputs", "reason"), [
    ({"margin": "abc"}, "could not convert string to float: 'abc'"),
    ({"margin": None}, "float() argument must be a string or a real number, not 'NoneType'"),
    ({}, "name 'margin' is not defined"),
])
def test_data_an_input_cannot_use_is_refused_naming_the_input(inputs, reason, processes):
    with pytest.raises(DecisionInputInvalid) as caught:
        decide(processes["contract_approval"], "approval_route", inputs, script_engine())
    assert str(caught.value) == (f"Decision 'Approval route' cannot compute its input 'Margin' "
                                 f"(round(float(margin), 4)): {reason}")
    assert caught.value.args[0].values == {"decision": "Approval route", "input": "Margin",
                                           "expression": "round(float(margin), 4)", "reason": reason}


def test_a_rule_the_data_cannot_be_compared_with_is_refused_with_the_inputs_it_got():
    loaded = edited((b"round(float(margin), 4)", b"margin"))
    with pytest.raises(DecisionInputInvalid) as caught:
        decide(loaded, "approval_route", {"margin": "abc"}, script_engine())
    assert str(caught.value) == ("Decision 'Approval route' cannot be evaluated with Margin = 'abc': "
                                 "'<' not supported between instances of 'str' and 'float'")


def test_the_table_runs_in_the_sandbox():
    loaded = edited((b"round(float(margin), 4)", b"margin.__class__"))
    with pytest.raises(DecisionInputInvalid, match="cannot compute its input 'Margin'"):
        decide(loaded, "approval_route", {"margin": 0.15}, script_engine())


@pytest.mark.parametrize(("key", "calls"), [("contract_approval", "approval_route"), ("standard_sale", "none")])
def test_an_unknown_decision_is_refused_with_the_ones_the_process_calls(key, calls, processes):
    with pytest.raises(DecisionNotFound) as caught:
        decide(processes[key], "discount_route", {"margin": 0.15}, script_engine())
    assert str(caught.value) == (f"Process '{processes[key].name}' calls no decision 'discount_route' "
                                 f"(it calls: {calls})")
    assert caught.value.args[0].msgid == "Process '%(process)s' calls no decision '%(decision)s' (it calls: %(known)s)"
