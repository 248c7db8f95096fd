"""Merging duplicate accounts, contacts and leads: the picked values win, every related row
moves to the survivor, the others disappear, and undo puts back exactly what was there."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, select

import bootstrap
from core.db import Base
from core.errors import Conflict, NotFound
from engine import HumanTask, ProcessInstance
from tests import diagrams
from tests.contracts import new_contract
from tests.deals import add_deal
from tests.usecases import refused, run
from workflows.accounts.contacts import ContactInput, create_contact
from workflows.accounts.models import Account, Contact
from workflows.accounts.service import AccountInput, create_account
from workflows.activities.models import Activity
from workflows.activities.service import ActivityInput, log_activity
from workflows.audit import AuditEvent
from workflows.contracts.models import Contract
from workflows.dedupe import find_duplicates, load_default_rules
from workflows.leads.capture_models import ImportJob, ImportRow
from workflows.leads.demo import load_demo_leads
from workflows.leads.models import Lead, PoolClaim
from workflows.leads.service import LeadInput, create_lead
from workflows.merge.models import RecordMerge
from workflows.merge.service import MergeInput, list_merges, merge_candidates, merge_records
from workflows.merge.undo import undo_merge
from workflows.opportunities.models import BusinessType, Opportunity
from workflows.opportunities.service import OpportunityInput, create_opportunity

ZONE = "Asia/Shanghai"
CRM_TABLES = ("account", "contact", "opportunity", "contract", "activity", "lead", "lead_pool_claim",
              "lead_import_row", "process_instance", "human_task")


def dump(container) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a merge touches, in primary-key order: what undo must give back."""
    with container.session_factory() as session:
        tables = {name: Base.metadata.tables[name] for name in CRM_TABLES}
        return {name: [tuple(row) for row in session.execute(
            select(table).order_by(*table.primary_key.columns))] for name, table in tables.items()}


def account(container, viewer, name: str, **fields: str) -> int:
    return run(container, create_account, viewer, AccountInput(name=name, **fields), container.engine.clock.now()).id


def contact(container, viewer, account_id: int, name: str, **fields: str) -> int:
    return run(container, create_contact, viewer, ContactInput(str(account_id), name, **fields),
               container.engine.clock.now()).id


def activity(container, viewer, subject: str, subject_id: int, outcome: str) -> int:
    return run(container, log_activity, viewer, subject, subject_id, ActivityInput("call", outcome=outcome), ZONE,
               container.engine.clock.now()).id


def merge(container, viewer, records: list[str], master: int, **values: int) -> RecordMerge:
    data = MergeInput(records, str(master), {name: str(pick) for name, pick in values.items()})
    return run(container, merge_records, container.engine, viewer, data, container.engine.clock.now())


def problems(container, viewer, records: list[str], master: Any, **values: Any) -> dict[str, str]:
    """The field problems of a merge that must be refused."""
    data = MergeInput(records, str(master), {name: str(pick) for name, pick in values.items()})
    return refused(container, merge_records, container.engine, viewer, data, container.engine.clock.now())


def undo(container, viewer, merge_id: int) -> RecordMerge:
    return run(container, undo_merge, viewer, merge_id, container.engine.clock.now())


@pytest.fixture
def acme_three(container, deployed, as_, clock) -> dict[str, int]:
    """ACME (wang.fang) with a deal; "ACME Ltd." (wang.fang) with a contact, a running deal, a
    contract, a call, a subsidiary and a converted lead's link; "ACME Co" (zhang.wei, a
    subsidiary of ACME) with a contact. liu.yang manages both reps."""
    rep, colleague = as_("wang.fang"), as_("zhang.wei")
    with container.uow() as uow:
        load_default_rules(uow.session)
        uow.commit()
    acme = deployed["acme"]
    ltd = account(container, rep, "ACME Ltd.", phone="13800138000", region="上海")
    co = account(container, as_("liu.yang"), "ACME Co", industry="Robotics", parent_id=str(acme),
                 owner="zhang.wei")
    suzhou = account(container, rep, "ACME Suzhou", parent_id=str(ltd))
    kind = run(container, lambda session: session.scalars(select(BusinessType.id)).first())
    deal = run(container, create_opportunity, container.engine, rep, OpportunityInput(
        name="Ten AGVs", account_id=str(ltd), business_type_id=str(kind), amount="50000"), clock.now()).id
    contract = new_contract(container, rep, deployed, account_id=str(ltd)).id
    lead = run(container, create_lead, rep, LeadInput("刘建华", company="ACME Ltd.", phone="13816612345"),
               clock.now()).id
    with container.uow() as uow:
        uow.session.get_one(Lead, lead).account_id = ltd
        uow.commit()
    clock.advance(minutes=5)
    contact(container, rep, ltd, "Li Lei")
    contact(container, colleague, co, "Han Meimei")
    return {"acme": acme, "ltd": ltd, "co": co, "suzhou": suzhou, "deal": deal, "contract": contract, "lead": lead,
            "call": activity(container, rep, "account", ltd, "Asked for a quote")}


