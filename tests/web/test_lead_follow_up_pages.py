"""What the follow-up cadence shows people: no-contact flags in the lists and on the start
page, the leads going back to the pool soon and why, and closing a lead's follow-up."""

from __future__ import annotations

from sqlalchemy import select

import bootstrap
from tests.web.conftest import csrf_token
from workflows.leads.demo import load_demo_leads
from workflows.leads.models import Lead


def demo_cycles(container: bootstrap.Container) -> dict[str, int]:
    """The demo leads with their follow-up cycles running, as name → id."""
    bootstrap.deploy_shipped(container)
    with container.uow() as uow:
        load_demo_leads(uow.session, container.engine.clock.now())
        uow.commit()
    bootstrap.follow_up_leads(container)
    with container.session_factory() as session:
        return {name: lead_id for name, lead_id in session.execute(select(Lead.name, Lead.id))}


def test_a_lead_nobody_reached_for_weeks_is_flagged_and_announced_before_it_goes_back(login, container):
    leads = demo_cycles(container)
    rep = login("sun.li")  # 陈思远 was last reached 28 days ago; the Hangzhou pool keeps leads 30
    listed = rep.get("/leads").text
    assert "陈思远" in listed and 'class="flag flag-15"' in listed
    assert "陈思远" in rep.get("/leads?no_contact=15").text
    assert "陈思远" not in rep.get("/leads?no_contact=30").text
    assert "/leads?scope=visible&amp;no_contact=15" in rep.get("/tasks").text  # the start page says so

    assert "陈思远" not in rep.get("/leads/recycling").text  # not tomorrow: the day after
    soon = rep.get("/leads/recycling?window=week").text  # sun.li reads Chinese: the why, in full
    assert "陈思远" in soon and "公海“杭州公海 Hangzhou pool”会收回 30 天未联系的线索" in soon
    page = rep.get(f"/leads/{leads['陈思远']}").text  # the day it goes back, and where
    assert "退回公海“杭州公海 Hangzhou pool”，除非在此之前有人联系该线索" in page

    other = login("zhang.wei")  # another branch: neither in the list nor in the forecast
    assert "陈思远" not in other.get("/leads/recycling?window=week").text


def test_disqualifying_needs_a_reason_and_ends_the_follow_up(login, container):
    leads = demo_cycles(container)
    rep = login("wang.fang")
    lead_id = leads["Emily Zhou"]
    token = csrf_token(rep.get(f"/leads/{lead_id}").text)
    refused = rep.post(f"/leads/{lead_id}/disqualify", data={"csrf_token": token, "reason": " "},
                       follow_redirects=True)
    assert "Reason: is required" in refused.text
    with container.session_factory() as session:
        assert session.get_one(Lead, lead_id).status == "working"
    rep.post(f"/leads/{lead_id}/disqualify", data={"csrf_token": token, "reason": "Bought from a rival"})
    with container.session_factory() as session:
        lead = session.get_one(Lead, lead_id)
        assert (lead.status, lead.disqualified_reason, lead.recycle_at) == (
            "disqualified", "Bought from a rival", None)
    assert "Bought from a rival" in rep.get(f"/leads/{lead_id}").text


def test_qualifying_keeps_the_lead_followed_up_and_another_team_cannot(login, container):
    leads = demo_cycles(container)
    lead_id = leads["Emily Zhou"]
    outsider = login("sun.li")
    token = csrf_token(outsider.get("/leads").text)
    assert outsider.post(f"/leads/{lead_id}/qualify", data={"csrf_token": token}).status_code == 404
    rep = login("wang.fang")
    token = csrf_token(rep.get(f"/leads/{lead_id}").text)
    done = rep.post(f"/leads/{lead_id}/qualify", data={"csrf_token": token}, follow_redirects=True)
    assert "The lead is qualified" in done.text
    with container.session_factory() as session:
        lead = session.get_one(Lead, lead_id)
        assert lead.status == "qualified" and lead.recycle_at is not None
