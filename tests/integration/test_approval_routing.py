"""Approvers are found from the role and the submitter's place in the demo organisation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.errors import InvalidInput
from workflows.approvals.routing import approver_for, approvers_for
from workflows.org import service
from workflows.org.models import OrgUnit, User


@pytest.mark.parametrize(("submitter", "role", "approver"), [
    ("zhang.wei", "sales_director", "chen.hao"),  # Shanghai rep: the Shanghai branch's director
    ("sun.li", "sales_director", "zhou.min"),  # Hangzhou rep: the Hangzhou director
    ("zhang.wei", "commercial_director", "li.ming"),  # head office roles for everyone
    ("sun.li", "service_director", "zhao.li"),
    ("sun.li", "general_manager", "wang.jianguo"),
    ("zhang.wei", "sales_manager", "liu.yang"),  # the team's own manager
])
def test_the_nearest_holder_of_the_role_above_the_submitter(container, demo, submitter, role, approver):
    with container.session_factory() as session:
        assert approver_for(session, submitter, role) == approver


def test_moving_a_rep_to_another_branch_changes_their_approver(container, demo, as_):
    admin = as_("admin")
    with container.uow() as uow:
        team_3 = uow.session.scalars(select(OrgUnit.id).where(OrgUnit.name.contains("Team 3"))).one()
        xu_tao = uow.session.scalars(select(User.id).where(User.username == "xu.tao")).one()
        service.move_user(uow.session, admin, demo["zhang.wei"], team_3, xu_tao)
        uow.commit()
    with container.session_factory() as session:
        assert approvers_for(session, "zhang.wei", ["sales_director", "sales_director"]) == {
            "sales_director": "zhou.min"}


def test_a_role_nobody_holds_above_the_submitter_is_named(container, demo):
    with pytest.raises(InvalidInput) as error, container.session_factory() as session:
        approver_for(session, "zhang.wei", "finance_controller")
    assert "finance_controller" in str(error.value)
