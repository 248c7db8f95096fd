"""Lead and activity reports on SQLite and PostgreSQL, against figures worked out by hand from
a small generated book of leads, accounts, deals, contracts and activities in two branches.

Readers are in Asia/Shanghai (UTC+8): the rows at the period's edges sit on one side of
midnight in Shanghai and on the other in UTC, so a report counting UTC days gets them wrong.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Boolean, DateTime, Integer, MetaData, String, Text, create_engine, insert, select

import bootstrap
from bootstrap import Container
from core import migrate
from core.clock import ManualClock
from tests.deals import add_deal
from tests.usecases import run
from workflows import handover
from workflows.accounts.models import Account
from workflows.activities.models import Activity
from workflows.activities.statistics import StatisticsFilter
from workflows.contracts.models import Contract, ContractType
from workflows.leads import intake, manual_assignment, pools, service
from workflows.leads.models import Lead, Pool, PoolMember
from workflows.leads.service import LeadInput
from workflows.opportunities.models import BusinessType
from workflows.org.models import OrgUnit
from workflows.org.visibility import Viewer
from workflows.reports import activity, leads
from workflows.reports.leads import LeadPeriod
from workflows.reports.scope import ReportScope, parse_scope
from workflows.reports.table import Table

SHANGHAI = "Asia/Shanghai"
NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)  # Monday 16 March, 10:00 in Shanghai
MARCH = LeadPeriod(date(2026, 3, 1), date(2026, 3, 15))
WEEKS = StatisticsFilter(unit="week", since=date(2026, 3, 1), until=date(2026, 3, 15))
ZERO = Decimal("0.00")


def local(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment of 2026 in Shanghai, in UTC as stored."""
    return datetime(2026, month, day, hour, minute, tzinfo=ZoneInfo(SHANGHAI)).astimezone(UTC)


def ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


