"""The follow-up cadence on SQLite and PostgreSQL, with the clock moved through weeks of it:
follow-up tasks at the rating's frequency, contacts resetting the clock, the warning, the
recycling to the pool, and a catch-up after an outage that tells each person once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

import bootstrap
from bootstrap import Container
from engine.models import HistoryEvent, HumanTask, ProcessInstance
from tests.cadence import follow_ups as open_follow_ups
from tests.cadence import team_pool, tick, told
from tests.usecases import run
from workflows.activities.models import Activity
from workflows.activities.service import ActivityInput, log_activity
from workflows.keys import LEAD, business_key
from workflows.leads import cadence, conversion, pools, service
from workflows.leads.follow_up_status import no_contact_band, no_contact_counts, recycling_between
from workflows.leads.lists import LeadFilter, list_leads
from workflows.leads.models import Lead, Pool
from workflows.leads.service import LeadInput


@pytest.fixture
def pool(container: Container, clock, demo) -> int:
    """Team 1's pool: recycling after 30 days without contact, a warning 3 days before."""
    return team_pool(container, demo, "lead_followup.bpmn")


def new_lead(container: Container, as_, pool: int, rating: str = "warm", owner: str = "zhang.wei") -> int:
    lead = run(container, service.create_lead, as_(owner), LeadInput(
        "周立群", "上海申达仓储有限公司", phone="13901770011", rating=rating), container.engine.clock.now(),
        owner, pool)
    return lead.id


def lead_row(container: Container, lead_id: int) -> Lead:
    with container.session_factory() as session:
        return session.get_one(Lead, lead_id)


def follow_ups(container: Container, lead_id: int) -> list[HumanTask]:
    return open_follow_ups(container, business_key(LEAD, lead_id))


def test_an_owned_lead_gets_a_cycle_counted_from_its_assignment_in_its_pool(container, as_, pool, clock):
    lead_id = new_lead(container, as_, pool)
    tick(container)
    lead = lead_row(container, lead_id)
    assert lead.followup_instance_id is not None and not lead.followup_stale
    assert (lead.followup_since, lead.recycle_at) == (clock.now(), clock.now() + timedelta(days=30))

    clock.advance(days=6)
    tick(container)
    assert follow_ups(container, lead_id) == []
    clock.advance(days=1, seconds=1)  # warm: every seven days
    tick(container)
    [task] = follow_ups(container, lead_id)
    assert (task.assignee, task.title) == ("zhang.wei", "周立群 · 上海申达仓储有限公司")


def test_a_logged_call_ends_the_cycle_closes_its_follow_up_and_moves_the_recycling_date(
        container, as_, pool, clock):
    lead_id = new_lead(container, as_, pool, rating="hot")
    tick(container)
    first = lead_row(container, lead_id).followup_instance_id
    clock.advance(days=3, seconds=1)
    tick(container)
    assert len(follow_ups(container, lead_id)) == 1

    clock.advance(days=2)
    with container.uow() as uow:
        log_activity(uow.session, as_("zhang.wei"), "lead", lead_id, ActivityInput("call", outcome="Wants a demo"),
                     "Asia/Shanghai", clock.now())
        cadence.follow_up_now(uow.session, container.engine, [lead_id], clock.now())
        uow.commit()
    lead = lead_row(container, lead_id)
    assert follow_ups(container, lead_id) == []
    assert lead.followup_instance_id != first and lead.recycle_at == clock.now() + timedelta(days=30)
    with container.session_factory() as session:
        assert session.get_one(ProcessInstance, first).status == "completed"
        ended = session.scalars(select(HistoryEvent.name).where(
            HistoryEvent.instance_id == first, HistoryEvent.event == "element_completed")).all()
    assert "Contact made" in ended  # ended by its contact_logged message, not cancelled


def test_an_email_or_a_note_is_no_contact(container, as_, pool, clock):
    lead_id = new_lead(container, as_, pool)
    tick(container)
    before = lead_row(container, lead_id)
    for kind in ("email", "note"):
        clock.advance(days=1)
        with container.uow() as uow:
            log_activity(uow.session, as_("zhang.wei"), "lead", lead_id, ActivityInput(kind, outcome="Sent brochure"),
                         "Asia/Shanghai", clock.now())
            uow.commit()
        tick(container)
        after = lead_row(container, lead_id)
        assert (after.followup_instance_id, after.recycle_at) == (before.followup_instance_id, before.recycle_at)
        assert after.last_contacted_at is None


