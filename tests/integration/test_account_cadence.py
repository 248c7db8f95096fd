"""Accounts in the public pool and on the follow-up cadence, on SQLite and PostgreSQL, with the
clock moved through weeks of it: a follow-up task at the category's frequency, contacts (on
the account or one of its people) resetting the clock, the warning, the recycling to the pool
with the contacts, another member's claim within the pool's limits, a catch-up after an
outage that tells each person once, and who may see or claim what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

import bootstrap
from bootstrap import Container
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.models import HistoryEvent, HumanTask, ProcessInstance
from notifications.models import Notification
from tests.cadence import follow_ups as open_follow_ups
from tests.cadence import team_pool, tick, told
from tests.usecases import run
from workflows import handover
from workflows.accounts import cadence, pools
from workflows.accounts.contacts import ContactInput, create_contact, get_contact
from workflows.accounts.models import Account, Contact
from workflows.accounts.service import (
    AccountFilter,
    AccountInput,
    create_account,
    get_account,
    list_accounts,
    update_account,
)
from workflows.activities.service import ActivityInput, log_activity
from workflows.dedupe import DuplicateBlocked, DuplicateRule, load_default_rules
from workflows.keys import ACCOUNT, business_key
from workflows.leads import conversion
from workflows.leads import pools as lead_pools
from workflows.leads import service as leads
from workflows.leads.follow_up_status import no_contact_band
from workflows.leads.models import Pool, PoolClaim
from workflows.leads.waiting import waiting_in
from workflows.merge.service import MergeInput, merge_records
from workflows.merge.undo import undo_merge


@pytest.fixture
def pool(container: Container, clock, demo) -> int:
    """Team 1's pool: accounts go back after 30 days without contact, with a warning 3 days before."""
    return team_pool(container, demo, "account_followup.bpmn", reclaim_after_days=10)


def new_account(container: Container, as_, name: str = "华锦汽车零部件集团", category: str = "ordinary",
                owner: str = "zhang.wei", **fields: str) -> int:
    return run(container, create_account, as_(owner), AccountInput(name, category=category, **fields),
               container.engine.clock.now()).id


def new_contact(container: Container, as_, account_id: int, owner: str = "zhang.wei") -> int:
    return run(container, create_contact, as_(owner), ContactInput(str(account_id), "周建华", phone="13916204471"),
               container.engine.clock.now()).id


def row(container: Container, account_id: int) -> Account:
    with container.session_factory() as session:
        return session.get_one(Account, account_id)


def follow_ups(container: Container, account_id: int) -> list[HumanTask]:
    return open_follow_ups(container, business_key(ACCOUNT, account_id))


def log(container: Container, as_, subject: str, subject_id: int, kind: str, by: str = "zhang.wei") -> None:
    """Log an activity the way the page does: the customer's follow-up is redone at once."""
    now = container.engine.clock.now()
    with container.uow() as uow:
        log_activity(uow.session, as_(by), subject, subject_id, ActivityInput(kind, outcome="Talked"),
                     "Asia/Shanghai", now)
        cadence.follow_up_customer(uow.session, container.engine, subject, subject_id, now)
        uow.commit()


@pytest.mark.parametrize(("category", "days"), [("strategic", 7), ("vip", 10), ("ordinary", 15)])
def test_an_owned_account_is_followed_up_at_its_categorys_frequency(container, as_, pool, clock, category, days):
    account_id = new_account(container, as_, category=category)
    tick(container)
    account = row(container, account_id)
    assert account.followup_instance_id is not None and account.pool_id == pool  # its owner's pool
    assert (account.followup_since, account.recycle_at) == (clock.now(), clock.now() + timedelta(days=30))
    clock.advance(days=days, hours=-1)
    tick(container)
    assert follow_ups(container, account_id) == []
    clock.advance(hours=1, seconds=1)
    tick(container)
    [task] = follow_ups(container, account_id)
    assert (task.assignee, task.title) == ("zhang.wei", "华锦汽车零部件集团")