@pytest.fixture
def book(container: Container, clock: ManualClock, demo: dict[str, int]) -> dict[str, int]:
    """Team 1 (zhang.wei, wang.fang; manager liu.yang) and team 2 (zhao.qiang) in Shanghai,
    team 3 (sun.li; manager xu.tao) in Hangzhou, with a pool in each branch."""
    clock.set(NOW)
    with container.uow() as uow:
        s = uow.session
        kind = BusinessType(name="Standard sale", process_key="standard_sale")
        sale = ContractType(name="Product sale", approval_process_key="contract_approval")
        shanghai = Pool(name="Shanghai pool", created_at=NOW)
        hangzhou = Pool(name="Hangzhou pool", created_at=NOW)
        s.add_all([kind, sale, shanghai, hangzhou])
        s.flush()
        s.add_all([PoolMember(pool_id=shanghai.id, user_id=demo[name]) for name in ("liu.yang", "zhang.wei")])
        s.add_all([PoolMember(pool_id=hangzhou.id, user_id=demo[name]) for name in ("xu.tao", "sun.li")])

        def account(name: str, owner: str | None, since: datetime | None) -> int:
            row = Account(name=name, owner=owner, followup_since=since, pool_id=None if owner else hangzhou.id,
                          created_at=ago(90), updated_at=NOW)
            s.add(row)
            s.flush()
            return row.id

        a1 = account("Huaxin", "zhang.wei", ago(31))  # 7, 15 and 30 days without contact
        a2 = account("Jiangnan", "zhang.wei", ago(2))
        a3 = account("Pudong", "wang.fang", ago(60))  # every band, exactly 60 days
        a4 = account("Xihu", "sun.li", ago(10))
        a5 = account("Old customer", "wang.fang", None)
        account("Waiting", None, ago(100))  # in a pool: nobody's to contact

        def deal(account_id: int, owner: str, amount: str, status: str, created: datetime,
                 entered: datetime) -> int:
            return add_deal(s, name=f"Deal {amount}", account_id=account_id, business_type_id=kind.id,
                            owner=owner, amount=Decimal(amount), status=status, stage=status,
                            stage_entered_at=entered, created_at=created, updated_at=entered)

        o1 = deal(a1, "zhang.wei", "100000", "won", local(3, 3), local(3, 10))
        o3 = deal(a3, "wang.fang", "50000", "open", local(3, 6), local(3, 6))
        o4 = deal(a4, "sun.li", "80000", "won", local(3, 8), local(3, 12))
        deal(a5, "wang.fang", "30000", "won", local(2, 1), local(2, 20))  # won before March
        deal(a5, "wang.fang", "20000.50", "won", local(2, 5), local(3, 15, 0, 30))  # in, at its last half hour
        deal(a1, "zhao.qiang", "40000", "won", local(2, 1), local(3, 16, 0, 30))  # just after the period
        deal(a1, "zhao.qiang", "10000", "won", local(2, 1), local(3, 5))
        s.add(Contract(number="C-1", account_id=a2, contract_type_id=sale.id, owner="zhang.wei", status="active",
                       sales_expense=ZERO, cost_reserve=ZERO, maintenance_reserve=ZERO, created_at=local(3, 9),
                       updated_at=local(3, 9)))

        def lead(name: str, owner: str | None, source: str, region: str, via: str | None, status: str,
                 created: datetime, since: datetime | None = None, account_id: int | None = None,
                 opportunity_id: int | None = None, converted: datetime | None = None) -> None:
            s.add(Lead(name=name, owner=owner, source=source, region=region, assigned_via=via, status=status,
                       created_at=created, updated_at=created, followup_since=since, account_id=account_id,
                       opportunity_id=opportunity_id, converted_at=converted,
                       pool_id=None if owner else shanghai.id if region != "浙江" else hangzhou.id))

        # zhang.wei: L1 converted with a deal since won, L3 converted and since under contract.
        lead("L1", "zhang.wei", "website", "上海", "rule", "converted", local(3, 2), None, a1, o1, local(3, 3))
        lead("L2", "zhang.wei", "website", "上海", "rule", "working", local(3, 3), ago(8))
        lead("L3", "zhang.wei", "wechat", "江苏", "pool", "converted", local(3, 4), None, a2, None, local(3, 5))
        lead("L10", "zhang.wei", "website", "上海", "rule", "new", local(3, 1, 0, 30), ago(20))  # first half hour
        lead("L11", "zhang.wei", "website", "上海", "rule", "new", local(3, 16, 0, 30), ago(1))  # after the period
        # wang.fang: L4 converted with a deal still open, L13 converted into a customer who had
        # won before (nothing since), L12 created just before the period, 15 days without contact.
        lead("L4", "wang.fang", "website", "", "manager", "converted", local(3, 5), None, a3, o3, local(3, 6))
        lead("L5", "wang.fang", "referral", "上海", "entered", "disqualified", local(3, 6), ago(90))
        lead("L13", "wang.fang", "phone_in", "上海", "entered", "converted", local(3, 9), None, a5, None,
             local(3, 12))
        lead("L12", "wang.fang", "website", "上海", "manager", "working", local(2, 28, 23, 59), ago(15))
        lead("L6", "zhao.qiang", "wechat", "上海", "pool", "working", local(3, 10), ago(35))
        lead("L7", None, "website", "上海", None, "pooled", local(3, 11))
        # Hangzhou.
        lead("L8", "sun.li", "website", "浙江", "rule", "converted", local(3, 7), None, a4, o4, local(3, 8))
        lead("L9", "sun.li", "event", "浙江", "handover", "working", local(3, 8), ago(70))
        lead("L14", None, "website", "浙江", None, "pooled", local(3, 12))

        def logged(owner: str, kind: str, at: datetime) -> None:
            s.add(Activity(kind=kind, subject_type="account", subject_id=a1, owner=owner, happened_at=at,
                           created_at=at))

        logged("zhang.wei", "visit", local(3, 2))
        logged("zhang.wei", "call", local(3, 3))
        logged("zhang.wei", "call", local(3, 10))
        logged("zhang.wei", "meeting", local(3, 11))
        logged("zhang.wei", "visit", local(2, 28, 23))  # before the period
        logged("wang.fang", "visit", local(3, 9, 0, 30))  # Sunday 8 March in UTC, Monday the 9th here
        logged("wang.fang", "visit", local(3, 15, 23, 30))
        logged("wang.fang", "email", local(3, 4))  # not a visit, call or meeting
        logged("wang.fang", "call", local(3, 16, 0, 30))  # after the period
        logged("sun.li", "visit", local(3, 3))
        logged("sun.li", "visit", local(3, 4))
        logged("sun.li", "call", local(3, 5))
        logged("zhao.qiang", "call", local(3, 12))
        uow.commit()
        units = {name: unit_id for name, unit_id in s.execute(select(OrgUnit.name, OrgUnit.id))}
    return {"team_2": units["销售二组 Team 2"], "team_3": units["销售三组 Team 3"], **demo}