def test_a_follow_up_that_reached_the_lead_is_logged_and_starts_the_next_cycle(container, as_, pool, clock):
    lead_id = new_lead(container, as_, pool, rating="hot")
    tick(container)
    clock.advance(days=3, seconds=1)
    tick(container)
    [task] = follow_ups(container, lead_id)
    with container.uow() as uow:
        container.engine.complete(uow.session, task.id, {"result": "no_answer", "outcome": "Voicemail"}, "zhang.wei")
        uow.commit()
    assert lead_row(container, lead_id).last_contacted_at is None
    clock.advance(days=3, seconds=1)
    tick(container)
    [task] = follow_ups(container, lead_id)
    with container.uow() as uow:
        container.engine.complete(uow.session, task.id, {"result": "visit", "outcome": "Met the buyer",
                                                         "next_step": "Send a quote"}, "zhang.wei")
        uow.commit()
    tick(container)
    lead = lead_row(container, lead_id)
    assert (lead.last_contacted_at, lead.status) == (clock.now(), "working")
    assert lead.recycle_at == clock.now() + timedelta(days=30)
    with container.session_factory() as session:
        kinds = session.execute(select(Activity.kind, Activity.outcome).where(Activity.subject_id == lead_id)
                                .order_by(Activity.id)).all()
    assert kinds == [("call", "[no answer] Voicemail"), ("visit", "Met the buyer")]


def test_without_contact_the_owner_is_warned_then_the_lead_goes_back_to_the_pool(container, as_, pool, clock):
    lead_id = new_lead(container, as_, pool, rating="cold")
    tick(container)
    clock.advance(days=27, seconds=1)
    tick(container)
    assert len(told(container, "zhang.wei")) == 1 and lead_row(container, lead_id).owner == "zhang.wei"

    clock.advance(days=3)
    tick(container)
    lead = lead_row(container, lead_id)
    assert (lead.owner, lead.former_owner, lead.pool_id, lead.status) == (None, "zhang.wei", pool, "pooled")
    assert lead.followup_instance_id is None and lead.recycle_at is None
    assert follow_ups(container, lead_id) == []  # the day-15 follow-up went with it
    assert len(told(container, "zhang.wei")) == 2 and len(told(container, "liu.yang")) == 1  # and the manager

    # Another member claims it and gets a cycle of their own; its former owner must wait.
    claimed = run(container, pools.claim_lead, as_("li.na"), lead_id, clock.now())
    assert claimed.owner == "li.na"
    tick(container)
    assert lead_row(container, lead_id).recycle_at == clock.now() + timedelta(days=30)


def test_after_an_outage_the_catch_up_tells_each_person_once(container, as_, pool, clock):
    lead_id = new_lead(container, as_, pool, rating="hot")
    tick(container)
    clock.advance(days=45)  # the scheduler was down for six weeks
    tick(container)
    tick(container)
    assert len(told(container, "zhang.wei")) == 2  # one warning, one "went back"
    assert len(told(container, "liu.yang")) == 1
    assert lead_row(container, lead_id).owner is None
    with container.session_factory() as session:
        recycled = session.scalar(select(func.count()).select_from(HistoryEvent).where(
            HistoryEvent.business_key == business_key(LEAD, lead_id), HistoryEvent.bpmn_id == "recycle_lead",
            HistoryEvent.event == "element_completed"))
    assert recycled == 1


def test_a_new_rating_changes_the_frequency_and_conversion_ends_the_cadence(container, as_, pool, clock):
    lead_id = new_lead(container, as_, pool, rating="cold")
    tick(container)
    clock.advance(days=4)
    rep = as_("zhang.wei")
    lead = lead_row(container, lead_id)
    edited = LeadInput(lead.name, lead.company, phone=lead.phone, rating="hot")
    run(container, service.update_lead, rep, lead_id, edited, clock.now())
    assert follow_ups(container, lead_id) == []
    tick(container)
    # Hot: three days from its assignment, four days ago, where cold would wait fifteen.
    assert len(follow_ups(container, lead_id)) == 1

    run(container, conversion.convert_lead, container.engine, rep, lead_id, conversion.ConversionInput(),
        clock.now())
    lead = lead_row(container, lead_id)
    assert lead.status == "converted" and lead.followup_instance_id is None and lead.recycle_at is None
    assert follow_ups(container, lead_id) == []
    clock.advance(days=40)
    tick(container)
    assert lead_row(container, lead_id).owner == "zhang.wei"  # a converted lead is never recycled


