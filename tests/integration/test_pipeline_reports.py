"""The funnel and conversion reports against hand-computed figures on ``tests.pipeline_history``,
for the company, a branch, a team, a rep, and a manager of another branch."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from bootstrap import Container
from tests.deals import standard_sale
from tests.pipeline_history import seed_history, summarise
from workflows.opportunities import service
from workflows.opportunities.models import BusinessType, Opportunity
from workflows.opportunities.service import OpportunityInput
from workflows.org.models import OrgUnit
from workflows.reports.conversion import Conversion, conversion, conversion_table
from workflows.reports.funnel import Funnel, PipelineFilter, funnel, funnel_table
from workflows.reports.scope import ReportScope, parse_scope
from workflows.reports.stays import PipelineStay

SHANGHAI = "Asia/Shanghai"
EVERYONE = ReportScope()  # everything the reader sees


@pytest.fixture
def history(container: Container, demo) -> dict[str, int]:
    return seed_history(container)


def run_funnel(container: Container, viewer, ids, scope=EVERYONE, **days: date) -> Funnel:
    with container.session_factory() as session:
        kind = session.get(BusinessType, ids["sale"])
        return funnel(session, container.engine, viewer, scope, kind, PipelineFilter(ids["sale"], **days))


def run_conversion(container: Container, viewer, ids, scope=EVERYONE, time_zone=SHANGHAI,
                   **days: date) -> Conversion:
    with container.session_factory() as session:
        kind = session.get(BusinessType, ids["sale"])
        return conversion(session, container.engine, viewer, scope, kind, PipelineFilter(ids["sale"], **days),
                          time_zone)


def figures(found: Funnel) -> dict[str, tuple[int, str, str]]:
    return {s.key: (s.count, str(s.amount), str(s.weighted)) for s in found.stages}


def flows(found: Conversion) -> dict[str, tuple[int, int, int, int, int]]:
    return {s.key: (s.entered, s.moved_on, s.won, s.dropped, s.waiting) for s in found.stages}


def scope_of(container: Container, viewer, **params: str) -> ReportScope:
    problems: dict[str, str] = {}
    with container.session_factory() as session:
        found = parse_scope(session, viewer, params, problems)
    assert not problems
    return found


def unit_id(container: Container, name: str) -> str:
    with container.session_factory() as session:
        return str(session.scalars(select(OrgUnit.id).where(OrgUnit.name.contains(name))).one())


def test_the_company_funnel_follows_the_pipeline_with_amounts_and_weights(container, as_, history):
    found = run_funnel(container, as_("admin"), history)
    assert [(s.key, s.kind) for s in found.stages] == [
        ("discover", "open"), ("analysis", "open"), ("quotation", "open"), ("negotiation", "open"),
        ("collection", "open"), ("", "other"), ("won", "closed"), ("lost", "closed"), ("abandoned", "closed")]
    assert figures(found) == {
        "discover": (0, "0.00", "0.00"), "analysis": (1, "80000.00", "16000.00"),
        "quotation": (2, "140000.00", "56000.00"), "negotiation": (1, "30000.00", "18000.00"),
        "collection": (0, "0.00", "0.00"), "": (1, "5000.00", "500.00"),
        "won": (2, "950000.00", "950000.00"), "lost": (1, "20000.00", "0.00"),
        "abandoned": (1, "10000.00", "0.00")}
    table = funnel_table(found)
    assert table.totals == ("Open pipeline", None, 5, Decimal("255000.00"), Decimal("90500.00"))
    assert table.rows[2] == ("Quotation", Decimal("0.4"), 2, Decimal("140000.00"), Decimal("56000.00"))


def test_a_managers_funnel_excludes_the_other_branch_and_the_other_team(container, as_, history):
    found = run_funnel(container, as_("liu.yang"), history)
    assert figures(found) == {
        "discover": (0, "0.00", "0.00"), "analysis": (1, "80000.00", "16000.00"),
        "quotation": (2, "140000.00", "56000.00"), "negotiation": (0, "0.00", "0.00"),
        "collection": (0, "0.00", "0.00"), "": (1, "5000.00", "500.00"),
        "won": (1, "50000.00", "50000.00"), "lost": (1, "20000.00", "0.00"), "abandoned": (0, "0.00", "0.00")}
    hangzhou = run_funnel(container, as_("xu.tao"), history)
    assert {k: v for k, v in figures(hangzhou).items() if v[0]} == {
        "won": (1, "900000.00", "900000.00"), "abandoned": (1, "10000.00", "0.00")}


def test_a_branch_a_team_and_a_rep_narrow_the_funnel(container, as_, history):
    director = as_("chen.hao")  # Shanghai: both teams, not Hangzhou
    branch = run_funnel(container, director, history)
    assert figures(branch)["negotiation"] == (1, "30000.00", "18000.00")
    assert figures(branch)["won"] == (1, "50000.00", "50000.00")
    team2 = run_funnel(container, director, history, scope_of(container, director, unit=unit_id(container, "Team 2")))
    assert {k: v[0] for k, v in figures(team2).items() if v[0]} == {"negotiation": 1}
    rep = run_funnel(container, director, history, scope_of(container, director, person="zhang.wei"))
    assert {k: v[:2] for k, v in figures(rep).items() if v[0]} == {"analysis": (1, "80000.00"), "lost": (1, "20000.00")}
    own = run_funnel(container, as_("zhang.wei"), history)  # a rep sees their own, whatever they ask
    assert figures(own) == figures(rep)


def test_the_close_date_period_keeps_the_deals_closing_in_it(container, as_, history):
    found = run_funnel(container, as_("admin"), history, first=date(2026, 3, 1), last=date(2026, 3, 31))
    assert {k: v[:2] for k, v in figures(found).items() if v[0]} == {
        "analysis": (1, "80000.00"), "quotation": (2, "140000.00")}


def test_company_conversion_counts_who_moved_on_won_dropped_or_waits(container, as_, history):
    found = run_conversion(container, as_("admin"), history)
    assert flows(found) == {"discover": (8, 7, 2, 1, 0), "analysis": (7, 5, 2, 1, 1), "quotation": (5, 3, 2, 0, 2),
                            "negotiation": (3, 2, 2, 0, 1), "collection": (2, 2, 2, 0, 0)}
    assert found.won == 2
    assert {s.key: (s.stays, s.median_days) for s in found.stages} == {
        "discover": (8, 1.5), "analysis": (7, 3.0), "quotation": (3, 4.0), "negotiation": (2, 5.0),
        "collection": (2, 3.5)}
    analysis = found.stages[1]
    assert (analysis.conversion, analysis.win_rate, analysis.stalled) == (Decimal("0.7143"), Decimal("0.2857"), 2)
    assert [s.element_id for s in found.stages] == ["stage_discover", "stage_analysis", "stage_quotation",
                                                    "stage_negotiation", "stage_collection"]
    table = conversion_table(found)
    assert table.rows[2] == ("Quotation", 5, 3, Decimal("0.6"), 2, Decimal("0.4"), 0, 2, 4.0)
    assert table.rows[-1] == ("Closed (won)", 2, None, None, None, None, None, None, None)


def test_a_managers_conversion_excludes_the_other_branch(container, as_, history):
    found = run_conversion(container, as_("liu.yang"), history)
    assert flows(found) == {"discover": (5, 4, 1, 1, 0), "analysis": (4, 3, 1, 0, 1), "quotation": (3, 1, 1, 0, 2),
                            "negotiation": (1, 1, 1, 0, 0), "collection": (1, 1, 1, 0, 0)}
    assert [s.median_days for s in found.stages] == [2.0, 3.5, 5.0, 6.0, 2.0]
    assert found.won == 1
    other = run_conversion(container, as_("xu.tao"), history)
    assert flows(other)["discover"] == (2, 2, 1, 0, 0) and flows(other)["analysis"] == (2, 1, 1, 1, 0)


def test_the_period_picks_stays_that_began_on_the_readers_days(container, as_, history):
    """F's first stay began 2026-01-31 17:00 UTC: 1 February in Shanghai, 31 January in UTC."""
    day = {"first": date(2026, 2, 1), "last": date(2026, 2, 1)}
    shanghai = run_conversion(container, as_("admin"), history, **day)
    assert {k: v for k, v in flows(shanghai).items() if v[0]} == {"discover": (1, 1, 1, 0, 0)}
    utc = run_conversion(container, as_("admin"), history, time_zone="UTC", **day)
    assert {k: v for k, v in flows(utc).items() if v[0]} == {"analysis": (1, 1, 1, 0, 0)}
    assert shanghai.won == utc.won == 0