def scoped(container: Container, viewer: Viewer, **params: str) -> ReportScope:
    with container.session_factory() as session:
        problems: dict[str, str] = {}
        scope = parse_scope(session, viewer, params, problems)
    assert problems == {}
    return scope


def values(table: Table) -> list[list[object]]:
    """The rows as plain values (a label's English text), for comparing with expectations."""
    return [[str(v) if isinstance(v, str) else v for v in row] for row in table.rows]


def rate(text: str) -> Decimal:
    return Decimal(text)


def test_leads_by_source_region_and_assignment_count_a_managers_team_and_pool(container, as_, book):
    manager = as_("liu.yang")  # team 1 and the Shanghai pool; not team 2, not Hangzhou
    scope = ReportScope()
    with container.session_factory() as session:
        source = leads.by_source(session, manager, scope, MARCH, SHANGHAI)
        region = leads.by_region(session, manager, scope, MARCH, SHANGHAI)
        assigned = leads.by_assignment(session, manager, scope, MARCH, SHANGHAI)
    # L1, L2, L10, L4 and the pooled L7 came from the website; L1 and L4 were converted.
    assert values(source) == [["Website", 5, 2, rate("0.4")], ["WeChat", 1, 1, rate("1")],
                              ["Phone (inbound)", 1, 1, rate("1")], ["Referral", 1, 0, rate("0")]]
    assert list(source.totals or ()) == ["Total", 8, 4, rate("0.5")]
    assert values(region) == [["上海", 6, 2, rate("0.3333")], ["No region given", 1, 1, rate("1")],
                              ["江苏", 1, 1, rate("1")]]
    assert values(assigned) == [
        ["By the assignment rules", 3, 1, rate("0.3333")], ["By a manager, by hand", 1, 1, rate("1")],
        ["Claimed from a pool", 1, 1, rate("1")], ["Entered by the rep for themselves", 2, 1, rate("0.5")],
        ["Handed over from a leaver", 0, 0, None], ["Not assigned: waiting in a pool", 1, 0, rate("0")]]


def test_a_unit_or_a_person_leaves_out_the_pools_and_everyone_else(container, as_, book):
    director, admin, hangzhou_manager = as_("chen.hao"), as_("admin"), as_("xu.tao")  # chen.hao: Shanghai
    unit, person = scoped(container, director, unit=str(book["team_2"])), scoped(container, director,
                                                                                  person="wang.fang")
    with container.session_factory() as session:
        team_2 = leads.by_source(session, director, unit, MARCH, SHANGHAI)
        fang = leads.by_assignment(session, director, person, MARCH, SHANGHAI)
        everything = leads.by_source(session, admin, ReportScope(), MARCH, SHANGHAI)
        hangzhou = leads.by_source(session, hangzhou_manager, ReportScope(), MARCH, SHANGHAI)
    assert values(team_2) == [["WeChat", 1, 0, rate("0")]]  # zhao.qiang's L6
    assert [row[1] for row in fang.rows] == [0, 1, 0, 2, 0, 0]
    assert list(everything.totals or ())[1:3] == [12, 5]  # every lead of the period, pooled ones too
    assert values(hangzhou) == [["Website", 2, 1, rate("0.5")], ["Event sign-up", 1, 0, rate("0")]]