@pytest.mark.parametrize("subject", ["account", "contact"])
def test_a_call_with_the_account_or_one_of_its_people_resets_the_clock(container, as_, pool, clock, subject):
    account_id = new_account(container, as_, category="strategic")
    contact_id = new_contact(container, as_, account_id)
    tick(container)
    first = row(container, account_id).followup_instance_id
    clock.advance(days=8)
    tick(container)
    assert len(follow_ups(container, account_id)) == 1

    log(container, as_, subject, account_id if subject == "account" else contact_id, "visit")
    account = row(container, account_id)
    assert account.last_contacted_at == clock.now() and follow_ups(container, account_id) == []
    assert account.followup_instance_id != first and account.recycle_at == clock.now() + timedelta(days=30)
    with container.session_factory() as session:
        assert session.get_one(ProcessInstance, first).status == "completed"
        ended = session.scalars(select(HistoryEvent.name).where(
            HistoryEvent.instance_id == first, HistoryEvent.event == "element_completed")).all()
    assert "Contact made" in ended  # ended by its contact_logged message, not cancelled


def test_an_email_or_a_note_is_no_contact(container, as_, pool, clock):
    account_id = new_account(container, as_)
    contact_id = new_contact(container, as_, account_id)
    tick(container)
    before = row(container, account_id)
    for subject, subject_id, kind in (("account", account_id, "email"), ("contact", contact_id, "note")):
        clock.advance(days=1)
        log(container, as_, subject, subject_id, kind)
        tick(container)
        after = row(container, account_id)
        assert (after.followup_instance_id, after.recycle_at) == (before.followup_instance_id, before.recycle_at)
        assert after.last_contacted_at is None


def test_a_follow_up_that_reached_the_customer_is_logged_on_the_account(container, as_, pool, clock):
    account_id = new_account(container, as_, category="strategic")
    tick(container)
    clock.advance(days=7, seconds=1)
    tick(container)
    [task] = follow_ups(container, account_id)
    with container.uow() as uow:
        container.engine.complete(uow.session, task.id, {"result": "meeting", "outcome": "Annual review"},
                                  "zhang.wei")
        uow.commit()
    tick(container)
    account = row(container, account_id)
    assert account.last_contacted_at == clock.now() and account.recycle_at == clock.now() + timedelta(days=30)
    owner = as_("zhang.wei")
    with container.session_factory() as session:
        assert get_account(session, owner, account_id).followup_instance_id is not None


def test_unreached_the_owner_is_warned_then_the_account_and_its_people_go_back_and_another_claims_it(
        container, as_, pool, clock):
    account_id = new_account(container, as_, category="vip")
    contact_id = new_contact(container, as_, account_id)
    tick(container)
    clock.advance(days=27, seconds=1)
    tick(container)
    assert len(told(container, "zhang.wei")) == 1 and row(container, account_id).owner == "zhang.wei"

    clock.advance(days=3)
    tick(container)
    account = row(container, account_id)
    assert (account.owner, account.former_owner, account.pool_id) == (None, "zhang.wei", pool)
    assert account.followup_instance_id is None and account.recycle_at is None
    assert follow_ups(container, account_id) == []  # the day-10 and day-20 follow-ups went with it
    assert len(told(container, "zhang.wei")) == 2 and len(told(container, "liu.yang")) == 1  # and the manager
    outsider, member = as_("sun.li"), as_("li.na")
    with container.session_factory() as session:
        assert session.get_one(Contact, contact_id).owner is None
        with pytest.raises(NotFound):  # an outsider does not see its people...
            get_contact(session, outsider, contact_id)
        assert get_contact(session, member, contact_id).id == contact_id  # ...the pool's members do
        waiting = waiting_in(session, member, pool)
    assert [a.id for a in waiting.accounts] == [account_id] and waiting.account_total == 1

    with pytest.raises(PermissionDenied, match="you may claim it again from"):
        run(container, pools.claim_account, as_("zhang.wei"), account_id, clock.now())
    claimed = run(container, pools.claim_account, as_("li.na"), account_id, clock.now())
    assert claimed.owner == "li.na"
    with container.session_factory() as session:
        assert session.get_one(Contact, contact_id).owner == "li.na"
    tick(container)
    assert row(container, account_id).recycle_at == clock.now() + timedelta(days=30)
    with pytest.raises(NotFound):  # li.na's now: another rep does not see it
        run(container, pools.claim_account, as_("wang.fang"), account_id, clock.now())


