"""The approver inbox and deciding from it, on SQLite and PostgreSQL: who sees which approval
tasks, filters, sorts and pages, and bulk decisions that report each task's own outcome."""

from __future__ import annotations

from decimal import Decimal

import pytest

import bootstrap
from bootstrap import Container
from core.errors import InvalidInput
from tests.contracts import (
    CD,
    SD,
    SVC,
    at_margin,
    decide,
    new_contract,
    open_approvals,
    reload,
    submit,
)
from tests.usecases import run
from workflows.accounts.models import Account
from workflows.approvals import review
from workflows.approvals.deciding import MAX_TASKS, decide_tasks, preview_tasks
from workflows.approvals.inbox import InboxFilter, inbox_page, parse_inbox
from workflows.contracts.models import ContractType
from workflows.contracts.service import ContractLineInput

HZ_SD = "zhou.min"  # the Hangzhou sales director: sun.li's contracts are his


@pytest.fixture
def world(container: Container, world: dict[str, int]) -> dict[str, int]:
    """The contract world with the shipped processes, a second contract type and zhang.wei's account."""
    bootstrap.deploy_shipped(container)
    now = container.engine.clock.now()
    extra = {"service_type": ContractType(name="Maintenance service", approval_process_key="contract_approval"),
             "huajin": Account(name="Huajin", owner="zhang.wei", created_at=now, updated_at=now)}
    with container.uow() as uow:
        uow.session.add_all(extra.values())
        uow.commit()
    return {**world, **{key: row.id for key, row in extra.items()}}


def submitted(container: Container, as_, world, margin: str, rep: str = "wang.fang", **fields: str):
    """A 100,000.00 contract of ``rep`` at ``margin`` (a fraction), submitted for approval a
    minute after the one before."""
    container.engine.clock.advance(minutes=1)
    viewer = as_(rep)
    if rep == "wang.fang" and not fields:
        contract = at_margin(container, viewer, world, margin)
    else:
        costs = Decimal("100000.00") * (1 - Decimal(margin))
        contract = new_contract(container, viewer, world, ContractLineInput(str(world["agv"]), "1", "100000.00"),
                                cost_reserve=str(costs), **fields)
    submit(container, viewer, contract)
    return contract


def inbox(container: Container, as_, username: str, **params: str):
    found, problems = parse_inbox(params, as_(username))
    assert problems == {}
    return run(container, inbox_page, as_(username), found, container.engine.clock.now())


def numbers(page) -> list[str]:
    return [row.number for row in page.rows]


def test_mine_lists_the_directors_own_tasks_with_the_submitted_figures(container, as_, world):
    high = submitted(container, as_, world, "0.35")
    low = submitted(container, as_, world, "0.15")
    mine = inbox(container, as_, SD)
    assert mine.total == 2 and numbers(mine) == [high.number, low.number]  # oldest first
    row = mine.rows[1]
    assert (row.account, row.contract_type, row.revenue, row.margin, row.round) == (
        "ACME", "Product sale", Decimal("100000.00"), Decimal("0.1500"), 1)
    assert (row.submitter, row.submitter_name, row.assignee, row.contract_id) == ("wang.fang", "王芳", SD, low.id)
    assert row.task_id == open_approvals(container, low)[SD]
    assert numbers(inbox(container, as_, CD)) == [low.number]  # only the one the table sent him
    assert inbox(container, as_, "wang.fang").total == 0  # the submitter approves nothing


def test_the_team_tab_follows_the_visibility_rule_and_other_branches_see_nothing(container, as_, world):
    shanghai = submitted(container, as_, world, "0.15")
    hangzhou = submitted(container, as_, world, "0.35", rep="sun.li", account_id=str(world["westlake"]))
    assert numbers(inbox(container, as_, HZ_SD)) == [hangzhou.number]
    hangzhou_team = inbox(container, as_, HZ_SD, tab="team")
    assert numbers(hangzhou_team) == [hangzhou.number]  # never the Shanghai contract's three tasks
    shanghai_team = inbox(container, as_, SD, tab="team")
    assert sorted(row.assignee for row in shanghai_team.rows) == sorted([SD, CD, SVC])
    assert {row.number for row in shanghai_team.rows} == {shanghai.number}
    everyone = inbox(container, as_, CD, tab="team")  # head office sees the whole company
    assert everyone.total == 4 and {row.number for row in everyone.rows} == {shanghai.number, hangzhou.number}
    assert parse_inbox({"tab": "team"}, as_("wang.fang"))[0].tab == "mine"  # reps have no team tab