def test_no_contact_bands_count_leads_being_worked_and_owned_accounts(container, as_, book):
    manager, admin, director, rep_ = as_("liu.yang"), as_("admin"), as_("chen.hao"), as_("sun.li")
    person = scoped(container, director, person="wang.fang")
    with container.session_factory() as session:
        team_1 = leads.no_contact(session, manager, ReportScope(), NOW)
        everyone = leads.no_contact(session, admin, ReportScope(), NOW)
        fang = leads.no_contact(session, director, person, NOW)
        rep = leads.no_contact(session, rep_, ReportScope(), NOW)
    # Leads: L2 (8 days), L10 (20), L12 (exactly 15); the disqualified L5 and the pooled L7 are
    # nobody's to contact. Accounts: Huaxin (31 days), Pudong (exactly 60).
    assert [(b.days, b.leads, b.accounts) for b in team_1] == [(7, 3, 2), (15, 2, 2), (30, 0, 2), (60, 0, 1)]
    # With team 2's L6 (35 days) and Hangzhou's L9 (70) and Xihu (10); not the pooled account.
    assert [(b.leads, b.accounts) for b in everyone] == [(5, 3), (4, 2), (2, 2), (1, 1)]
    assert [(b.leads, b.accounts) for b in fang] == [(1, 1), (1, 1), (0, 1), (0, 1)]
    assert [(b.leads, b.accounts) for b in rep] == [(1, 1), (1, 0), (1, 0), (1, 0)]


def test_conversion_per_rep_counts_opportunities_and_customers_since_the_conversion(container, as_, book):
    manager, hangzhou_manager, rep = as_("liu.yang"), as_("xu.tao"), as_("wang.fang")
    with container.session_factory() as session:
        team_1 = leads.conversion_per_rep(session, manager, ReportScope(), MARCH, SHANGHAI)
        hangzhou = leads.conversion_per_rep(session, hangzhou_manager, ReportScope(), MARCH, SHANGHAI)
        own = leads.conversion_per_rep(session, rep, ReportScope(), MARCH, SHANGHAI)
    # 张伟: L1, L2, L3, L10; L1 and L3 converted; L1's deal was won, L3's account signed a
    # contract. 王芳: L4, L5, L13 (L12 came the day before); L4's deal is still open, L13's
    # account had won only before the conversion.
    assert values(team_1) == [["张伟", 4, 2, 1, 2, rate("0.25"), rate("0.5")],
                              ["王芳", 3, 2, 1, 0, rate("0.3333"), rate("0")]]
    assert list(team_1.totals or ()) == ["Total", 7, 4, 2, 2, rate("0.2857"), rate("0.2857")]
    assert values(hangzhou) == [["孙丽", 2, 1, 1, 1, rate("0.5"), rate("0.5")]]
    assert values(own) == [["王芳", 3, 2, 1, 0, rate("0.3333"), rate("0")]]


def test_visits_and_calls_per_rep_by_week_in_the_readers_calendar(container, as_, book):
    manager, director = as_("liu.yang"), as_("chen.hao")
    unit = scoped(container, director, unit=str(book["team_2"]))
    with container.session_factory() as session:
        rows = activity.activity_rows(session, manager, ReportScope(), WEEKS, SHANGHAI)
        whole = activity.activity_rows(session, manager, ReportScope(), replace(WEEKS, unit="period"), SHANGHAI)
        team_2 = activity.activity_rows(session, director, unit, WEEKS, SHANGHAI)
    assert [(r.first, r.last, r.owner_name, r.visits, r.calls, r.meetings) for r in rows] == [
        (date(2026, 3, 2), date(2026, 3, 8), "张伟", 1, 1, 0),
        (date(2026, 3, 9), date(2026, 3, 15), "张伟", 0, 1, 1),
        (date(2026, 3, 9), date(2026, 3, 15), "王芳", 2, 0, 0)]
    # Sunday 1 March is the period's part of the week before: a bucket of its own, with nothing.
    assert activity.over_time(rows, WEEKS) == [(date(2026, 3, 1), 0, 0, 0), (date(2026, 3, 2), 1, 1, 0),
                                               (date(2026, 3, 9), 2, 1, 1)]
    assert activity.over_time(whole, replace(WEEKS, unit="period")) == [(date(2026, 3, 1), 3, 2, 1)]
    assert [(r.owner, r.total) for r in team_2] == [("zhao.qiang", 1)]
    table = activity.activity_table(rows)
    assert list(table.totals or ())[3:] == [3, 2, 1, 6]