def test_after_an_outage_the_catch_up_warns_once_and_recycles_once(container, as_, pool, clock):
    account_id = new_account(container, as_, category="strategic")
    tick(container)
    clock.advance(days=45)  # the scheduler was down for six weeks
    tick(container)
    tick(container)
    assert len(told(container, "zhang.wei")) == 2  # one warning, one "went back"
    assert len(told(container, "liu.yang")) == 1
    assert row(container, account_id).owner is None
    with container.session_factory() as session:
        recycled = session.scalar(select(func.count()).select_from(HistoryEvent).where(
            HistoryEvent.business_key == business_key(ACCOUNT, account_id), HistoryEvent.bpmn_id == "recycle_account",
            HistoryEvent.event == "element_completed"))
    assert recycled == 1


def released(container: Container, as_, names: list[str], pool: int, owner: str = "zhang.wei") -> list[int]:
    ids = [new_account(container, as_, name, owner=owner) for name in names]
    for account_id in ids:
        run(container, pools.release_account, as_(owner), account_id, pool, container.engine.clock.now())
    return ids


def test_claims_keep_the_pools_limits_with_leads_and_accounts_counted_as_documented(container, as_, pool, clock):
    with container.uow() as uow:
        limits = uow.session.get_one(Pool, pool)
        limits.max_claims_per_day, limits.max_held = 2, 2
        uow.commit()
    first, second, third = released(container, as_, ["甲公司", "乙公司", "丙公司"], pool)
    lead = run(container, leads.create_lead, None, leads.LeadInput("王芳", "宁波港联", phone="13901770099"),
               clock.now(), None, pool).id
    rep = as_("li.na")
    run(container, pools.claim_account, rep, first, clock.now())
    run(container, lead_pools.claim_lead, rep, lead, clock.now())  # a lead's claim counts the same
    with pytest.raises(PermissionDenied, match="claimed 2 leads and accounts in the last 24 hours"):
        run(container, pools.claim_account, rep, second, clock.now())
    clock.advance(hours=24, seconds=1)
    run(container, pools.claim_account, rep, second, clock.now())
    # li.na holds two accounts (and a lead, counted apart): the pool's max_held of accounts.
    with pytest.raises(PermissionDenied, match="already hold 2 accounts"):
        run(container, pools.claim_account, rep, third, clock.now())
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(PoolClaim).where(
            PoolClaim.account_id.is_not(None))) == 2
    assert row(container, third).owner is None  # a refused claim changes nothing


def test_a_rep_out_of_the_pool_neither_sees_nor_claims_its_accounts(container, as_, pool, clock):
    [waiting] = released(container, as_, ["之江快运有限公司"], pool)
    outsider = as_("sun.li")  # Hangzhou, not a member
    with container.session_factory() as session:
        with pytest.raises(NotFound, match="This account does not exist"):
            get_account(session, outsider, waiting)
        assert list_accounts(session, outsider, AccountFilter(scope="pool"))[1] == 0
        with pytest.raises(NotFound, match="This pool does not exist"):
            waiting_in(session, outsider, pool)
    with pytest.raises(NotFound, match="This account does not exist"):
        run(container, pools.claim_account, outsider, waiting, clock.now())
    with pytest.raises(NotFound, match="This account does not exist"):
        run(container, pools.release_account, outsider, waiting, pool, clock.now())
    # Nor may a member edit themselves into its owner instead of claiming it.
    with pytest.raises(InvalidInput) as refused:
        run(container, update_account, as_("li.na"), waiting, AccountInput("之江快运有限公司", owner="li.na"),
            clock.now())
    assert "claim it" in refused.value.fields["owner"]
    assert row(container, waiting).owner is None