def test_filters_narrow_the_list_and_bad_values_are_named_and_left_out(container, as_, world, clock):
    old = submitted(container, as_, world, "0.0999")
    clock.advance(days=3)
    mid = submitted(container, as_, world, "0.15", contract_type_id=str(world["service_type"]))
    clock.advance(days=1)
    top = submitted(container, as_, world, "0.20")
    other = submitted(container, as_, world, "0.12", rep="zhang.wei", account_id=str(world["huajin"]))
    assert numbers(inbox(container, as_, SD, contract_type=str(world["service_type"]))) == [mid.number]
    assert numbers(inbox(container, as_, SD, account="acm")) == [old.number, mid.number, top.number]
    assert numbers(inbox(container, as_, SD, account="50%")) == []  # wildcards are plain characters
    assert numbers(inbox(container, as_, SD, margin_min="12", margin_max="20")) == [mid.number, top.number,
                                                                                    other.number]
    assert numbers(inbox(container, as_, SD, margin_max="9.99")) == [old.number]  # inclusive bounds
    assert numbers(inbox(container, as_, SD, submitter="ZHANG.WEI")) == [other.number]
    assert numbers(inbox(container, as_, SD, min_age="1")) == [old.number, mid.number]
    assert numbers(inbox(container, as_, SD, min_age="4")) == [old.number]

    found, problems = parse_inbox({"margin_min": "lots", "min_age": "-1", "contract_type": "x",
                                   "margin_max": "12.345", "sort": "evil", "page": "0"}, as_(SD))
    assert set(problems) == {"margin_min", "min_age", "contract_type", "margin_max"}
    assert found == InboxFilter()  # nothing narrowed, default order, first page


def test_every_column_sorts_both_ways_with_ties_broken_by_task_id(container, as_, world):
    made = [submitted(container, as_, world, margin) for margin in ("0.35", "0.12", "0.25", "0.25")]
    by_margin = inbox(container, as_, SD, sort="margin")
    assert [row.margin for row in by_margin.rows] == [Decimal("0.12"), Decimal("0.25"), Decimal("0.25"),
                                                      Decimal("0.35")]
    ties = [row.task_id for row in by_margin.rows if row.margin == Decimal("0.25")]
    assert ties == sorted(ties)
    assert numbers(inbox(container, as_, SD, sort="margin", desc="1"))[0] == made[0].number
    assert numbers(inbox(container, as_, SD, sort="age")) == [m.number for m in reversed(made)]  # youngest first
    assert numbers(inbox(container, as_, SD, sort="age", desc="1")) == [m.number for m in made]
    for column in ("number", "account", "type", "total", "margin", "submitter", "age", "assignee", "round"):
        up = [row.task_id for row in inbox(container, as_, SD, sort=column).rows]
        down = [row.task_id for row in inbox(container, as_, SD, sort=column, desc="1").rows]
        assert sorted(up) == sorted(down) and len(up) == 4, column


def test_pages_hold_per_page_rows_and_a_page_past_the_end_shows_the_last(container, as_, world):
    made = [submitted(container, as_, world, "0.35") for _ in range(5)]
    second = inbox(container, as_, SD, per_page="2", page="2")
    assert (second.total, second.page, second.pages, numbers(second)) == (5, 2, 3, [m.number for m in made[2:4]])
    assert numbers(inbox(container, as_, SD, per_page="2", page="99")) == [made[4].number]
    capped, problems = parse_inbox({"per_page": "1000"}, as_(SD))
    assert (capped.per_page, problems) == (100, {})  # too many is capped, not refused


