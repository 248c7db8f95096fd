"""Contracts and money reports on SQLite and PostgreSQL, against figures worked out by hand from
the book in tests/contract_money.py: signed amount per month, quarter, product, industry,
team and rep; the margin bands; collections due, received and overdue; approval turnaround
per approver from real approvals. A manager's figures never include another branch."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from bootstrap import Container
from core.phrases import Phrase
from tests.contract_money import TODAY, seed_money
from tests.contracts import CD, SD, at_margin, decide, new_contract, open_approvals, submit
from workflows.catalog.models import Product
from workflows.contracts.service import ContractLineInput
from workflows.org.models import OrgUnit
from workflows.reports import approvals, collections, contracts
from workflows.reports.contracts import MoneyFilter, parse_money_filter
from workflows.reports.scope import ReportScope, parse_scope
from workflows.reports.table import Table

ZONE = "Asia/Shanghai"
HALF_YEAR = MoneyFilter(date(2026, 1, 1), date(2026, 6, 30))
D = Decimal


def rows(table: Table) -> list[tuple[object, ...]]:
    return [tuple(str(v) if isinstance(v, Phrase) else v for v in row) for row in table.rows]


def totals(table: Table) -> tuple[object, ...]:
    assert table.totals is not None
    return tuple(table.totals[1:])


@pytest.fixture
def book(container: Container, demo) -> dict[str, int]:
    return seed_money(container)


@pytest.fixture
def report(container: Container, as_):
    """Run a report function as a demo user, within an optional unit of theirs."""
    def run(function, username: str, f: MoneyFilter = HALF_YEAR, unit: str | None = None, *extra):
        viewer = as_(username)
        with container.session_factory() as session:
            scope = ReportScope()
            if unit is not None:
                unit_id = session.scalars(select(OrgUnit.id).where(OrgUnit.name.contains(unit))).one()
                problems: dict[str, str] = {}
                scope = parse_scope(session, viewer, {"unit": str(unit_id)}, problems)
                assert not problems
            return function(session, viewer, scope, f, *extra)
    return run


def signed(report, username: str, by: str = "period", bucket: str = "month", **kwargs) -> Table:
    f = MoneyFilter(HALF_YEAR.since, HALF_YEAR.until, bucket, by)
    return report(contracts.signed_report, username, f, kwargs.get("unit"), ZONE)


# --- signed amount --------------------------------------------------------------------------

def test_signed_amount_per_month_counts_each_contract_on_its_signing_day_in_the_readers_zone(report, book):
    table = signed(report, "admin")
    assert rows(table) == [
        ("2026-01", 1, D("200000.00"), D("50000.00"), D("0.2500")),
        ("2026-02", 2, D("310000.00"), D("103998.40"), D("0.3355")),  # C2 was approved on 1 Feb in Shanghai
        ("2026-03", 1, D("125000.00"), D("-5000.00"), D("-0.0400")),
        ("2026-04", 1, D("80000.00"), D("6000.00"), D("0.0750")),
        ("2026-05", 1, D("72000.00"), D("7200.00"), D("0.1000")),
        ("2026-06", 0, D("0.00"), D("0.00"), None),  # C8 was approved on 1 July in Shanghai
    ]
    assert totals(table) == (6, D("787000.00"), D("162198.40"), D("0.2061"))


def test_in_utc_the_edge_contracts_fall_in_other_months(report, book):
    f = MoneyFilter(HALF_YEAR.since, HALF_YEAR.until)
    table = report(contracts.signed_report, "admin", f, None, "UTC")
    assert [row[:2] for row in rows(table)] == [("2026-01", 2), ("2026-02", 1), ("2026-03", 1), ("2026-04", 1),
                                                ("2026-05", 1), ("2026-06", 1)]


def test_signed_amount_per_quarter(report, book):
    table = signed(report, "admin", bucket="quarter")
    assert [row[:3] for row in rows(table)] == [("2026 Q1", 4, D("635000.00")), ("2026 Q2", 2, D("152000.00"))]


def test_signed_amount_per_product_counts_a_contract_under_each_product_it_sold(container, report, book):
    with container.session_factory() as session:
        name = dict(session.execute(select(Product.code, Product.name)).all())
    table = signed(report, "admin", by="product")
    assert rows(table) == [
        (name["AGV-L500"], 4, 7, D("670000.00"), D("0.8513")),
        (name["SVC-MAINT"], 2, 3, D("102000.00"), D("0.1296")),
        (name["SVC-INSTALL"], 2, 6, D("15000.00"), D("0.0191")),
    ]
    assert totals(table) == (6, None, D("787000.00"), D("1.0000"))


def test_signed_amount_per_industry_team_and_rep(report, book):
    assert rows(signed(report, "admin", by="industry")) == [
        ("Manufacturing", 3, D("510000.00"), D("0.6480")), ("Logistics", 2, D("205000.00"), D("0.2605")),
        ("No industry given", 1, D("72000.00"), D("0.0915"))]
    assert [row[:3] for row in rows(signed(report, "admin", by="team"))] == [
        ("销售一组 Team 1", 4, D("445000.00")), ("销售三组 Team 3", 1, D("270000.00")),
        ("销售二组 Team 2", 1, D("72000.00"))]
    assert [row[:3] for row in rows(signed(report, "admin", by="rep"))] == [
        ("孙丽", 1, D("270000.00")), ("王芳", 2, D("240000.00")), ("张伟", 2, D("205000.00")),
        ("赵强", 1, D("72000.00"))]


def test_a_manager_counts_only_their_subtree_and_a_rep_only_their_own(report, book):
    assert totals(signed(report, "liu.yang"))[:2] == (4, D("445000.00"))  # team 1
    assert totals(signed(report, "chen.hao"))[:2] == (5, D("517000.00"))  # Shanghai: teams 1 and 2
    assert totals(signed(report, "chen.hao", unit="Team 2"))[:2] == (1, D("72000.00"))
    assert totals(signed(report, "xu.tao"))[:2] == (1, D("270000.00"))  # team 3, Hangzhou
    assert totals(signed(report, "wang.fang"))[:2] == (2, D("240000.00"))
    assert [row[0] for row in rows(signed(report, "xu.tao", by="team"))] == ["销售三组 Team 3"]
    assert rows(signed(report, "sun.yan", by="industry"))[0][:2] == ("Manufacturing", 3)  # finance sees all


def test_a_unit_out_of_sight_is_named_and_ignored(container, as_, book):
    viewer = as_("xu.tao")
    with container.session_factory() as session:
        team_1 = session.scalars(select(OrgUnit.id).where(OrgUnit.name.contains("Team 1"))).one()
        problems: dict[str, str] = {}
        scope = parse_scope(session, viewer, {"unit": str(team_1)}, problems)
        table = contracts.signed_report(session, viewer, scope, HALF_YEAR, ZONE)
    assert set(problems) == {"unit"}
    assert totals(table)[:2] == (1, D("270000.00"))


# --- margin distribution --------------------------------------------------------------------

def test_margin_bands_follow_the_approval_thresholds_on_the_rounded_margin(report, book):
    table = report(contracts.margin_distribution, "admin", HALF_YEAR, None, ZONE)
    assert rows(table) == [
        ("below 0%", 1, D("0.1667"), D("125000.00"), D("0.1588")),
        ("0% to 10%", 1, D("0.1667"), D("80000.00"), D("0.1017")),
        ("10% to 20%", 2, D("0.3333"), D("112000.00"), D("0.1423")),  # 0.09996 rounds to 10.00%
        ("20% to 30%", 1, D("0.1667"), D("200000.00"), D("0.2541")),
        ("30% and above", 1, D("0.1667"), D("270000.00"), D("0.3431")),
    ]
    assert totals(table) == (6, D("1.0000"), D("787000.00"), D("1.0000"))
    scoped = report(contracts.margin_distribution, "xu.tao", HALF_YEAR, None, ZONE)
    assert [row[1] for row in rows(scoped)] == [0, 0, 0, 0, 1]


# --- collections ----------------------------------------------------------------------------

def collections_by(report, username: str, by: str, until: date = HALF_YEAR.until) -> Table:
    f = MoneyFilter(HALF_YEAR.since, until, by=by)
    return report(collections.collections_report, username, f, None, TODAY)


def test_collections_due_received_and_overdue_per_rep_and_team(report, book):
    per_rep = collections_by(report, "admin", "rep")
    assert rows(per_rep) == [
        ("张伟", 2, D("205000.00"), D("0.00"), 1, D("125000.00")),
        ("王芳", 2, D("200000.00"), D("180000.00"), 1, D("70000.00")),  # with C6's money of 5 January
        ("孙丽", 1, D("135000.00"), D("135000.00"), 0, D("0.00")),
    ]
    assert totals(per_rep) == (5, D("540000.00"), D("315000.00"), 2, D("195000.00"))
    assert rows(collections_by(report, "admin", "team")) == [
        ("销售一组 Team 1", 4, D("405000.00"), D("180000.00"), 2, D("195000.00")),
        ("销售三组 Team 3", 1, D("135000.00"), D("135000.00"), 0, D("0.00"))]


def test_collections_are_scoped(report, book):
    assert [row[0] for row in rows(collections_by(report, "xu.tao", "rep"))] == ["孙丽"]
    assert totals(collections_by(report, "wang.fang", "rep")) == (2, D("200000.00"), D("180000.00"), 1,
                                                                  D("70000.00"))
    assert rows(collections_by(report, "zhou.min", "rep")) == [("孙丽", 1, D("135000.00"), D("135000.00"), 0,
                                                                D("0.00"))]


def test_overdue_contracts_longest_overdue_first_each_linked_by_id(report, book):
    found = report(collections.overdue_contracts, "liu.yang", MoneyFilter(HALF_YEAR.since, HALF_YEAR.until),
                   None, TODAY)
    assert rows(found.table) == [("C3", "Huajin", "张伟", 1, date(2026, 3, 31), 15, D("125000.00")),
                                 ("C1", "ACME", "王芳", 1, date(2026, 4, 10), 5, D("70000.00"))]
    assert found.contract_ids == [book["C3"], book["C1"]]
    assert (found.total, totals(found.table)) == (2, (None, None, 2, None, None, D("195000.00")))
    first_page = report(collections.overdue_contracts, "admin", HALF_YEAR, None, TODAY, 1, 1)
    second_page = report(collections.overdue_contracts, "admin", HALF_YEAR, None, TODAY, 2, 1)
    assert (first_page.contract_ids, second_page.contract_ids, first_page.total) == ([book["C3"]], [book["C1"]], 2)
    assert totals(first_page.table)[-1] == D("195000.00")  # the totals count every page
    assert report(collections.overdue_contracts, "xu.tao", HALF_YEAR, None, TODAY).contract_ids == []
    march = report(collections.overdue_contracts, "admin", MoneyFilter(date(2026, 1, 1), date(2026, 3, 31)),
                   None, TODAY)
    assert march.contract_ids == [book["C3"]]


# --- filters --------------------------------------------------------------------------------

def test_the_filter_defaults_to_twelve_months_and_names_what_it_cannot_use():
    problems: dict[str, str] = {}
    assert parse_money_filter({}, TODAY, problems) == MoneyFilter(date(2025, 5, 1), date(2026, 4, 30))
    assert not problems
    f = parse_money_filter({"since": "2019-01-05", "until": "2026-02-10", "bucket": "week", "by": "colour"},
                           TODAY, problems)
    assert f == MoneyFilter(date(2021, 3, 1), date(2026, 2, 10), "month", "period")
    assert set(problems) == {"since", "bucket", "by"}
    problems.clear()
    f = parse_money_filter({"since": "2026-03-01", "until": "2026-02-01"}, TODAY, problems)
    assert (f.since, f.until, set(problems)) == (date(2026, 3, 1), date(2026, 4, 30), {"until"})
    problems.clear()
    parse_money_filter({"until": "9999-12-31"}, TODAY, problems)
    assert set(problems) == {"until"}


# --- approval turnaround --------------------------------------------------------------------

def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def decided(container: Container, as_, deployed) -> None:
    """Four approvals in March 2026 (UTC times; Shanghai is 8 hours ahead):
    A1 wang.fang at 25%, 2 March 01:00: chen.hao approves after 6 hours, li.ming after 2 days;
    A2 wang.fang at 35%, 3 March 01:00: chen.hao rejects after 12 hours;
    A3 sun.li at 35%, 4 March 01:00: zhou.min (Hangzhou) approves after 1 day;
    A4 wang.fang at 35%, 5 March 01:00: chen.hao's task is handed to li.ming a day later, who
    approves 12 hours after that."""
    clock, engine, rep, hangzhou = container.engine.clock, container.engine, as_("wang.fang"), as_("sun.li")
    clock.set(at(2, 1))
    a1 = at_margin(container, rep, deployed, "0.25")
    submit(container, rep, a1)
    first = open_approvals(container, a1)
    clock.set(at(2, 7))
    decide(container, first[SD], SD, "approve")
    clock.set(at(3, 1))
    a2 = at_margin(container, rep, deployed, "0.35")
    submit(container, rep, a2)
    clock.set(at(3, 13))
    decide(container, open_approvals(container, a2)[SD], SD, "reject", "Too cheap")
    clock.set(at(4, 1))
    decide(container, first[CD], CD, "approve")
    a3 = new_contract(container, hangzhou, deployed, ContractLineInput(str(deployed["agv"]), "1", "100000.00"),
                      account_id=str(deployed["westlake"]), cost_reserve="65000")
    submit(container, hangzhou, a3)
    clock.set(at(5, 1))
    decide(container, open_approvals(container, a3)["zhou.min"], "zhou.min", "approve")
    a4 = at_margin(container, rep, deployed, "0.35")
    submit(container, rep, a4)
    clock.set(at(6, 1))
    with container.uow() as uow:
        engine.assign(uow.session, open_approvals(container, a4)[SD], CD, "liu.yang")
        uow.commit()
    clock.set(at(6, 13))
    decide(container, open_approvals(container, a4)[CD], CD, "approve")


def test_turnaround_per_approver_from_the_task_reaching_them_to_their_decision(report, decided):
    march = MoneyFilter(date(2026, 3, 1), date(2026, 3, 31))
    table = report(approvals.turnaround, "admin", march, None, ZONE)
    assert rows(table) == [  # fastest median first
        ("陈浩", 2, D("0.5000"), D("0.5000"), 0.38, 0.38),  # 6 and 12 hours
        ("周敏", 1, D("1.0000"), D("0.0000"), 1.0, 1.0),
        ("李明", 2, D("1.0000"), D("0.0000"), 1.25, 1.25),  # 2 days, and 12 hours from the handover
    ]
    assert totals(table) == (5, D("0.8000"), D("0.2000"), 0.5, 0.85)


def test_turnaround_counts_decisions_in_the_period_by_the_readers_day(report, decided):
    # Up to 4 March in Shanghai: until 16:00 UTC on the 4th, so A3's and A4's decisions are out.
    table = report(approvals.turnaround, "admin", MoneyFilter(date(2026, 3, 1), date(2026, 3, 4)), None, ZONE)
    assert [(row[0], row[1]) for row in rows(table)] == [("陈浩", 2), ("李明", 1)]
    assert totals(table)[0] == 3


def test_turnaround_is_scoped_by_the_contracts_owner(report, decided):
    march = MoneyFilter(date(2026, 3, 1), date(2026, 3, 31))
    assert [row[0] for row in rows(report(approvals.turnaround, "liu.yang", march, None, ZONE))] == ["陈浩", "李明"]
    assert [row[:2] for row in rows(report(approvals.turnaround, "xu.tao", march, None, ZONE))] == [("周敏", 1)]
    assert rows(report(approvals.turnaround, "zhang.wei", march, None, ZONE)) == []
    assert report(approvals.turnaround, "zhang.wei", march, None, ZONE).totals is None