def test_a_blocking_duplicate_owned_by_another_rep_refuses_the_claim(container, as_, pool, clock):
    with container.uow() as uow:
        load_default_rules(uow.session)
        uow.session.execute(update(DuplicateRule).where(DuplicateRule.object == "account").values(action="block"))
        uow.commit()
    theirs = new_account(container, as_, "上海锦程物流有限公司", owner="wang.fang")
    [waiting] = released(container, as_, ["上海锦程物流"], pool, owner="zhang.wei")
    with pytest.raises(DuplicateBlocked) as blocked:
        run(container, pools.claim_account, as_("li.na"), waiting, clock.now())
    assert blocked.value.duplicate.record_id == theirs
    noted: list = []
    claimed = run(container, pools.claim_account, as_("wang.fang"), waiting, clock.now(), noted)
    assert claimed.owner == "wang.fang" and [d.record_id for d in noted] == [theirs]


def test_an_owner_or_their_manager_releases_an_account_and_its_cycle_ends(container, as_, pool, clock):
    account_id = new_account(container, as_)
    tick(container)
    cycle = row(container, account_id).followup_instance_id
    with pytest.raises(NotFound):  # a colleague sees neither it nor a way to give it away
        run(container, pools.release_account, as_("li.na"), account_id, pool, clock.now())
    run(container, pools.release_account, as_("liu.yang"), account_id, pool, clock.now())
    with pytest.raises(NotFound):  # in the pool now, out of the manager's sight (not a member)
        run(container, pools.release_account, as_("liu.yang"), account_id, pool, clock.now())
    with pytest.raises(Conflict, match="already in a pool"):
        run(container, pools.release_account, as_("zhang.wei"), account_id, pool, clock.now())
    tick(container)
    with container.session_factory() as session:
        assert session.get_one(ProcessInstance, cycle).status == "cancelled"
    assert row(container, account_id).former_owner == "zhang.wei"


def test_accounts_are_flagged_by_days_without_contact_and_listed_before_they_go_back(container, as_, pool, clock):
    start = clock.now()
    for days_ago, name in ((61, "六十一天"), (31, "三十一天"), (16, "十六天"), (8, "八天"), (2, "两天")):
        clock.set(start - timedelta(days=days_ago))
        new_account(container, as_, name)
    clock.set(start)
    with container.uow() as uow:  # a pool that keeps accounts 65 days: the oldest goes back in 4
        uow.session.get_one(Pool, pool).recycle_after_days = 65
        uow.commit()
    bootstrap.follow_up_leads(container)
    rep, manager, outsider = as_("zhang.wei"), as_("liu.yang"), as_("sun.li")
    with container.session_factory() as session:
        assert cadence.no_contact_counts(session, rep, start) == {7: 4, 15: 3, 30: 2, 60: 1}
        assert cadence.no_contact_counts(session, manager, start) == {7: 4, 15: 3, 30: 2, 60: 1}
        assert cadence.no_contact_counts(session, outsider, start) == {7: 0, 15: 0, 30: 0, 60: 0}
        listed, total = list_accounts(session, rep, AccountFilter(no_contact=15), now=start)
        assert [a.name for a in listed] == ["六十一天", "三十一天", "十六天"] and total == 3
        assert no_contact_band(listed[0].followup_since, start) == 60
        soon, total = cadence.recycling_between(session, manager, start, start + timedelta(days=7))
        assert [r.record.name for r in soon] == ["六十一天"] and soon[0].pool_name == "上海公海" and total == 1
        assert cadence.recycling_between(session, outsider, start, start + timedelta(days=7))[1] == 0


def test_a_handover_gives_the_successor_a_fresh_cycle(container, as_, pool, clock):
    account_id = new_account(container, as_)
    tick(container)
    old = row(container, account_id).followup_instance_id
    clock.advance(days=20)
    leaver, successor = (as_(name).user_id for name in ("zhang.wei", "li.na"))
    run(container, handover.hand_over, container.engine, as_("admin"), str(leaver), str(successor), "", clock.now())
    tick(container)
    account = row(container, account_id)
    assert account.owner == "li.na" and account.followup_instance_id != old
    assert account.recycle_at == clock.now() + timedelta(days=30)  # counted from the handover
    clock.advance(days=15, seconds=1)
    tick(container)
    assert [t.assignee for t in follow_ups(container, account_id)] == ["li.na"]