def test_merging_accounts_moves_every_related_row_and_undo_restores_them_exactly(container, as_, acme_three):
    a = acme_three
    manager = as_("liu.yang")
    before = dump(container)

    done = merge(container, manager, [f"account:{a['acme']}", f"account:{a['ltd']}", f"account:{a['co']}"],
                 a["acme"], phone=a["ltd"], region=a["ltd"], industry=a["co"], owner=a["co"])

    with container.session_factory() as session:
        survivor = session.get_one(Account, a["acme"])
        assert (survivor.name, survivor.phone, survivor.region, survivor.industry, survivor.owner) == (
            "ACME", "13800138000", "上海", "Robotics", "zhang.wei")
        assert survivor.phone_e164 == "+8613800138000"  # the match columns follow the picked values
        assert session.get(Account, a["ltd"]) is None and session.get(Account, a["co"]) is None
        assert survivor.parent_id is None  # its own subsidiary merged in cannot stay its parent
        assert session.get_one(Account, a["suzhou"]).parent_id == a["acme"]
        assert {c.account_id for c in session.scalars(select(Contact))} == {a["acme"]}
        assert {c.owner for c in session.scalars(select(Contact))} == {"zhang.wei"}  # contacts follow the owner
        assert {o.account_id for o in session.scalars(select(Opportunity))} == {a["acme"]}
        assert session.get_one(Opportunity, a["deal"]).owner == "wang.fang"  # deals keep their own owner
        assert session.scalars(select(HumanTask.business_key)).all() == [f"opportunity:{a['deal']}"]
        assert session.get_one(Lead, a["lead"]).account_id == a["acme"]
        assert session.get_one(Activity, a["call"]).subject_id == a["acme"]
        [audit] = session.scalars(select(AuditEvent)).all()
        assert (audit.action, audit.subject, audit.details["merged"]) == (
            "merge", f"account:{a['acme']}", [a["ltd"], a["co"]])
        assert session.get_one(Contract, a["contract"]).account_id == a["acme"]
        assert [d.record_id for d in find_duplicates(session, "account", {"name": "ACME Ltd."})] == [a["acme"]]
    assert done.survivor_id == a["acme"] and [loser.record_id for loser in done.losers] == [a["ltd"], a["co"]]

    undo(container, manager, done.id)
    assert dump(container) == before
    with container.session_factory() as session:
        assert [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))] == [
            "merge", "merge_undone"]


def test_a_parent_below_a_merged_account_is_refused_by_its_field(container, as_, clock):
    rep = as_("wang.fang")
    group = account(container, rep, "Huajin Group")
    plant = account(container, rep, "Huajin Plant", parent_id=str(group))
    office = account(container, rep, "Huajin Office", parent_id=str(plant))  # under the group, twice removed
    records = [f"account:{office}", f"account:{group}"]
    assert problems(container, rep, records, office) == {
        "parent_id": "cannot be a subsidiary of the accounts being merged"}
    with container.session_factory() as session:
        assert session.get(Account, group) is not None
    merge(container, rep, records, office, parent_id=group)  # the group's own parent: none
    with container.session_factory() as session:
        assert session.get_one(Account, office).parent_id is None
        assert session.get_one(Account, plant).parent_id == office


