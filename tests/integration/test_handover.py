"""A rep leaves: everything they own, their open tasks and their deals' processes go to a
successor in one audited act, and the deals' next stages reach the successor too."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

import bootstrap
from core.errors import InvalidInput, PermissionDenied
from engine import HumanTask, fire_due_timers
from notifications.models import Notification
from tests.deals import standard_sale
from tests.usecases import run
from workflows import handover
from workflows.accounts.models import Account
from workflows.audit import AuditEvent
from workflows.leads import service as leads
from workflows.leads.models import Lead, Pool
from workflows.leads.service import LeadInput
from workflows.opportunities.models import Opportunity
from workflows.opportunities.service import OpportunityInput, create_opportunity
from workflows.org.models import User
from workflows.visits.models import VisitPlan
from workflows.visits.plans import VisitInput, plan_visit


@pytest.fixture
def leaver(container, as_, demo, clock) -> dict[str, int]:
    """wang.fang with an account, an opportunity at its first stage and a lead."""
    sale = standard_sale(container)
    rep = as_("wang.fang")
    deal = run(container, create_opportunity, container.engine, rep, OpportunityInput(
        name="Forty AGVs", account_id=str(sale["account"]), business_type_id=str(sale["type"]), amount="120000"),
        clock.now())
    lead = run(container, leads.create_lead, rep, LeadInput("刘建华", phone="13816612345"), clock.now())
    with container.uow() as uow:
        pool = Pool(name="Shanghai pool", created_at=clock.now())
        uow.session.add(pool)
        uow.commit()
    return {"deal": deal.id, "lead": lead.id, "account": sale["account"], "pool": pool.id, **demo}


def stage_task(container, deal_id: int) -> HumanTask:
    with container.session_factory() as session:
        task = session.scalars(select(HumanTask).where(HumanTask.business_key == f"opportunity:{deal_id}")).one()
        session.expunge(task)
        return task


def test_everything_a_leaver_owns_goes_to_the_successor_and_the_deal_keeps_flowing(container, as_, leaver,
                                                                                     clock):
    admin = as_("admin")
    preview = run(container, handover.preview_handover, admin, leaver["wang.fang"])
    assert (preview.leads, preview.accounts, preview.opportunities, preview.tasks, preview.processes) == (
        1, 1, 1, 1, 1)

    run(container, handover.hand_over, container.engine, admin, str(leaver["wang.fang"]), str(leaver["li.na"]),
        "", clock.now())
    with container.session_factory() as session:
        assert session.get_one(Opportunity, leaver["deal"]).owner == "li.na"
        assert session.get_one(Account, leaver["account"]).owner == "li.na"
        assert session.get_one(Lead, leaver["lead"]).owner == "li.na"
        [audit] = session.scalars(select(AuditEvent)).all()
    assert (audit.action, audit.actor, audit.details["successor"], audit.details["opportunities"]) == (
        "handover", "admin", "li.na", 1)
    task = stage_task(container, leaver["deal"])
    assert (task.assignee, task.owner) == ("li.na", "li.na")

    with container.uow() as uow:  # the next stage is li.na's too: the process's owner changed
        container.engine.complete(uow.session, task.id, {"outcome": "advance"}, "li.na")
        uow.commit()
    assert stage_task(container, leaver["deal"]).assignee == "li.na"


def test_open_leads_can_go_back_to_a_pool_instead(container, as_, leaver, clock):
    run(container, handover.hand_over, container.engine, as_("admin"), str(leaver["wang.fang"]),
        str(leaver["li.na"]), str(leaver["pool"]), clock.now())
    with container.session_factory() as session:
        lead = session.get_one(Lead, leaver["lead"])
    assert (lead.owner, lead.pool_id, lead.former_owner) == (None, leaver["pool"], "wang.fang")


def test_only_admins_hand_over_and_bad_choices_are_named(container, as_, leaver, clock):
    with pytest.raises(PermissionDenied):
        run(container, handover.preview_handover, as_("liu.yang"), leaver["wang.fang"])
    with pytest.raises(InvalidInput) as refused:
        run(container, handover.hand_over, container.engine, as_("admin"), str(leaver["wang.fang"]),
            str(leaver["wang.fang"]), "", clock.now())
    assert list(refused.value.fields) == ["successor_id"]
    with pytest.raises(InvalidInput) as refused:
        run(container, handover.hand_over, container.engine, as_("admin"), str(leaver["wang.fang"]), "x", "99",
            clock.now())
    assert refused.value.fields == {"successor_id": "is not a user", "pool_id": "is not a pool"}
    with container.uow() as uow:
        uow.session.get_one(User, leaver["li.na"]).active = False
        uow.commit()
    with pytest.raises(InvalidInput) as refused:
        run(container, handover.hand_over, container.engine, as_("admin"), str(leaver["wang.fang"]),
            str(leaver["li.na"]), "", clock.now())
    assert refused.value.fields == {"successor_id": "must be another active user"}
    with container.session_factory() as session:
        assert session.get_one(Opportunity, leaver["deal"]).owner == "wang.fang"
        assert session.scalars(select(AuditEvent)).all() == []


def test_the_leavers_planned_visits_go_to_the_successor_and_remind_them(container, as_, leaver, clock):
    bootstrap.deploy_shipped(container)
    rep = as_("wang.fang")
    starts = (clock.now() + timedelta(days=2)).astimezone(ZoneInfo("Asia/Shanghai"))
    plan = run(container, plan_visit, container.engine, rep, "account", leaver["account"], VisitInput(
        starts_at=starts.strftime("%Y-%m-%dT%H:%M"), purpose="Demo the AGVs"), "Asia/Shanghai", clock.now())
    admin = as_("admin")
    assert run(container, handover.preview_handover, admin, leaver["wang.fang"]).visits == 1
    run(container, handover.hand_over, container.engine, admin, str(leaver["wang.fang"]), str(leaver["li.na"]),
        "", clock.now())
    with container.session_factory() as session:
        assert session.get_one(VisitPlan, plan.id).owner == "li.na"
    clock.advance(days=2)
    fire_due_timers(container.engine, container.session_factory)
    with container.session_factory() as session:
        reminded = session.scalars(select(Notification.username).where(Notification.kind == "reminder")).all()
    assert reminded == ["li.na"]
