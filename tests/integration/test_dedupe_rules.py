"""Admins manage duplicate rules; bad input is named per field and cell; defaults load once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.errors import InvalidInput, PermissionDenied
from workflows.dedupe import ConditionInput, DuplicateRule, RuleInput, load_default_rules, save_rule

NAME_AND_COMPANY = [ConditionInput("company", "fuzzy", threshold="90"), ConditionInput("name", "fuzzy", threshold="85")]


def test_only_an_admin_saves_a_rule(container, as_):
    rep = as_("wang.fang")
    with container.uow() as uow, pytest.raises(PermissionDenied):
        save_rule(uow.session, rep, None, RuleInput(object="lead", name="X", conditions=NAME_AND_COMPANY))


def test_every_bad_field_and_cell_is_named(container, as_):
    admin = as_("admin")
    with container.uow() as uow, pytest.raises(InvalidInput) as refused:
        save_rule(uow.session, admin, None, RuleInput(
            object="lead", name="", action="delete", position="-1",
            conditions=[ConditionInput("company", "fuzzy", threshold="101"), ConditionInput("phone", "fuzzy"),
                        ConditionInput("company", "prefix", prefix_length="0"), ConditionInput("fax", "exact")]))
    assert set(refused.value.fields) == {
        "name", "action", "position", "conditions-0-threshold", "conditions-1-match", "conditions-1-threshold",
        "conditions-2-field", "conditions-2-prefix_length", "conditions-3-field"}


@pytest.mark.parametrize(("object", "conditions", "problem"), [
    ("contact", [ConditionInput("company", "exact")], "conditions-0-field"),  # a contact has no company
    ("account", [ConditionInput("email", "exact")], "conditions-0-field"),
    ("lead", [ConditionInput("address", "exact")], "conditions-0-field"),  # cannot be searched alone
    ("lead", [ConditionInput("", "exact")], "conditions-0-field"),  # no condition at all
    ("planet", [ConditionInput("name", "exact")], "object"),
])
def test_a_rule_must_be_searchable_on_its_kind_of_record(container, as_, object, conditions, problem):
    admin = as_("admin")
    with container.uow() as uow, pytest.raises(InvalidInput) as refused:
        save_rule(uow.session, admin, None, RuleInput(object=object, name="X", conditions=conditions))
    assert problem in refused.value.fields


def test_a_saved_rule_keeps_only_the_filled_rows(container, as_):
    admin = as_("admin")
    with container.uow() as uow:
        rule = save_rule(uow.session, admin, None, RuleInput(
            object="lead", name="Similar", action="block", position="5",
            conditions=[ConditionInput(), *NAME_AND_COMPANY, ConditionInput(" ")]))
        uow.commit()
    assert (rule.action, rule.position, rule.active) == ("block", 5, True)
    assert rule.fields == [{"field": "company", "match": "fuzzy", "threshold": 90},
                           {"field": "name", "match": "fuzzy", "threshold": 85}]


def test_the_default_rules_load_once_and_keep_an_admins_edit(container, demo):
    with container.uow() as uow:
        load_default_rules(uow.session)
        uow.session.scalars(select(DuplicateRule).where(DuplicateRule.object == "account")).one().action = "block"
        load_default_rules(uow.session)
        uow.commit()
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(DuplicateRule)) == 5
        assert session.scalars(select(DuplicateRule.action).where(DuplicateRule.object == "account")).one() == "block"
