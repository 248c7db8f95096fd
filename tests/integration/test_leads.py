"""Leads on SQLite and PostgreSQL: captured with every field checked, seen by whoever sees
their owner (or, in a pool, by its members), claimed from the pool within its limits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

import bootstrap
from bootstrap import Container
from core.errors import Conflict, NotFound, PermissionDenied
from tests.deals import standard_sale
from tests.usecases import refused, run
from workflows.accounts.models import Account, Contact
from workflows.activities.service import ActivityInput, activities_of, log_activity
from workflows.dedupe import load_default_rules, refresh_match_columns
from workflows.leads import conversion, intake, pools, service
from workflows.leads.demo import load_demo_leads
from workflows.leads.lists import LeadFilter, list_leads
from workflows.leads.models import Lead, Pool, PoolMember
from workflows.leads.service import LeadInput
from workflows.opportunities.models import Opportunity


@pytest.fixture
def shanghai_pool(container: Container, clock, demo) -> int:
    """A pool whose members are zhang.wei and wang.fang, with small limits."""
    with container.uow() as uow:
        pool = Pool(name="Shanghai pool", max_claims_per_day=2, max_held=3, reclaim_after_days=30,
                    created_at=clock.now())
        uow.session.add(pool)
        uow.session.flush()
        uow.session.add_all([PoolMember(pool_id=pool.id, user_id=demo[name]) for name in ("zhang.wei", "wang.fang")])
        uow.commit()
        return pool.id


def pooled(container: Container, pool_id: int, name: str = "周立群", phone: str = "13901770011") -> Lead:
    return run(container, service.create_lead, None, LeadInput(name, "上海申达仓储有限公司", phone=phone),
               container.engine.clock.now(), None, pool_id)


def test_a_lead_is_checked_field_by_field_and_kept_with_its_match_columns(container, as_, clock):
    rep = as_("zhang.wei")
    problems = refused(container, service.create_lead, rep, LeadInput("", phone="12345", email="nope",
                                                                      source="fax", rating="lukewarm"), clock.now())
    assert set(problems) == {"name", "phone", "email", "source", "rating"}
    assert refused(container, service.create_lead, rep, LeadInput("刘建华"), clock.now()) == {
        "phone": "give a phone number, an email or a company to reach the lead by"}
    lead = run(container, service.create_lead, rep, LeadInput(
        "劉建華", "上海锦程物流有限公司", phone="+86 138-1661-2345", email="Liu@Example.com"), clock.now())
    assert (lead.owner, lead.status, lead.phone_e164, lead.email) == (
        "zhang.wei", "new", "+8613816612345", "liu@example.com")
    assert lead.match_name == "刘建华" and "有限公司" not in lead.match_company
    with container.session_factory() as session:
        assert session.scalar(select(Lead.id).where(Lead.name == "")) is None  # nothing half-saved


def test_a_lead_is_seen_by_its_owner_and_their_managers_only(container, as_, clock):
    lead = run(container, service.create_lead, as_("zhang.wei"), LeadInput("刘建华", phone="13816612345"),
               clock.now())
    for who in ("zhang.wei", "liu.yang", "chen.hao", "admin"):
        viewer = as_(who)
        with container.session_factory() as session:
            assert service.get_lead(session, viewer, lead.id).id == lead.id
    for who in ("wang.fang", "sun.li", "zhou.min"):
        viewer = as_(who)
        with pytest.raises(NotFound), container.session_factory() as session:
            service.get_lead(session, viewer, lead.id)


def test_pool_members_claim_a_lead_once_and_outsiders_never_see_it(container, as_, shanghai_pool, clock):
    lead = pooled(container, shanghai_pool)
    member, outsider = as_("wang.fang"), as_("sun.li")
    with container.session_factory() as session:
        assert [x.id for x in list_leads(session, member, LeadFilter("pool"), clock.now())[0]] == [lead.id]
        assert list_leads(session, outsider, LeadFilter("pool"), clock.now())[0] == []
    with pytest.raises(NotFound):
        run(container, pools.claim_lead, as_("sun.li"), lead.id, clock.now())
    claimed = run(container, pools.claim_lead, as_("wang.fang"), lead.id, clock.now())
    # Its pool is where it goes back to if wang.fang gives it up or stops following it up.
    assert (claimed.owner, claimed.pool_id, claimed.status) == ("wang.fang", shanghai_pool, "working")
    with pytest.raises(NotFound):  # out of the pool, it is wang.fang's: zhang.wei no longer sees it
        run(container, pools.claim_lead, as_("zhang.wei"), lead.id, clock.now())


def test_claims_respect_the_daily_and_held_limits(container, as_, shanghai_pool, clock):
    rep = as_("zhang.wei")
    leads = [pooled(container, shanghai_pool, f"客户{n}", f"1390177001{n}") for n in range(5)]
    run(container, pools.claim_lead, rep, leads[0].id, clock.now())
    run(container, pools.claim_lead, rep, leads[1].id, clock.now())
    with pytest.raises(PermissionDenied, match="last 24 hours"):
        run(container, pools.claim_lead, rep, leads[2].id, clock.now())
    clock.advance(hours=25)
    run(container, pools.claim_lead, rep, leads[2].id, clock.now())
    clock.advance(hours=25)
    with pytest.raises(PermissionDenied, match="already hold 3 leads"):
        run(container, pools.claim_lead, rep, leads[3].id, clock.now())


def test_a_former_owner_waits_before_taking_back_a_lead_they_gave_up(container, as_, shanghai_pool, clock):
    rep = as_("zhang.wei")
    lead = pooled(container, shanghai_pool)
    run(container, pools.claim_lead, rep, lead.id, clock.now())
    released = run(container, pools.release_lead, rep, lead.id, shanghai_pool, clock.now())
    assert (released.owner, released.former_owner, released.status) == (None, "zhang.wei", "pooled")
    with pytest.raises(Conflict):
        run(container, pools.release_lead, rep, lead.id, shanghai_pool, clock.now())
    with container.uow() as uow:  # a pool zhang.wei is no member of, and the lead not from it
        other = Pool(name="杭州公海", created_at=clock.now())
        uow.session.add(other)
        uow.commit()
        other_id = other.id
    mine = run(container, service.create_lead, rep, LeadInput("王五", phone="13901770077"), clock.now())
    with pytest.raises(NotFound):  # a crafted form cannot drop it into another branch's pool
        run(container, pools.release_lead, rep, mine.id, other_id, clock.now())
    clock.advance(days=29)
    with pytest.raises(PermissionDenied, match="you may claim it again from"):
        run(container, pools.claim_lead, rep, lead.id, clock.now())
    run(container, pools.claim_lead, as_("wang.fang"), lead.id, clock.now())  # anyone else may


def test_the_demo_pools_and_leads_load_once(container, clock, demo):
    for _ in range(2):
        with container.uow() as uow:
            load_demo_leads(uow.session, clock.now())
            uow.commit()
    with container.session_factory() as session:
        assert session.scalar(select(Pool.id).where(Pool.name.contains("Shanghai"))) is not None
        leads = session.scalars(select(Lead)).all()
    assert len(leads) == 6 and sum(lead.owner is None for lead in leads) == 3


def test_arriving_leads_are_shared_round_robin_in_the_team_the_table_names(container, as_, shanghai_pool, clock):
    bootstrap.deploy_shipped(container)
    owners = []
    for number in range(4):
        clock.advance(minutes=1)
        lead = run(container, intake.receive_lead, container.engine,
                   LeadInput(f"客户{number}", phone=f"1390177002{number}", region="上海", source="website"),
                   shanghai_pool, clock.now())
        owners.append(lead.owner)
    team_1 = {"zhang.wei", "li.na", "wang.fang"}
    assert set(owners[:3]) == team_1 and owners[3] == owners[0]  # each once, then round again

    faraway = run(container, intake.receive_lead, container.engine,
                  LeadInput("王五", phone="13901770099", region="北京", source="website"), shanghai_pool, clock.now())
    assert (faraway.owner, faraway.pool_id, faraway.status) == (None, shanghai_pool, "pooled")


def test_least_loaded_gives_the_lead_to_the_rep_holding_fewest(container, as_, shanghai_pool, clock):
    bootstrap.deploy_shipped(container)
    busy = as_("zhao.qiang")  # team 2 has zhao.qiang and wu.jing
    for number in range(2):
        run(container, service.create_lead, busy, LeadInput(f"老客户{number}", phone=f"1390177003{number}"),
            clock.now())
    big = run(container, intake.receive_lead, container.engine,
              LeadInput("大客户", phone="13901770040", size="1000+", source="website"), shanghai_pool, clock.now())
    assert big.owner == "wu.jing"


def test_a_converted_lead_becomes_an_account_a_contact_and_a_running_opportunity(container, as_, clock):
    sale = standard_sale(container)
    rep = as_("wang.fang")
    lead = run(container, service.create_lead, rep, LeadInput("Emily Zhou", "Suzhou Parts", "Plant manager",
                                                              "13962150001", source="event"), clock.now())
    run(container, log_activity, rep, "lead", lead.id, ActivityInput("visit", outcome="Saw the plant"),
        "Asia/Shanghai", clock.now())
    done = run(container, conversion.convert_lead, container.engine, rep, lead.id, conversion.ConversionInput(
        business_type_id=str(sale["type"]), amount="80000"), clock.now())
    assert done.status == "converted" and done.converted_at == clock.now()
    with container.session_factory() as session:
        account = session.get_one(Account, done.account_id)
        contact = session.get_one(Contact, done.contact_id)
        deal = session.get_one(Opportunity, done.opportunity_id)
    assert (account.name, account.owner, contact.name, contact.account_id) == (
        "Suzhou Parts", "wang.fang", "Emily Zhou", account.id)
    assert (deal.amount, deal.source, deal.stage) == (Decimal("80000.00"), "event", "discover")
    with container.session_factory() as session:  # its history went along to the account
        assert [a.outcome for a in activities_of(session, rep, "account", account.id)] == ["Saw the plant"]
        assert activities_of(session, rep, "lead", lead.id) == []
    with pytest.raises(Conflict):
        run(container, conversion.convert_lead, container.engine, rep, lead.id, conversion.ConversionInput(),
            clock.now())


def test_a_lead_from_an_existing_customer_joins_that_account(container, as_, clock):
    sale = standard_sale(container)  # ACME, wang.fang's account
    with container.uow() as uow:
        load_default_rules(uow.session)
        refresh_match_columns(uow.session.get_one(Account, sale["account"]))
        uow.commit()
    rep = as_("wang.fang")
    lead = run(container, service.create_lead, rep, LeadInput("Bob", "ACME Ltd.", phone="13962150002"),
               clock.now())
    with container.session_factory() as session:
        [match] = conversion.matching_accounts(session, rep, lead.id)
    assert match.record_id == sale["account"]
    done = run(container, conversion.convert_lead, container.engine, rep, lead.id,
               conversion.ConversionInput(account_id=str(sale["account"])), clock.now())
    assert (done.account_id, done.opportunity_id) == (sale["account"], None)
    with pytest.raises(NotFound):  # another team's account cannot be joined by changing the id
        other = run(container, service.create_lead, as_("sun.li"), LeadInput("Eve", phone="13962150003"),
                    clock.now())
        run(container, conversion.convert_lead, container.engine, as_("sun.li"), other.id,
            conversion.ConversionInput(account_id=str(sale["account"])), clock.now())