def test_stages_come_from_the_real_pipeline_as_deals_advance(container, as_, demo, clock):
    """What the step observer keeps in the summary is what the reports count, and what the
    migration would fill from the same history."""
    sale = standard_sale(container)
    rep = as_("wang.fang")
    with container.uow() as uow:
        created = [service.create_opportunity(
            uow.session, container.engine, rep,
            OpportunityInput(name=f"Deal {n}", account_id=str(sale["account"]), business_type_id=str(sale["type"]),
                             amount="1000"), container.engine.clock.now()).id for n in range(2)]
        uow.commit()
    first = created[0]
    for step in ("advance", "close", "reopen", "advance"):  # discover → analysis → lost → analysis → quotation
        clock.advance(days=2)
        with container.uow() as uow:
            if step == "advance":
                service.advance(uow.session, container.engine, rep, first, {"need": "AGVs"}, [])
            elif step == "close":
                service.close(uow.session, container.engine, rep, first, "lost", "Budget cut")
            else:
                service.reopen(uow.session, container.engine, rep, first)
            uow.commit()
    ids = {"sale": sale["type"]}
    found = run_conversion(container, rep, ids)
    assert flows(found)["discover"] == (2, 1, 0, 0, 1) and flows(found)["analysis"] == (1, 1, 0, 0, 0)
    assert flows(found)["quotation"] == (1, 0, 0, 0, 1)
    assert [(s.stays, s.median_days) for s in found.stages[:2]] == [(1, 2.0), (2, 2.0)]
    with container.session_factory() as session:
        assert session.get(Opportunity, first).stage == "quotation"
    assert figures(run_funnel(container, rep, ids))["quotation"] == (1, "1000.00", "400.00")
    kept = summary(container)
    summarise(container)
    assert summary(container) == kept


def summary(container: Container) -> list[tuple]:
    with container.session_factory() as session:
        return [(s.id, s.opportunity_id, s.stage, s.entered_at, s.first_entry, s.seconds, s.reached)
                for s in session.scalars(select(PipelineStay).order_by(PipelineStay.id))]
