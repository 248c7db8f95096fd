"""Logging calls, visits and notes from a lead's and an account's page."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

import bootstrap
from tests.deals import standard_sale
from tests.web.conftest import csrf_token
from tests.web.test_lead_pages import demo_leads
from workflows.activities.models import Activity
from workflows.leads.models import Lead


def test_a_call_logged_on_a_lead_marks_it_contacted_and_a_note_does_not(login, container):
    bootstrap.deploy_shipped(container)
    leads = demo_leads(container)
    lead_id = leads["刘建华"]
    bootstrap.follow_up_leads(container)
    with container.session_factory() as session:
        before = session.get_one(Lead, lead_id)
    rep = login("zhang.wei")
    page = rep.get(f"/leads/{lead_id}")
    token = csrf_token(page.text)
    assert rep.post(f"/lead/{lead_id}/activities", data={"csrf_token": token, "kind": "note",
                                                         "outcome": "Found their website"}).status_code == 302
    with container.session_factory() as session:
        unchanged = session.get_one(Lead, lead_id)
        assert (unchanged.last_contacted_at, unchanged.recycle_at) == (before.last_contacted_at, before.recycle_at)
    assert rep.post(f"/lead/{lead_id}/activities", data={"csrf_token": token, "kind": "call",
                                                         "outcome": "Wants a demo", "next_step": "Visit on Monday"}
                    ).status_code == 302
    with container.session_factory() as session:
        lead = session.get_one(Lead, lead_id)
        now = container.engine.clock.now()
        assert (lead.last_contacted_at, lead.status) == (now, "working")
        assert lead.recycle_at == now + timedelta(days=30)  # its follow-up starts over, at once
    page = rep.get(f"/leads/{lead_id}").text
    assert "Wants a demo" in page and "Visit on Monday" in page


def test_bad_activity_input_is_named_and_another_team_cannot_log(login, container):
    leads = demo_leads(container)
    rep = login("zhang.wei")
    token = csrf_token(rep.get(f"/leads/{leads['刘建华']}").text)
    response = rep.post(f"/lead/{leads['刘建华']}/activities", data={
        "csrf_token": token, "kind": "telepathy", "outcome": "", "happened_on": "2999-01-01"}, follow_redirects=True)
    assert re.findall(r'<div class="flash">([^<]*)</div>', response.text) == [  # zhang.wei reads Chinese
        "事件: 不是允许的值", "时间: 不能是将来的日期", "发生了什么: 必填（最多 4000 个字符）"]
    with container.session_factory() as session:
        assert session.scalar(select(Activity.id)) is None
    other = login("sun.li")
    assert other.post(f"/lead/{leads['刘建华']}/activities", data={
        "csrf_token": csrf_token(other.get("/leads").text), "kind": "call", "outcome": "x"}).status_code == 404


def test_a_visit_is_logged_on_the_account_page(login, container):
    account = standard_sale(container)["account"]  # wang.fang's ACME
    rep = login("wang.fang")
    token = csrf_token(rep.get(f"/accounts/{account}").text)
    assert rep.post(f"/account/{account}/activities", data={
        "csrf_token": token, "kind": "visit", "outcome": "Toured the warehouse"}).status_code == 302
    assert "Toured the warehouse" in rep.get(f"/accounts/{account}").text