def test_leads_are_flagged_by_days_without_contact_and_listed_before_they_go_back(container, as_, pool, clock):
    start = clock.now()
    ages: dict[str, int] = {}
    for days_ago, name in ((61, "六十一天"), (31, "三十一天"), (16, "十六天"), (8, "八天"), (2, "两天")):
        clock.set(start - timedelta(days=days_ago))
        lead = run(container, service.create_lead, as_("zhang.wei"), LeadInput(
            name, "公司" + name, phone=f"1390177{days_ago:04d}"), clock.now(), "zhang.wei", pool)
        ages[name] = lead.id
    clock.set(start)
    with container.uow() as uow:  # a pool that keeps leads 65 days: the oldest goes back in 4
        uow.session.get_one(Pool, pool).recycle_after_days = 65
        uow.commit()
    bootstrap.follow_up_leads(container)
    rep, manager, outsider = as_("zhang.wei"), as_("liu.yang"), as_("sun.li")
    with container.session_factory() as session:
        assert no_contact_counts(session, rep, start) == {7: 4, 15: 3, 30: 2, 60: 1}
        assert no_contact_counts(session, manager, start) == {7: 4, 15: 3, 30: 2, 60: 1}
        assert no_contact_counts(session, outsider, start) == {7: 0, 15: 0, 30: 0, 60: 0}
        listed, total = list_leads(session, rep, LeadFilter("mine", no_contact=15), start)
        assert [lead.name for lead in listed] == ["六十一天", "三十一天", "十六天"] and total == 3
        oldest = session.get_one(Lead, ages["六十一天"])
        assert no_contact_band(oldest.followup_since, start) == 60
        assert oldest.recycle_at == start + timedelta(days=4)
        soon, total = recycling_between(session, manager, start, start + timedelta(days=7))
        assert [row.record.name for row in soon] == ["六十一天"] and soon[0].pool_name == "上海公海"
        assert recycling_between(session, outsider, start, start + timedelta(days=7))[1] == 0


def test_without_the_follow_up_process_the_sweep_waits_and_loses_nothing(container, as_, demo, clock):
    lead_id = new_lead(container, as_, pool=None)  # type: ignore[arg-type]
    lead_2 = new_lead(container, as_, pool=None, owner="li.na")  # type: ignore[arg-type]
    report = bootstrap.follow_up_leads(container)
    assert report.started == [] and [key for key, _ in report.failed] == [business_key(LEAD, lead_id)]  # at once
    assert lead_row(container, lead_id).followup_stale and lead_row(container, lead_2).followup_stale
    bootstrap.deploy_shipped(container)
    with container.uow() as uow:
        uow.session.add(Pool(name="总部公海", created_at=clock.now()))  # nobody's: the one to return to
        uow.commit()
    assert sorted(bootstrap.follow_up_leads(container).started) == [business_key(LEAD, i) for i in (lead_id, lead_2)]
    assert lead_row(container, lead_id).pool_id is not None


def test_a_step_failing_after_the_contact_is_reported_not_hidden_by_cancelling(container, as_, pool, clock):
    """A designer's version of the cycle runs a script once contact is made; it fails. The cycle
    must not be cancelled as if nobody waited for the contact: the sweep says why and retries."""
    [files] = [files for files in bootstrap.shipped_bundles() if "lead_followup.bpmn" in files]
    failing = {name: (text.decode() if isinstance(text, bytes) else text) for name, text in files.items()}
    failing["lead_followup.bpmn"] = failing["lead_followup.bpmn"].replace(
        '<bpmn:sequenceFlow id="flow_contacted" sourceRef="wait_for_contact" targetRef="end_contact_made"/>',
        '<bpmn:sequenceFlow id="flow_contacted" sourceRef="wait_for_contact" targetRef="thank"/>'
        '<bpmn:scriptTask id="thank" name="Thank the rep"><bpmn:script>note = thanks_for[owner]</bpmn:script>'
        '</bpmn:scriptTask><bpmn:sequenceFlow id="flow_thanked" sourceRef="thank" targetRef="end_contact_made"/>')
    with container.uow() as uow:
        container.engine.deploy(uow.session, failing)
        uow.commit()
    lead_id = new_lead(container, as_, pool)
    tick(container)
    cycle = lead_row(container, lead_id).followup_instance_id
    clock.advance(days=1)
    run(container, log_activity, as_("zhang.wei"), "lead", lead_id, ActivityInput("call", outcome="Reached"),
        "Asia/Shanghai", clock.now())
    report = bootstrap.follow_up_leads(container)
    assert [key for key, _ in report.failed] == [business_key(LEAD, lead_id)]
    assert lead_row(container, lead_id).followup_stale  # tried again by the next sweep
    with container.session_factory() as session:
        assert session.get_one(ProcessInstance, cycle).status == "running"  # not cancelled