def test_merging_contacts_moves_their_deals_leads_and_calls_and_the_owner_follows_the_account(
        container, as_, world, clock):
    rep, colleague, manager = as_("wang.fang"), as_("zhang.wei"), as_("liu.yang")
    huajin = account(container, colleague, "Huajin")
    mine = contact(container, rep, world["acme"], "Li Lei", phone="13800138000")
    theirs = contact(container, colleague, huajin, "李雷", email="li.lei@huajin.example", birthday="1980-05-01")
    with container.uow() as uow:
        kind = uow.session.scalars(select(BusinessType.id)).one()
        deal = add_deal(uow.session, name="Cranes", account_id=huajin, contact_id=theirs, business_type_id=kind,
                        owner="zhang.wei", amount=Decimal("1000"), created_at=clock.now(), updated_at=clock.now())
        uow.commit()
    lead = run(container, create_lead, colleague, LeadInput("李雷", phone="13912345678"), clock.now()).id
    with container.uow() as uow:
        uow.session.get_one(Lead, lead).contact_id = theirs
        uow.commit()
    call = activity(container, colleague, "contact", theirs, "Met Li Lei")
    before = dump(container)

    done = merge(container, manager, [f"contact:{mine}", f"contact:{theirs}"], mine, account_id=theirs,
                 email=theirs)

    with container.session_factory() as session:
        survivor = session.get_one(Contact, mine)
        assert (survivor.account_id, survivor.owner, survivor.email, survivor.match_email, survivor.phone) == (
            huajin, "zhang.wei", "li.lei@huajin.example", "li.lei@huajin.example", "13800138000")
        assert survivor.birthday is not None  # empty on the master: the other's value is the default
        assert session.get(Contact, theirs) is None
        assert session.get_one(Opportunity, deal).contact_id == mine
        assert session.get_one(Lead, lead).contact_id == mine
        assert (session.get_one(Activity, call).subject_type, session.get_one(Activity, call).subject_id) == (
            "contact", mine)
    undo(container, manager, done.id)
    assert dump(container) == before


@pytest.fixture
def two_leads(container, as_, clock) -> dict[str, int]:
    """wang.fang's lead and the same person waiting in the Shanghai pool, claimed once before at
    the same moment as hers, with a running follow-up process about the pooled one."""
    with container.uow() as uow:
        load_demo_leads(uow.session, clock.now())
        uow.commit()
        leads = {name: lead_id for name, lead_id in uow.session.execute(select(Lead.name, Lead.id))}
        container.engine.deploy(uow.session, {"p.bpmn": diagrams.two_stages()}, "designer")
        uow.commit()
    owned, pooled = leads["Emily Zhou"], leads["周立群"]
    rep = as_("wang.fang")
    activity(container, rep, "lead", owned, "First call")
    claimed = clock.now() - timedelta(days=40)
    with container.uow() as uow:
        pool = uow.session.get_one(Lead, pooled).pool_id
        uow.session.add_all([PoolClaim(pool_id=pool, lead_id=owned, username="wang.fang", claimed_at=claimed),
                             PoolClaim(pool_id=pool, lead_id=pooled, username="li.na", claimed_at=claimed),
                             PoolClaim(pool_id=pool, lead_id=pooled, username="li.na",
                                       claimed_at=claimed + timedelta(days=1))])
        container.engine.start(uow.session, "p", f"lead:{pooled}", {"owner": "li.na", "title": "周立群"}, "li.na")
        job = ImportJob(created_by="li.na", filename="fair.csv", columns=["name"], mapping=["name"],
                        created_at=claimed, updated_at=claimed)
        uow.session.add(job)
        uow.session.flush()
        uow.session.add(ImportRow(job_id=job.id, number=1, cells=["周立群"], outcome="created", lead_id=pooled))
        uow.commit()
    clock.advance(hours=1)
    later = activity(container, as_("liu.yang"), "lead", pooled, "Called back from the pool")
    return {"owned": owned, "pooled": pooled, "call": later, "other_branch": leads["郑晓"]}


