"""The report builder's figures against hand-computed expectations on rows written here, on
SQLite and PostgreSQL: sums, averages and counts per group, periods on the reader's calendar,
filters, pages; whoever runs a report (however it was shared) sees only their own records;
bad definitions are refused naming the field, and nothing is saved."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from bootstrap import Container
from core.errors import InvalidInput, NotFound, PermissionDenied
from tests.deals import add_deal
from workflows.accounts.models import Account
from workflows.catalog.models import Product
from workflows.contracts.models import Contract, ContractLine, ContractType, Instalment
from workflows.opportunities.models import BusinessType
from workflows.org.models import OrgUnit
from workflows.reports import builder_saved, dashboards
from workflows.reports.builder import check_definition, raw_from_params
from workflows.reports.builder_models import SavedReport
from workflows.reports.builder_run import run_report

SHANGHAI, BERLIN = "Asia/Shanghai", "Europe/Berlin"
# name, owner, status, amount, created (UTC), expected close, business type
DEALS = (
    ("A1", "wang.fang", "open", "100.00", datetime(2026, 1, 10, 3, 0), date(2026, 3, 1), "sale"),
    ("A2", "wang.fang", "open", "250.50", datetime(2026, 2, 28, 17, 0), None, "sale"),  # 1 March in Shanghai
    ("A3", "wang.fang", "won", "1000.00", datetime(2026, 4, 2, 0, 0), date(2026, 4, 30), "tender"),
    ("B1", "zhang.wei", "open", "300.00", datetime(2026, 1, 20, 8, 0), date(2026, 2, 15), "sale"),
    ("B2", "zhang.wei", "lost", "50.25", datetime(2026, 3, 31, 16, 30), None, "tender"),  # 1 April in Shanghai
    ("C1", "sun.li", "open", "700.00", datetime(2026, 1, 5, 2, 0), date(2026, 1, 31), "sale"),
    ("C2", "sun.li", "won", "2000.00", datetime(2026, 5, 5, 2, 0), date(2026, 6, 30), "sale"),
    ("C3", "sun.li", "open", "10.00", datetime(2026, 3, 31, 22, 30), None, "sale"),  # 1 April in Berlin (summer)
)


@pytest.fixture
def deals(container: Container, demo) -> None:
    now = container.engine.clock.now()
    with container.uow() as uow:
        types = {"sale": BusinessType(name="Standard sale", process_key="standard_sale"),
                 "tender": BusinessType(name="Project tender", process_key="project_tender")}
        account = Account(name="ACME", owner="wang.fang", created_at=now, updated_at=now)
        uow.session.add_all([*types.values(), account])
        uow.session.flush()
        for name, owner, status, amount, created, close, kind in DEALS:
            add_deal(uow.session, name=name, account_id=account.id, business_type_id=types[kind].id, owner=owner,
                     status=status, amount=Decimal(amount), expected_close_date=close,
                     created_at=created.replace(tzinfo=UTC), updated_at=now)
        uow.commit()


def run(container: Container, viewer, query: str, zone: str = SHANGHAI, **options: Any):
    """The report a builder query string describes, run for ``viewer``."""
    definition, problems = check_definition(raw_from_params(MultiDict(_pairs(query))))
    assert problems == {} and definition is not None
    with container.session_factory() as session:
        return run_report(session, viewer, definition, zone, **options)


def _pairs(query: str) -> list[tuple[str, str]]:
    return [tuple(part.split("=", 1)) for part in query.split("&")]  # type: ignore[misc]


def rows(result) -> list[list[Any]]:
    return [list(row) for row in result.table.rows]


def test_a_manager_sums_their_teams_amounts_per_status(container, as_, deals):
    result = run(container, as_("liu.yang"), "object=opportunities&g1=status&agg=sum&aggf=amount&chart=bar")
    assert rows(result) == [["lost", Decimal("50.25")], ["open", Decimal("650.50")], ["won", Decimal("1000.00")]]
    assert result.table.totals == [None, Decimal("1700.75")]
    assert [c.kind for c in result.table.columns] == ["text", "money"]
    assert result.chart is not None and result.chart.labels == ["lost", "open", "won"]
    assert result.chart.series[0][1] == [Decimal("50.25"), Decimal("650.50"), Decimal("1000.00")]


def test_the_whole_company_for_a_director_at_the_top(container, as_, deals):
    result = run(container, as_("li.ming"), "object=opportunities&g1=status&agg=sum&aggf=amount")
    assert rows(result) == [["lost", Decimal("50.25")], ["open", Decimal("1360.50")], ["won", Decimal("3000.00")]]


def test_averages_round_half_up_to_the_cent_alike_on_both_databases(container, as_, deals):
    result = run(container, as_("liu.yang"), "object=opportunities&g1=owner&agg=avg&aggf=amount")
    # wang.fang: 1350.50 / 3 = 450.1666...; zhang.wei: 350.25 / 2 = 175.125; all: 1700.75 / 5
    assert rows(result) == [["王芳", Decimal("450.17")], ["张伟", Decimal("175.13")]]
    assert result.table.totals == [None, Decimal("340.15")]


def test_two_groupings_count_each_pair_and_the_chart_has_a_series_per_second_value(container, as_, deals):
    result = run(container, as_("liu.yang"), "object=opportunities&g1=owner&g2=status&chart=bar")
    assert rows(result) == [["王芳", "open", 2], ["王芳", "won", 1], ["张伟", "lost", 1], ["张伟", "open", 1]]
    assert result.chart is not None and result.chart.labels == ["王芳", "张伟"]
    assert result.chart.series == [("open", [2, 1]), ("won", [1, 0]), ("lost", [0, 1])]


def test_months_and_quarters_are_the_readers(container, as_, deals):
    director = as_("li.ming")
    by_month = "object=opportunities&g1=created_at&g1by=month"
    assert rows(run(container, director, by_month, SHANGHAI)) == [
        ["2026-01", 3], ["2026-03", 1], ["2026-04", 3], ["2026-05", 1]]
    assert rows(run(container, director, by_month, "UTC")) == [
        ["2026-01", 3], ["2026-02", 1], ["2026-03", 2], ["2026-04", 1], ["2026-05", 1]]
    # 22:30 UTC on 31 March is past midnight in Berlin's summer time (UTC+2), not its winter time
    assert rows(run(container, director, by_month, BERLIN)) == [
        ["2026-01", 3], ["2026-02", 1], ["2026-03", 1], ["2026-04", 2], ["2026-05", 1]]
    assert rows(run(container, director, "object=opportunities&g1=created_at&g1by=quarter&agg=sum&aggf=amount")) \
        == [["2026-Q1", Decimal("1350.50")], ["2026-Q2", Decimal("3060.25")]]
    assert rows(run(container, director, "object=opportunities&g1=expected_close_date&g1by=year")) == [
        ["2026", 5], [None, 3]]


def test_filters_by_amount_day_emptiness_and_text(container, as_, deals):
    manager = as_("liu.yang")
    listed = "object=opportunities&col=name"

    def names(query: str, zone: str = SHANGHAI) -> list[str]:
        return [row[0] for row in rows(run(container, manager, f"{listed}&{query}", zone))]

    assert names("f0=amount&o0=between&v0=100&w0=300") == ["A1", "A2", "B1"]
    assert names("f0=amount&o0=at_least&v0=300") == ["A3", "B1"]
    assert names("f0=created_at&o0=before&v0=2026-03-01") == ["A1", "B1"]
    assert names("f0=created_at&o0=before&v0=2026-03-01", "UTC") == ["A1", "A2", "B1"]
    assert names("f0=created_at&o0=equals&v0=2026-04-01") == ["B2"]
    assert names("f0=expected_close_date&o0=empty") == ["A2", "B2"]
    assert names("f0=name&o0=contains&v0=a") == ["A1", "A2", "A3"]
    assert names("f0=status&o0=equals&v0=open&f1=business_type&o1=equals&v1=Standard sale") == ["A1", "A2", "B1"]


def test_a_listing_pages_through_the_records_with_totals_of_all_of_them(container, as_, deals):
    query = "object=opportunities&col=name&col=amount&col=owner&col=created_at&col=account"
    result = run(container, as_("liu.yang"), query, page=2, per_page=2)
    assert (result.records, result.page, result.pages) == (5, 2, 3)
    assert rows(result) == [["A3", Decimal("1000.00"), "王芳", date(2026, 4, 2), "ACME"],
                            ["B1", Decimal("300.00"), "张伟", date(2026, 1, 20), "ACME"]]
    assert result.table.totals == [None, Decimal("1700.75"), None, None, None]
    assert run(container, as_("liu.yang"), query, page=99, per_page=2).page == 3


def test_contract_revenue_is_summed_from_its_lines(container, as_, world):
    now = container.engine.clock.now()
    with container.uow() as uow:
        kind = uow.session.scalars(select(ContractType)).first()
        product = uow.session.scalars(select(Product)).first()
        assert kind is not None and product is not None
        for number, owner, status, signed, lines in (
                ("C-1", "wang.fang", "active", date(2026, 2, 10), [(2, "100.00"), (1, "50.00")]),
                ("C-2", "wang.fang", "draft", None, [(1, "1000.00")]),
                ("C-3", "sun.li", "active", date(2026, 5, 1), [(3, "10.00")])):
            contract = Contract(number=number, account_id=world["acme"], contract_type_id=kind.id, owner=owner,
                                status=status, signed_on=signed, sales_expense=Decimal(0), cost_reserve=Decimal(0),
                                maintenance_reserve=Decimal(0), created_at=now, updated_at=now,
                                lines=[ContractLine(position=n, product_id=product.id, quantity=q,
                                                    unit_price=Decimal(price)) for n, (q, price) in enumerate(lines)],
                                instalments=[Instalment(position=0, due_on=date(2026, 6, 1), amount=Decimal("100.00"),
                                                        collected=Decimal("40.00"))])
            uow.session.add(contract)
        uow.commit()
    manager = as_("liu.yang")
    assert rows(run(container, manager, "object=contracts&g1=status&agg=sum&aggf=revenue")) == [
        ["active", Decimal("250.00")], ["draft", Decimal("1000.00")]]
    assert rows(run(container, as_("li.ming"), "object=contracts&g1=signed_on&g1by=quarter&agg=sum&aggf=revenue"
                    "&f0=status&o0=equals&v0=active")) == [["2026-Q1", Decimal("250.00")], ["2026-Q2", Decimal("30.00")]]
    listed = run(container, manager, "object=contracts&col=number&col=revenue&col=collected")
    assert rows(listed) == [["C-1", Decimal("250.00"), Decimal("40.00")], ["C-2", Decimal("1000.00"), Decimal("40.00")]]
    assert listed.table.totals == [None, Decimal("1250.00"), Decimal("80.00")]


def save(container: Container, viewer, query: str, name: str, share: str = "") -> int:
    with container.uow() as uow:
        report = builder_saved.save_report(uow.session, viewer, raw_from_params(MultiDict(_pairs(query))), name,
                                           share, container.engine.clock.now())
        uow.commit()
        return report.id


def unit_id(container: Container, name: str) -> int:
    with container.session_factory() as session:
        return session.scalars(select(OrgUnit.id).where(OrgUnit.name == name)).one()


def test_a_report_shared_with_a_team_shows_a_rep_only_their_own_records(container, as_, deals):
    team = unit_id(container, "销售一组 Team 1")
    report_id = save(container, as_("liu.yang"), "object=opportunities&g1=status&agg=sum&aggf=amount",
                     "Team by status", f"unit:{team}")
    rep, elsewhere = as_("wang.fang"), as_("sun.li")  # sun.li: a rep of another branch
    with container.session_factory() as session:
        report = builder_saved.get_report(session, rep, report_id)
        definition, problems = builder_saved.definition_of(report)
        assert problems == {} and definition is not None
        result = run_report(session, rep, definition, SHANGHAI)
        assert [r.id for r in builder_saved.list_reports(session, rep).reports] == [report_id]
        with pytest.raises(NotFound):
            builder_saved.get_report(session, elsewhere, report_id)
        assert builder_saved.list_reports(session, elsewhere).reports == []
    assert rows(result) == [["open", Decimal("350.50")], ["won", Decimal("1000.00")]]


def test_a_report_shared_with_a_role_reaches_its_holders_and_only_the_owner_changes_it(container, as_, deals):
    owner, rep, manager = as_("liu.yang"), as_("sun.li"), as_("xu.tao")
    report_id = save(container, owner, "object=opportunities&col=name", "Deals", "role:sales_rep")
    with container.session_factory() as session:
        assert builder_saved.get_report(session, rep, report_id).name == "Deals"
        with pytest.raises(NotFound):
            builder_saved.get_report(session, manager, report_id)  # not of the role
    with pytest.raises(PermissionDenied), container.uow() as uow:
        builder_saved.delete_report(uow.session, rep, report_id)
    with container.uow() as uow:
        builder_saved.delete_report(uow.session, owner, report_id)
        uow.commit()
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(SavedReport)) == 0


@pytest.mark.parametrize(("query", "key", "named"), [
    ("object=opportunities&col=name&f0=amount&o0=equals&v0=abc", "v0", "Amount"),
    ("object=opportunities&col=name&f0=created_at&o0=after&v0=2026-02-30", "v0", "Created"),
    ("object=opportunities&col=name&f0=amount&o0=between&v0=500&w0=100", "w0", "Amount"),
    ("object=opportunities&col=name&f0=amount&o0=between&v0=500", "w0", "Amount"),
    ("object=opportunities&col=name&f0=status&o0=equals&v0=sold", "v0", "Status"),
    ("object=opportunities&col=name&f0=amount&o0=contains&v0=1", "o0", "Amount"),
    ("object=opportunities&col=name&f0=owner&o0=like&v0=x", "o0", "Owner"),
    ("object=opportunities&col=name&f0=salary&o0=equals&v0=1", "f0", "salary"),
    ("object=opportunities&col=password_hash", "col", "password_hash"),
    ("object=opportunities&g1=name", "g1", "Name"),
    ("object=opportunities&g1=created_at&g1by=week", "g1by", "Created"),
    ("object=opportunities&g1=owner&agg=sum&aggf=name", "aggf", "Name"),
    ("object=opportunities&g1=owner&agg=median&aggf=amount", "agg", "median"),
    ("object=opportunities&col=name&chart=bar", "chart", "grouping"),
    ("object=users&col=name", "object", "users"),
])
def test_bad_definitions_are_refused_naming_the_field_and_nothing_is_saved(container, as_, deals, query, key,
                                                                            named):
    with pytest.raises(InvalidInput) as refused:
        save(container, as_("liu.yang"), query, "Broken")
    assert key in refused.value.fields and named in refused.value.fields[key]
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(SavedReport)) == 0


def test_a_saved_definition_is_checked_again_when_run(container, as_, deals):
    owner = as_("liu.yang")
    report_id = save(container, owner, "object=opportunities&col=name", "Deals")
    with container.uow() as uow:
        report = uow.session.get(SavedReport, report_id)
        assert report is not None
        report.definition = {**report.definition, "columns": ["name", "secret"]}
        uow.commit()
    with container.session_factory() as session:
        definition, problems = builder_saved.definition_of(builder_saved.get_report(session, owner, report_id))
    assert definition is None and "secret" in problems["col"]


def test_default_dashboards_are_seeded_once_and_each_role_gets_its_own(container, as_, demo):
    people = [as_(name) for name in ("wang.fang", "liu.yang", "li.ming")]
    for _ in range(2):
        with container.uow() as uow:
            dashboards.ensure_default_dashboards(uow.session, container.engine.clock.now())
            uow.commit()
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(SavedReport)) == 9
        rep, manager, director = (dashboards.dashboard_for(session, viewer) for viewer in people)
        assert dashboards.needs_defaults(session) is False
    assert (rep.role_key, manager.role_key, director.role_key) == ("rep", "manager", "director")
    assert [builder_saved.report_name(t.report) for t in rep.tiles] == [
        "My open pipeline by stage", "My activities by month", "My leads by status"]
    assert not rep.own and len(manager.tiles) == len(director.tiles) == 3
    for tile in rep.tiles + manager.tiles + director.tiles:
        assert builder_saved.definition_of(tile.report)[1] == {}


def test_my_reports_come_before_those_shared_with_me(container, as_, deals):
    manager = as_("liu.yang")
    with container.uow() as uow:
        dashboards.ensure_default_dashboards(uow.session, container.engine.clock.now())
        uow.commit()
    mine = save(container, manager, "object=opportunities&col=name", "Zebra deals")
    with container.session_factory() as session:
        listed = builder_saved.list_reports(session, manager).reports
    assert [r.id for r in listed][0] == mine
    assert [r.system_key for r in listed[1:]] == [
        "manager.activities_by_owner", "manager.leads_by_source", "manager.pipeline_by_owner"]