def test_merging_accounts_ends_the_loser_cycle_and_redoes_the_survivors(container, as_, pool, clock):
    rep = as_("zhang.wei")
    keep, lose = new_account(container, as_, "锦程物流"), new_account(container, as_, "锦程物流公司")
    tick(container)
    clock.advance(days=3)
    log(container, as_, "account", lose, "call")

    def cycles() -> set[str]:
        with container.session_factory() as session:
            return set(session.scalars(select(ProcessInstance.business_key).where(
                ProcessInstance.process_key == "account_followup", ProcessInstance.status == "running")))

    done = run(container, merge_records, container.engine, rep, MergeInput(
        [f"account:{keep}", f"account:{lose}"], str(keep)), clock.now())
    tick(container)
    assert cycles() == {f"account:{keep}"}
    survivor = row(container, keep)  # the loser's call is the merged account's last contact
    assert survivor.last_contacted_at == clock.now() and survivor.recycle_at == clock.now() + timedelta(days=30)
    run(container, undo_merge, rep, done.id, clock.now())
    tick(container)
    assert cycles() == {f"account:{keep}", f"account:{lose}"}


def test_a_lead_is_not_converted_into_an_account_waiting_in_a_pool(container, as_, pool, clock):
    [waiting] = released(container, as_, ["上海申达仓储有限公司"], pool)
    lead = run(container, leads.create_lead, as_("li.na"), leads.LeadInput("周立群", "上海申达仓储有限公司",
                                                                          phone="13901770011"), clock.now())
    with pytest.raises(InvalidInput) as refused:
        run(container, conversion.convert_lead, container.engine, as_("li.na"), lead.id,
            conversion.ConversionInput(account_id=str(waiting)), clock.now())
    assert "claim it first" in refused.value.fields["account_id"]


def test_without_the_account_process_the_sweep_waits_and_loses_nothing(container, as_, demo, clock):
    account_id = new_account(container, as_)
    report = bootstrap.follow_up_leads(container)
    assert report.started == [] and [key for key, _ in report.failed] == [business_key(ACCOUNT, account_id)]
    assert row(container, account_id).followup_stale
    bootstrap.deploy_shipped(container)
    with container.uow() as uow:
        uow.session.add(Pool(name="总部公海", created_at=clock.now()))
        uow.commit()
    assert bootstrap.follow_up_leads(container).started == [business_key(ACCOUNT, account_id)]


def test_the_demo_shows_flags_a_warning_and_a_recycled_account(container, clock, as_):
    bootstrap.deploy_shipped(container)
    bootstrap.load_demo(container)
    bootstrap.follow_up_leads(container)  # cycles already past their deadlines act as they start
    rep = as_("wang.fang")
    with container.session_factory() as session:
        assert cadence.no_contact_counts(session, rep, clock.now()) == {7: 2, 15: 1, 30: 0, 60: 0}
    with container.session_factory() as session:
        owners = dict(session.execute(select(Account.name, Account.owner)).all())
        pujiang = next(name for name in owners if "Pujiang" in name)
        assert owners[pujiang] is None  # 33 days without contact: back in the Shanghai pool
        mingde = session.scalars(select(Account).where(Account.name.contains("Mingde"))).one()
        assert mingde.owner == "wu.jing" and mingde.recycle_at is not None
        warned = session.scalars(select(Notification.username).where(
            Notification.kind == "recycled_to_pool", Notification.link == f"/accounts/{mingde.id}")).all()
        # The same holds for leads: sun.li's lead, unreached for 28 days, is near its pool's 30.
        leads_warned = session.scalars(select(Notification.username).where(
            Notification.kind == "recycled_to_pool", Notification.link.startswith("/leads/"))).all()
    assert warned == ["wu.jing"] and leads_warned == ["sun.li"]