def test_reps_and_teams_rank_by_won_amount_and_by_activity(container, as_, book):
    manager, director, hangzhou_manager = as_("liu.yang"), as_("chen.hao"), as_("xu.tao")
    with container.session_factory() as session:
        reps, teams = activity.rankings(session, manager, ReportScope(), WEEKS, "won", SHANGHAI)
        by_activity, team_activity = activity.rankings(session, director, ReportScope(), WEEKS, "activity",
                                                       SHANGHAI)
        hangzhou, _teams = activity.rankings(session, hangzhou_manager, ReportScope(), WEEKS, "won", SHANGHAI)
    # 张伟 won 100,000 (L1's deal) and logged 4; 王芳 20,000.50 (won in the period's last half
    # hour) and 2 visits; 李娜 nothing. 王芳's deal won in February and zhao.qiang's are not team 1's.
    table = activity.ranking_table(reps, "won", teams=False)
    assert values(table) == [
        [1, "张伟", "销售一组 Team 1", Decimal("100000.00"), 1, 1, 2, 1, 4],
        [2, "王芳", "销售一组 Team 1", Decimal("20000.50"), 1, 2, 0, 0, 2],
        [3, "李娜", "销售一组 Team 1", ZERO, 0, 0, 0, 0, 0]]
    assert values(activity.ranking_table(teams, "won", teams=True)) == [
        [1, "销售一组 Team 1", 3, Decimal("120000.50"), 2, 3, 2, 1, 6]]
    # Ranked by activity across Shanghai: equal figures share a rank.
    ranked = activity.ranking_table(by_activity, "activity", teams=False)
    assert [(row[0], row[1], row[-1]) for row in ranked.rows] == [
        (1, "张伟", 4), (2, "王芳", 2), (3, "赵强", 1), (4, "吴静", 0), (4, "李娜", 0)]
    assert [(row[0], row[1], row[3], row[-1]) for row in activity.ranking_table(
        team_activity, "activity", teams=True).rows] == [
        (1, "销售一组 Team 1", Decimal("120000.50"), 6), (2, "销售二组 Team 2", Decimal("10000.00"), 1)]
    assert [(r.name, r.won_amount, r.activities) for r in hangzhou] == [
        ("孙丽", Decimal("80000.00"), 3), ("林晓雨", ZERO, 0), ("马超", ZERO, 0)]


def test_each_way_of_assigning_a_lead_records_how(container, as_, clock, demo):
    bootstrap.deploy_shipped(container)
    manager, rep, other = as_("liu.yang"), as_("wang.fang"), as_("zhang.wei")
    with container.uow() as uow:
        pool = Pool(name="Shanghai pool", created_at=clock.now())
        uow.session.add(pool)
        uow.session.flush()
        uow.session.add_all([PoolMember(pool_id=pool.id, user_id=demo[name]) for name in ("zhang.wei",)])
        uow.commit()
        pool_id = pool.id
    entered = run(container, service.create_lead, rep, LeadInput("刘一", phone="13816610001"), clock.now())
    given = run(container, service.create_lead, manager, LeadInput("刘二", phone="13816610002"), clock.now(),
                "wang.fang")
    routed = run(container, intake.receive_lead, container.engine,
                 LeadInput("刘三", phone="13816610003", region="上海", source="website"), pool_id, clock.now())
    waiting = run(container, service.create_lead, None, LeadInput("刘四", phone="13816610004"), clock.now(),
                  None, pool_id)
    assert (entered.assigned_via, given.assigned_via, routed.assigned_via, waiting.assigned_via) == (
        "entered", "manager", "rule", None)
    run(container, pools.claim_lead, other, waiting.id, clock.now())
    run(container, manual_assignment.assign_leads, manager, [entered.id], "li.na", clock.now())
    with container.session_factory() as session:
        assert session.get_one(Lead, waiting.id).assigned_via == "pool"
        assert session.get_one(Lead, entered.id).assigned_via == "manager"
    run(container, pools.release_lead, other, waiting.id, pool_id, clock.now())
    run(container, handover.hand_over, container.engine, as_("admin"), str(demo["wang.fang"]),
        str(demo["zhang.wei"]), "", clock.now())
    with container.session_factory() as session:
        assert session.get_one(Lead, waiting.id).assigned_via is None  # back in its pool
        assert session.get_one(Lead, given.id).assigned_via == "handover"