def test_merging_leads_moves_calls_claims_and_running_processes_and_undo_restores_them(
        container, as_, two_leads, clock):
    owned, pooled = two_leads["owned"], two_leads["pooled"]
    manager = as_("liu.yang")  # sees wang.fang's leads, and the Shanghai pool's as its member
    before = dump(container)

    done = merge(container, manager, [f"lead:{owned}", f"lead:{pooled}"], owned, phone=pooled)

    with container.session_factory() as session:
        survivor = session.get_one(Lead, owned)
        assert (survivor.owner, survivor.status) == ("wang.fang", "working")  # who has it goes whole
        assert (survivor.phone, survivor.phone_e164) == ("13901770011", "+8613901770011")
        assert survivor.last_contacted_at == session.get_one(Activity, two_leads["call"]).happened_at
        assert session.get(Lead, pooled) is None
        claims = session.scalars(select(PoolClaim).order_by(PoolClaim.claimed_at)).all()
        assert [(c.lead_id, c.username) for c in claims] == [(owned, "wang.fang"), (owned, "li.na")]
        assert session.get_one(Activity, two_leads["call"]).subject_id == owned
        assert session.scalars(select(ImportRow.lead_id)).all() == [owned]  # the row that brought it in
        instance = session.scalars(select(ProcessInstance)).one()
        task = session.scalars(select(HumanTask)).one()
        assert (instance.business_key, task.business_key, task.object_id) == (
            f"lead:{owned}", f"lead:{owned}", str(owned))
    undo(container, manager, done.id)
    assert dump(container) == before


def test_a_converted_lead_is_not_merged(container, as_, two_leads, clock):
    with container.uow() as uow:
        uow.session.get_one(Lead, two_leads["pooled"]).status = "converted"
        uow.commit()
    records = [f"lead:{two_leads['owned']}", f"lead:{two_leads['pooled']}"]
    found = problems(container, as_("liu.yang"), records, two_leads["owned"])
    assert list(found) == ["records"] and "converted" in found["records"]


@pytest.mark.parametrize(("records", "problem"), [
    (["account:{a}", "account:{a}"], "A record cannot be merged with itself"),
    (["account:{a}"], "Choose 2 or 3 records to merge"),
    (["account:{a}", "account:{b}", "account:{c}", "account:{d}"], "Choose 2 or 3 records to merge"),
    (["account:{a}", "lead:{b}"], "Records of different kinds cannot be merged"),
    (["account:{a}", "opportunity:{b}"], "Only accounts, contacts and leads can be merged"),
    (["account:{a}", "account:x"], "Only accounts, contacts and leads can be merged"),
])
def test_a_wrong_selection_is_said_clearly_and_nothing_changes(container, as_, clock, records, problem):
    rep = as_("wang.fang")
    ids = {key: account(container, rep, f"Account {key}") for key in "abcd"}
    chosen = [ref.format(**ids) for ref in records]
    assert problems(container, rep, chosen, ids["a"]) == {"records": problem}
    with container.session_factory() as session:
        assert len(session.scalars(select(Account)).all()) == 4


def test_a_bad_master_or_pick_is_named_by_its_field(container, as_, clock):
    rep = as_("wang.fang")
    a, b, c = (account(container, rep, name) for name in ("A", "B", "C"))
    records = [f"account:{a}", f"account:{b}"]
    assert list(problems(container, rep, records, c)) == ["master"]
    assert set(problems(container, rep, records, a, phone=c, name="x")) == {"phone", "name"}


def test_records_out_of_sight_do_not_exist(container, as_, two_leads, clock):
    rep, other_team = as_("wang.fang"), as_("sun.li")
    mine = account(container, rep, "ACME East")
    colleagues = account(container, as_("zhang.wei"), "ACME East Ltd.")
    hangzhou = account(container, other_team, "ACME Hangzhou")
    for records in ([f"account:{mine}", f"account:{colleagues}"], [f"account:{mine}", f"account:{hangzhou}"]):
        with pytest.raises(NotFound):
            merge(container, rep, records, mine)
    with pytest.raises(NotFound):  # a lead waiting in another branch's pool
        merge(container, rep, [f"lead:{two_leads['owned']}", f"lead:{two_leads['other_branch']}"], two_leads["owned"])
    with container.session_factory() as session:
        assert len(session.scalars(select(Account)).all()) == 3
        assert session.get(Lead, two_leads["other_branch"]) is not None


