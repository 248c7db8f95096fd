"""The opportunity list in SQL: filters, order, pages, totals, and who sees what."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from bootstrap import Container
from tests.deals import seed_deals
from workflows.opportunities.queries import (
    OpportunityFilter,
    list_opportunities,
    opportunity_page,
    owner_choices,
    parse_filter,
    totals,
)


@pytest.fixture
def deals(container: Container, demo) -> dict[str, int]:
    return seed_deals(container)


def names(container: Container, viewer, f: OpportunityFilter | None = None) -> set[str]:
    with container.session_factory() as session:
        return {row.name for row in list_opportunities(session, viewer, f or OpportunityFilter())}


def test_a_rep_sees_only_their_own(container, as_, deals):
    assert names(container, as_("wang.fang")) == {"ACME robots", "ACME conveyors"}


def test_a_manager_sees_their_team_and_not_the_other_branch(container, as_, deals):
    assert names(container, as_("liu.yang")) == {"ACME robots", "ACME conveyors", "ACME spare parts 100%",
                                                 "Huajin AGVs"}
    assert names(container, as_("xu.tao")) == {"Westlake AGVs", "Westlake cranes"}
    assert len(names(container, as_("wang.jianguo"))) == 6  # the general manager sees the whole company


def test_a_manager_filtering_on_someone_outside_their_subtree_gets_nothing(container, as_, deals):
    assert names(container, as_("liu.yang"), OpportunityFilter(owner="sun.li")) == set()
    assert names(container, as_("liu.yang"), OpportunityFilter(owner="zhang.wei")) == {
        "ACME spare parts 100%", "Huajin AGVs"}


@pytest.mark.parametrize(("f", "expected"), [
    (OpportunityFilter(status="open"), {"ACME robots", "ACME conveyors", "Huajin AGVs"}),
    (OpportunityFilter(status="won"), {"ACME spare parts 100%"}),
    (OpportunityFilter(stage="quotation"), {"ACME conveyors", "Huajin AGVs"}),
    (OpportunityFilter(close_from=date(2026, 1, 1), close_to=date(2026, 1, 31)), {"ACME conveyors"}),
    (OpportunityFilter(close_from=date(2026, 2, 1)), {"ACME robots"}),
    (OpportunityFilter(text="acme"), {"ACME robots", "ACME conveyors", "ACME spare parts 100%"}),
    (OpportunityFilter(text="100%"), {"ACME spare parts 100%"}),
    (OpportunityFilter(text="%"), {"ACME spare parts 100%"}),  # a literal percent sign, not a wildcard
    (OpportunityFilter(text="robots", status="open", owner="wang.fang"), {"ACME robots"}),
])
def test_filters(container, as_, deals, f, expected):
    assert names(container, as_("liu.yang"), f) == expected


def test_the_business_type_filter(container, as_, deals):
    tender = OpportunityFilter(business_type_id=deals["tender"])
    assert names(container, as_("liu.yang"), tender) == {"ACME spare parts 100%"}


def test_totals_cover_the_whole_filtered_set_weighted_by_probability(container, as_, deals):
    manager, rep = as_("liu.yang"), as_("wang.fang")  # before the session: SQLite takes its lock at BEGIN
    with container.session_factory() as session:
        team = totals(session, manager, OpportunityFilter())
        open_only = totals(session, manager, OpportunityFilter(status="open"))
        nothing = totals(session, rep, OpportunityFilter(status="lost"))
    # 120000 x 0% + 50000 x 40% + 8000 x 100% + 333.33 x 40% (133.332, rounded once, at the end)
    assert (team.count, team.amount, team.weighted) == (4, Decimal("178333.33"), Decimal("28133.33"))
    assert (open_only.count, open_only.amount, open_only.weighted) == (
        3, Decimal("170333.33"), Decimal("20133.33"))
    assert (nothing.count, nothing.amount, nothing.weighted) == (0, Decimal("0.00"), Decimal("0.00"))


def test_sorting_and_pages(container, as_, deals):
    manager = as_("liu.yang")
    by_amount = OpportunityFilter(sort="amount", descending=True, per_page=3)
    with container.session_factory() as session:
        first = opportunity_page(session, manager, by_amount)
        second = opportunity_page(session, manager, replace(by_amount, page=2))
        beyond = opportunity_page(session, manager, replace(by_amount, page=99))
        by_close = list_opportunities(session, manager, OpportunityFilter())
        by_close_desc = list_opportunities(session, manager, OpportunityFilter(descending=True))
    assert [r.name for r in first.rows] == ["ACME robots", "ACME conveyors", "ACME spare parts 100%"]
    assert (first.page, first.pages, first.totals.count) == (1, 2, 4)
    assert [r.name for r in second.rows] == ["Huajin AGVs"]
    assert (beyond.page, [r.name for r in beyond.rows]) == (2, ["Huajin AGVs"])  # past the end: the last page
    assert [r.name for r in by_close][-1] == [r.name for r in by_close_desc][-1] == "Huajin AGVs"  # no date: last


def test_stages_sort_in_pipeline_order(container, as_, deals):
    manager = as_("liu.yang")
    with container.session_factory() as session:
        rows = list_opportunities(session, manager, OpportunityFilter(sort="stage"))
    assert [r.stage for r in rows] == ["discover", "quotation", "quotation", "won"]


def test_rows_carry_the_names_a_list_shows(container, as_, deals):
    rep = as_("wang.fang")
    with container.session_factory() as session:
        [row] = list_opportunities(session, rep, OpportunityFilter(stage="quotation"))
    assert (row.account, row.business_type, row.stage_name, row.owner_name, row.amount) == (
        "ACME", "Standard sale", "Quotation", "王芳", Decimal("50000.00"))


def test_bad_filter_values_are_named_and_left_out():
    found, problems = parse_filter({
        "business_type": "abc", "status": "sleeping", "close_from": "31/01/2026", "close_to": "2026-02-30",
        "page": "-3", "sort": "password", "q": "x" * 500, "stage": " analysis ", "owner": " Wang.Fang ",
        "unknown": "1"})
    assert set(problems) == {"business_type", "status", "close_from", "close_to"}
    assert found == OpportunityFilter(stage="analysis", owner="wang.fang", text="x" * 200)


@pytest.mark.parametrize("raw", ["99999999999", "2147483648", "１２", "²", "9" * 5000])
def test_ids_that_cannot_exist_are_refused_before_they_reach_the_database(raw):
    found, problems = parse_filter({"business_type": raw, "page": raw})
    assert (found.business_type_id, found.page, list(problems)) == (None, 1, ["business_type"])


def test_params_round_trip_through_the_query_string():
    f = OpportunityFilter(business_type_id=3, stage="quotation", status="open", owner="wang.fang",
                          close_from=date(2026, 1, 1), close_to=date(2026, 3, 31), text="robots",
                          sort="amount", descending=True)
    assert parse_filter(f.params()) == (f, {})
    assert OpportunityFilter(page=4).params() == {}


def test_owner_choices_follow_visibility(container, as_, deals):
    manager, rep = as_("liu.yang"), as_("wang.fang")
    with container.session_factory() as session:
        team = [username for username, _ in owner_choices(session, manager)]
        own = [username for username, _ in owner_choices(session, rep)]
    assert sorted(team) == ["li.na", "liu.yang", "wang.fang", "zhang.wei"]
    assert own == ["wang.fang"]