def test_the_migration_classifies_the_leads_already_there(database_url):
    """Down to before the column, leads assigned each way, up again: each is classified."""
    config = Config(str(migrate.ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(migrate.ROOT / "migrations"))
    db = create_engine(database_url)
    at = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    later = at + timedelta(days=3)
    with db.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0025")
        command.downgrade(config, "-1")
        tables = MetaData()
        tables.reflect(connection, only=["org_unit", "lead", "lead_pool", "lead_pool_claim", "audit_event"])
        connection.execute(insert(tables.tables["org_unit"]).values(id=1, name="Team", kind="team", path="/1/"))
        connection.execute(insert(tables.tables["lead_pool"]).values(_filled(tables.tables["lead_pool"], at)))
        rows = {  # name: (owner, created_by, assigned_at, team_unit_id)
            "claimed": ("zhang.wei", None, later, None), "handed": ("li.na", "wang.fang", later, None),
            "entered": ("wang.fang", "wang.fang", at, None), "routed": ("zhang.wei", None, at, 1),
            "given": ("li.na", "liu.yang", at, None), "waiting": (None, None, None, None),
        }
        for number, (name, (owner, created_by, assigned_at, team)) in enumerate(rows.items(), start=1):
            connection.execute(insert(tables.tables["lead"]).values({
                **_filled(tables.tables["lead"], at), "id": number, "name": name, "owner": owner,
                "created_by": created_by, "assigned_at": assigned_at, "team_unit_id": team, "pool_id": 1}))
        connection.execute(insert(tables.tables["lead_pool_claim"]).values(
            pool_id=1, lead_id=1, username="zhang.wei", claimed_at=later))
        connection.execute(insert(tables.tables["audit_event"]).values(
            actor="admin", action="handover", subject="user:9", details={}, at=later))
        connection.commit()
        command.upgrade(config, "head")
        found = {name: via for name, via in connection.execute(select(Lead.name, Lead.assigned_via))}
    db.dispose()
    assert found == {"claimed": "pool", "handed": "handover", "entered": "entered", "routed": "rule",
                     "given": "manager", "waiting": None}


def _filled(table, at: datetime) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """A value for each required column, by its type: enough for a row the test then names."""
    filled: dict[str, object] = {}
    for column in table.columns:
        if column.nullable or column.primary_key:
            continue
        kind = column.type
        filled[column.name] = (at if isinstance(kind, DateTime) else False if isinstance(kind, Boolean)
                               else 1 if isinstance(kind, Integer) else "manual" if column.name == "source"
                               else "" if isinstance(kind, String | Text) else None)
    return filled


def test_a_period_too_long_or_backwards_is_named_and_mended():
    problems: dict[str, str] = {}
    f = leads.parse_lead_period({"since": "2010-01-01", "until": "2026-03-15"}, date(2026, 3, 16), problems)
    assert f.until == date(2026, 3, 15) and (f.until - f.since).days == leads.MAX_DAYS - 1
    assert "since" in problems
    problems = {}
    default = leads.parse_lead_period({"until": "nonsense"}, date(2026, 3, 16), problems)
    assert default == LeadPeriod(date(2026, 1, 1), date(2026, 3, 16)) and "until" in problems
    assert replace(default, since=date(2026, 3, 1)).params() == {"since": "2026-03-01", "until": "2026-03-16"}
