"""Who may start a process by hand: the diagram's Camunda candidate starters, admins, designers."""

from __future__ import annotations

import pytest

from engine import Starters
from engine.specs import parse_sources
from tests import diagrams
from workflows.org.visibility import Viewer
from workflows.starting import may_start


def starters_of(attributes: str) -> Starters:
    xml = diagrams.two_stages().replace('isExecutable="true"', f'isExecutable="true" {attributes}')
    [loaded] = parse_sources({"p.bpmn": xml}).processes
    return loaded.starters


def test_the_camunda_candidate_starter_attributes_are_read():
    assert starters_of('camunda:candidateStarterGroups="sales_rep, sales_manager" '
                       'camunda:candidateStarterUsers="wang.fang"') == Starters(
        groups=("sales_rep", "sales_manager"), users=("wang.fang",))
    assert starters_of("") == Starters()


def viewer(username: str, *roles: str) -> Viewer:
    return Viewer(user_id=1, username=username, roles=frozenset(roles), unit_path="/1/")


@pytest.mark.parametrize(("who", "starters", "allowed"), [
    (viewer("root", "admin"), Starters(), True),
    (viewer("yang.fan", "process_designer"), Starters(), True),
    (viewer("wang.fang", "sales_rep"), Starters(), False),
    (viewer("wang.fang", "sales_rep"), Starters(groups=("sales_rep",)), True),
    (viewer("wang.fang", "sales_rep"), Starters(groups=("sales_manager",)), False),
    (viewer("wang.fang", "sales_rep"), Starters(users=("wang.fang",)), True),
    (viewer("li.na", "sales_rep"), Starters(users=("wang.fang",)), False),
])
def test_who_may_start(who: Viewer, starters: Starters, allowed: bool):
    assert may_start(who, starters) is allowed