def test_undo_is_refused_once_it_cannot_be_done_safely(container, as_, clock):
    rep = as_("wang.fang")
    a, b, c, d = (account(container, rep, name) for name in ("A", "B", "C", "D"))
    first = merge(container, rep, [f"account:{a}", f"account:{b}"], a)
    second = merge(container, rep, [f"account:{a}", f"account:{c}"], a)
    with pytest.raises(Conflict, match=r"More was merged into A since \(merge \d+\)"):
        undo(container, rep, first.id)
    third = merge(container, rep, [f"account:{d}", f"account:{a}"], d)  # A itself goes now
    with pytest.raises(Conflict, match=r"A was merged into another record since"):
        undo(container, rep, second.id)
    undo(container, rep, third.id)
    undo(container, rep, second.id)
    undo(container, rep, first.id)
    with pytest.raises(Conflict, match="already undone"):
        undo(container, rep, first.id)
    with container.session_factory() as session:
        assert sorted(session.scalars(select(Account.name))) == ["A", "B", "C", "D"]

    gone = merge(container, rep, [f"account:{a}", f"account:{b}"], a)
    with container.uow() as uow:
        uow.session.execute(delete(Account).where(Account.id == a))
        uow.commit()
    with pytest.raises(Conflict, match="no longer exists"):
        undo(container, rep, gone.id)


def test_only_the_maker_or_an_admin_sees_and_undoes_a_merge(container, as_, clock):
    rep, manager, admin = as_("wang.fang"), as_("liu.yang"), as_("admin")
    a, b = (account(container, rep, name) for name in ("A", "B"))
    done = merge(container, rep, [f"account:{a}", f"account:{b}"], a)
    with container.session_factory() as session:
        assert list_merges(session, manager, "account") == ([], 0)  # her manager did not make it
        assert [m.id for m in list_merges(session, admin, "account")[0]] == [done.id]
        assert [m.id for m in list_merges(session, rep, "account")[0]] == [done.id]
        assert list_merges(session, rep, "lead") == ([], 0)
    with pytest.raises(NotFound):
        undo(container, manager, done.id)
    undo(container, admin, done.id)


def test_candidates_are_the_visible_duplicates_and_what_a_search_finds(container, as_, clock):
    with container.uow() as uow:
        load_default_rules(uow.session)
        uow.commit()
    rep = as_("wang.fang")
    jincheng = account(container, rep, "上海锦程物流有限公司")
    twin = account(container, rep, "上海锦程物流")
    hidden = account(container, as_("sun.li"), "上海锦程物流公司")
    other = account(container, rep, "Jincheng Logistics")
    with container.session_factory() as session:
        found = merge_candidates(session, rep, "account", jincheng, "jincheng")
        with pytest.raises(NotFound):
            merge_candidates(session, rep, "account", hidden)
    assert [(c.record.id, c.rule) for c in found.duplicates] == [(twin, "Similar name")]
    assert [c.record.id for c in found.found] == [other]


def test_the_merged_away_leads_follow_up_cycle_ends_and_the_survivor_gets_one_that_fits(container, as_, clock):
    bootstrap.deploy_shipped(container)
    rep = as_("wang.fang")
    first = run(container, create_lead, rep, LeadInput("Emily Zhou", phone="13962150001"), clock.now()).id
    second = run(container, create_lead, rep, LeadInput("Emily Z.", email="emily@example.com"), clock.now()).id
    bootstrap.follow_up_leads(container)

    def cycles() -> dict[str, str]:
        with container.session_factory() as session:
            return dict(session.execute(select(ProcessInstance.business_key, ProcessInstance.status).where(
                ProcessInstance.process_key == "lead_followup", ProcessInstance.status == "running")).all())

    assert cycles() == {f"lead:{first}": "running", f"lead:{second}": "running"}

    done = merge(container, rep, [f"lead:{first}", f"lead:{second}"], first, email=second)
    assert cycles() == {f"lead:{first}": "running"}  # the other's cycle ended, not moved over
    with container.session_factory() as session:
        assert session.get_one(Lead, first).followup_stale  # its cycle is redone by the next sweep
    bootstrap.follow_up_leads(container)
    assert cycles() == {f"lead:{first}": "running"}

    undo(container, rep, done.id)
    bootstrap.follow_up_leads(container)
    assert cycles() == {f"lead:{first}": "running", f"lead:{second}": "running"}