def test_bulk_approve_reports_each_task_and_one_already_decided_says_by_whom(container, as_, world):
    contracts = [submitted(container, as_, world, "0.35") for _ in range(3)]
    tasks = [open_approvals(container, c)[SD] for c in contracts]
    decide(container, tasks[0], SD, "approve", "Looked at it first")
    hidden = submitted(container, as_, world, "0.35", rep="sun.li", account_id=str(world["westlake"]))
    results = decide_tasks(container.session_factory, container.engine, as_(SD),
                           [*tasks, open_approvals(container, hidden)[HZ_SD], "no-such-task", tasks[1]],
                           "approve", "")
    assert [r.status for r in results] == ["already_decided", "approved", "approved", "not_found", "not_found"]
    assert results[0].problem == "Already decided by 陈浩: approved"
    assert [r.number for r in results[:3]] == [c.number for c in contracts]
    assert {reload(container, c).status for c in contracts} == {"active"}
    assert reload(container, hidden).status == "submitted"  # out of sight: never decided


def test_a_round_ended_by_a_rejection_and_someone_elses_task_are_reported_not_decided(container, as_, world):
    contract = submitted(container, as_, world, "0.15")
    tasks = open_approvals(container, contract)
    [not_mine] = decide_tasks(container.session_factory, container.engine, as_(SD), [tasks[CD]], "approve", "")
    assert (not_mine.status, not_mine.problem) == ("not_yours", "Not yours: this task is assigned to 李明")
    decide(container, tasks[SVC], SVC, "reject", "Service cost is underestimated")
    [closed] = decide_tasks(container.session_factory, container.engine, as_(SD), [tasks[SD]], "approve", "")
    assert closed.status == "closed" and closed.problem == (
        "Closed: 赵丽 rejected the contract, which ended this round")
    rows, gone = run(container, preview_tasks, as_(SD), [tasks[SD]])
    assert rows == [] and [g.status for g in gone] == ["closed"]
    [elsewhere] = decide_tasks(container.session_factory, container.engine, as_(HZ_SD), [tasks[SD]], "approve", "")
    assert elsewhere.status == "not_found"  # another branch's director learns nothing about it


def test_a_rejection_needs_a_comment_and_a_request_is_capped(container, as_, world):
    contract = submitted(container, as_, world, "0.35")
    task = open_approvals(container, contract)[SD]
    for ids, decision, comment, field in (([task], "reject", "  ", "comment"), ([], "approve", "", "task_ids"),
                                          ([f"t{n}" for n in range(MAX_TASKS + 1)], "approve", "", "task_ids"),
                                          ([task], "maybe", "", "decision")):
        with pytest.raises(InvalidInput) as refused:
            decide_tasks(container.session_factory, container.engine, as_(SD), ids, decision, comment)
        assert list(refused.value.fields) == [field]
    assert reload(container, contract).status == "submitted"
    [rejected] = decide_tasks(container.session_factory, container.engine, as_(SD), [task], "reject",
                              "Price too low")
    assert rejected.status == "rejected" and reload(container, contract).status == "rejected"


def test_the_review_shows_the_round_the_matched_rules_and_earlier_rounds(container, as_, world):
    contract = submitted(container, as_, world, "0.15")
    decide(container, open_approvals(container, contract)[SVC], SVC, "reject", "Too thin")
    submit(container, as_("wang.fang"), contract)
    task = open_approvals(container, contract)[SD]
    found = run(container, review.approval_review, container.engine, as_(SD), task)
    assert found.current.number == 2 and [r.number for r in found.earlier] == [1]
    assert [(d.approver, d.comment) for d in found.earlier[0].decisions] == [(SVC, "Too thin")]
    assert [rule.position for rule in found.rules] == [1, 2, 3] and found.rules_problem is None
    assert found.lines[0][1] == "AGV-L500" and found.figures.margin == Decimal("0.1500")
    assert found.history.name(SVC) == "赵丽" and found.account.name == "ACME"
