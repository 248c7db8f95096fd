"""Org rules that need no database: viewer roles, visibility clauses, the demo's shape."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql

from core.errors import PermissionDenied
from engine import HumanTask
from workflows.org.demo import PEOPLE, UNITS, demo_logins
from workflows.org.login import InvalidCredentials, TooManyAttempts, normalize_username
from workflows.org.models import LOCALES, ROLES, UNIT_KINDS
from workflows.org.passwords import MIN_LENGTH
from workflows.org.rules import password_problems
from workflows.org.visibility import MANAGER_ROLES, Viewer, owner_condition, visible_task_condition


def viewer(*roles: str, path: str = "/1/2/") -> Viewer:
    return Viewer(user_id=7, username="zhang.wei", roles=frozenset(roles), unit_path=path)


def sql(condition) -> str:
    return str(select(HumanTask.id).where(condition).compile(dialect=postgresql.dialect()))


def test_roles_decide_admin_manager_and_groups():
    assert viewer("admin").is_admin and not viewer("admin").is_manager
    assert all(viewer(role).is_manager for role in MANAGER_ROLES)
    assert not viewer("sales_rep", "process_designer").is_manager
    assert viewer("sales_rep", "finance").groups == {"sales_rep", "finance"}
    assert MANAGER_ROLES == {"sales_manager", "sales_director", "commercial_director", "service_director",
                             "general_manager", "finance"}


def test_login_refusals_are_permission_denied():
    assert issubclass(InvalidCredentials, PermissionDenied) and issubclass(TooManyAttempts, PermissionDenied)
    assert normalize_username("  Zhang.Wei ") == "zhang.wei"


def test_a_short_password_is_a_translatable_problem_of_the_named_field():
    assert password_problems("new_password", "x" * MIN_LENGTH) == {}
    problem = password_problems("new_password", "short")["new_password"]
    assert problem == f"must be at least {MIN_LENGTH} characters"
    assert (problem.msgid, problem.values) == ("must be at least %(count)s characters", {"count": MIN_LENGTH})


def test_an_admin_sees_every_task_and_a_rep_no_one_elses():
    assert "WHERE true" in sql(visible_task_condition(viewer("admin")))
    rep = sql(visible_task_condition(viewer("sales_rep")))
    assert "human_task.owner" not in rep and "app_user" not in rep
    assert "org_unit.path LIKE" in sql(visible_task_condition(viewer("sales_manager")))


def test_a_manager_with_no_unit_path_sees_only_themselves():
    clause = sql(owner_condition(viewer("sales_manager", path=""), HumanTask.owner))
    assert "human_task.owner = " in clause and "LIKE" not in clause


def test_the_demo_company_is_shaped_like_the_issue_asks():
    units = {u.key: u for u in UNITS}
    assert [u.kind for u in UNITS if u.parent is None] == ["company"]
    for unit in UNITS:
        if unit.parent:
            assert UNIT_KINDS.index(units[unit.parent].kind) < UNIT_KINDS.index(unit.kind)
    assert sum(u.kind == "branch" for u in UNITS) == 2
    teams = [u.key for u in UNITS if u.kind == "team"]
    per_team = Counter((p.unit, p.role) for p in PEOPLE)
    for team in teams:
        assert per_team[(team, "sales_rep")] >= 2 and per_team[(team, "sales_manager")] == 1
    roles = Counter(p.role for p in PEOPLE)
    assert set(roles) == set(ROLES) and roles["sales_director"] == 2


def test_demo_people_are_consistent():
    usernames = [p.username for p in PEOPLE]
    assert len(set(usernames)) == len(usernames)
    seen: set[str] = set()
    for person in PEOPLE:
        assert person.manager is None or person.manager in seen, "managers come first"
        assert person.locale in LOCALES and person.unit in {u.key for u in UNITS}
        seen.add(person.username)
    assert 0 < sum(p.locale == "en" for p in PEOPLE) < len(PEOPLE) / 4
    assert [login.username for login in demo_logins()] == usernames


@pytest.mark.parametrize("person", [p for p in PEOPLE if p.role == "sales_rep"], ids=lambda p: p.username)
def test_reps_report_to_the_manager_of_their_team(person):
    manager = next(p for p in PEOPLE if p.username == person.manager)
    assert (manager.role, manager.unit) == ("sales_manager", person.unit)
