"""Visit plans, work plans, the team calendar and the private feed, through the pages."""

from __future__ import annotations

import re

from icalendar import Calendar
from sqlalchemy import func, select

from engine import fire_due_timers
from tests.deals import standard_sale
from tests.web.conftest import csrf_token
from tests.web.test_lead_pages import demo_leads
from workflows.accounts.models import Contact
from workflows.leads.models import Lead
from workflows.opportunities.service import OpportunityInput, create_opportunity
from workflows.org.models import User
from workflows.org.visibility import viewer_for
from workflows.visits.models import VisitPlan, WorkPlan
from workflows.visits.plans import log_task

# The clock starts on Monday 2026-01-05 at 17:00 in Shanghai.
GOOD = {"kind": "visit", "starts_at": "2026-01-06T10:00", "duration": "60", "location": "Suzhou plant",
        "purpose": "Plant tour", "remind_minutes": "60"}


def plan_on_lead(client, container) -> tuple[int, int]:
    """wang.fang plans a visit with her lead Emily Zhou from its page; (lead id, plan id)."""
    standard_sale(container)
    lead_id = demo_leads(container)["Emily Zhou"]
    page = client.get(f"/leads/{lead_id}").text
    assert f"/visits/new?subject=lead&amp;subject_id={lead_id}" in page
    form = client.get(f"/visits/new?subject=lead&subject_id={lead_id}")
    assert form.status_code == 200 and "Emily Zhou" in form.text
    response = client.post(f"/visits/new?subject=lead&subject_id={lead_id}",
                           data={**GOOD, "csrf_token": csrf_token(form.text)})
    assert response.status_code == 302, response.text
    return lead_id, int(response.headers["Location"].rsplit("/", 1)[1])


def test_a_visit_planned_from_a_lead_shows_on_the_calendar_and_its_log_lands_on_the_lead(client, container):
    lead_id, plan_id = plan_on_lead(client, container)
    page = client.get(f"/visits/{plan_id}").text
    assert "Plant tour" in page and "Suzhou plant" in page
    assert 'class="status visit-planned">Planned<' in page  # not just the "Planned by" beside it

    week = client.get("/calendar").text
    assert "Plant tour" in week and f"/visits/{plan_id}" in week
    assert re.search(r'event-reminder">\s*<time datetime="2026-01-06T01:00:00\+00:00">9:00', week)
    assert "10:00" in client.get("/calendar?view=day&date=2026-01-06").text
    assert f"/visits/{plan_id}" in client.get("/calendar?view=month&date=2026-01-20").text
    assert f"/visits/{plan_id}" not in client.get("/calendar?view=day&date=2026-01-07").text

    clock = container.engine.clock
    clock.advance(days=1)  # Tuesday 17:00: the visit is over
    fire_due_timers(container.engine, container.session_factory)
    with container.session_factory() as session:
        task = log_task(session, session.get_one(VisitPlan, plan_id))
    assert task is not None
    page = client.get(f"/visits/{plan_id}").text
    assert f"/tasks/{task.id}" in page and 'class="status visit-overdue">Over, not logged yet<' in page
    form = client.get(f"/tasks/{task.id}").text
    refused = client.post(f"/tasks/{task.id}", data={"csrf_token": csrf_token(form), "outcome": ""})
    assert refused.status_code == 400 and "is required" in refused.text
    done = client.post(f"/tasks/{task.id}", data={"csrf_token": csrf_token(form), "outcome": "Toured the plant",
                                                   "next_step": "Quote by Friday"})
    assert done.status_code == 302
    lead_page = client.get(f"/leads/{lead_id}").text
    assert "Toured the plant" in lead_page and "Quote by Friday" in lead_page
    assert "Toured the plant" in client.get(f"/visits/{plan_id}").text
    with container.session_factory() as session:
        assert session.get_one(Lead, lead_id).last_contacted_at == clock.now()


def test_bad_plan_input_is_named_beside_each_field_and_nothing_is_planned(client, container):
    standard_sale(container)
    lead_id = demo_leads(container)["Emily Zhou"]
    url = f"/visits/new?subject=lead&subject_id={lead_id}"
    token = csrf_token(client.get(url).text)
    response = client.post(url, data={**GOOD, "csrf_token": token, "starts_at": "next Tuesday", "purpose": "",
                                      "duration": "0"})
    assert response.status_code == 400
    assert "must be a date and time (YYYY-MM-DD HH:MM)" in response.text
    assert "is required (at most 300 characters)" in response.text
    assert "must be a whole number from 5 to 1440" in response.text
    past = client.post(url, data={**GOOD, "csrf_token": token, "starts_at": "2026-01-05T09:00"})
    assert past.status_code == 400 and "must be in the future" in past.text
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(VisitPlan)) == 0


def test_a_visit_is_rescheduled_and_cancelled_from_its_page(client, container):
    _lead_id, plan_id = plan_on_lead(client, container)
    token = csrf_token(client.get(f"/visits/{plan_id}").text)
    moved = client.post(f"/visits/{plan_id}", data={**GOOD, "csrf_token": token, "starts_at": "2026-01-08T15:30"})
    assert moved.status_code == 302
    assert "3:30" in client.get("/calendar?view=day&date=2026-01-08").text
    assert f"/visits/{plan_id}" not in client.get("/calendar?view=day&date=2026-01-06").text
    bad = client.post(f"/visits/{plan_id}", data={**GOOD, "csrf_token": token, "remind_minutes": "-5"})
    assert bad.status_code == 400 and "must be a whole number from 0 to 10080" in bad.text

    cancelled = client.post(f"/visits/{plan_id}/cancel", data={"csrf_token": token}, follow_redirects=True)
    assert "Visit cancelled" in cancelled.text and 'class="status visit-cancelled">Cancelled<' in cancelled.text
    assert f"/visits/{plan_id}" not in client.get("/calendar?view=day&date=2026-01-08").text
    assert f"/visits/{plan_id}" in client.get("/visits?tab=cancelled").text


def test_others_see_a_visit_by_the_visibility_rule_and_only_its_owner_changes_it(client, login, container):
    lead_id, plan_id = plan_on_lead(client, container)
    stranger = login("sun.li")
    assert stranger.get(f"/visits/{plan_id}").status_code == 404
    assert stranger.get(f"/visits/new?subject=lead&subject_id={lead_id}").status_code == 404
    assert stranger.get("/calendar?person=wang.fang").status_code == 404
    assert "Plant tour" not in stranger.get("/calendar?date=2026-01-06").text

    manager = login("liu.yang")
    page = manager.get(f"/visits/{plan_id}")
    assert page.status_code == 200 and "Cancel this visit" not in page.text
    assert "Plant tour" in manager.get("/calendar?date=2026-01-06&person=wang.fang").text
    assert manager.post(f"/visits/{plan_id}/cancel", data={"csrf_token": csrf_token(page.text)}).status_code == 403
    with container.session_factory() as session:
        assert session.get_one(VisitPlan, plan_id).status == "planned"


def test_a_bad_calendar_query_is_named_and_the_current_week_shown(client):
    response = client.get("/calendar?view=year&date=31.12.2026")
    assert response.status_code == 400
    assert "must be a date (YYYY-MM-DD)" in response.text and "is not one of the allowed values" in response.text
    assert 'aria-current="page">Week' in response.text
    far = client.get("/calendar?view=month&date=9999-12-31")
    assert far.status_code == 400 and "must be from 1970-01-01 to 2999-12-31" in far.text


def test_a_rep_plans_a_week_and_the_manager_follows_it(client, login, container):
    plan_on_lead(client, container)
    form = client.get("/work-plans/new").text
    token = csrf_token(form)
    bad = client.post("/work-plans/new", data={"csrf_token": token, "period": "week", "day": "", "goal": "many"})
    assert bad.status_code == 400 and "is required" in bad.text and "must be a whole number from 0 to 1000" in bad.text
    made = client.post("/work-plans/new", data={"csrf_token": token, "period": "week", "day": "2026-01-07",
                                                "goal": "4", "note": "Suzhou cluster"})
    assert made.status_code == 302
    plan_url = made.headers["Location"]
    page = client.get(plan_url).text
    assert "Plant tour" in page and "Suzhou cluster" in page
    again = client.post("/work-plans/new", data={"csrf_token": token, "period": "week", "day": "2026-01-09",
                                                 "goal": "2"})
    assert again.status_code == 400 and "you already have a plan for this period" in again.text
    assert client.post(plan_url, data={"csrf_token": token, "goal": "6", "note": "More"}).status_code == 302

    manager = login("liu.yang")
    listing = manager.get("/work-plans").text
    # her row: the new goal, one visit planned, none logged, none overdue, the new note
    assert re.search(r"<td>王芳</td>\s*<td>6</td><td>1</td><td>0</td>\s*<td>0</td><td>More</td>", listing)
    followed = manager.get(plan_url).text
    assert "Plant tour" in followed and 'id="change"' not in followed  # read, not written
    assert manager.post(plan_url, data={"csrf_token": csrf_token(listing), "goal": "1"}).status_code == 403
    with container.session_factory() as session:
        assert session.scalars(select(WorkPlan.goal)).one() == 6
    assert login("sun.li").get(plan_url).status_code == 404


def test_the_feed_address_is_shown_once_opens_without_a_login_and_stops_when_revoked(client, app, container):
    plan_on_lead(client, container)
    calendar = client.get("/calendar").text
    assert "Create my feed address" in calendar
    shown = client.post("/calendar/feed", data={"csrf_token": csrf_token(calendar)})
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    address = shown.text.split('<code id="feed-address">')[1].split("</code>")[0]
    path = address.split("localhost", 1)[1]
    assert path.startswith("/calendar/feed/dfc_") and "webcal://" in shown.text

    phone = app.test_client()  # no login
    feed = phone.get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    [event] = Calendar.from_ical(feed.data).walk("VEVENT")
    assert str(event["summary"]) == "Visit: Emily Zhou" and str(event["location"]) == "Suzhou plant"
    assert "Make a new address" in client.get("/calendar").text

    renewed = client.post("/calendar/feed", data={"csrf_token": csrf_token(calendar)}).text
    assert phone.get(path).status_code == 404
    new_path = renewed.split('<code id="feed-address">')[1].split("</code>")[0].split("localhost", 1)[1]
    assert phone.get(new_path).status_code == 200
    client.post("/calendar/feed/revoke", data={"csrf_token": csrf_token(calendar)})
    assert phone.get(new_path).status_code == 404
    assert "Create my feed address" in client.get("/calendar").text


def test_a_visit_can_be_planned_from_every_kind_of_record(client, container):
    ids = standard_sale(container)
    now = container.engine.clock.now()
    with container.uow() as uow:
        contact = Contact(account_id=ids["account"], name="Li Lei", owner="wang.fang", created_at=now,
                          updated_at=now)
        uow.session.add(contact)
        uow.session.flush()
        rep = viewer_for(uow.session, uow.session.scalars(select(User.id).where(User.username == "wang.fang")).one())
        deal = create_opportunity(uow.session, container.engine, rep, OpportunityInput(
            "40 AGVs", str(ids["account"]), str(ids["type"]), "300000"), now).id
        uow.commit()
    for page, subject, subject_id in ((f"/accounts/{ids['account']}", "account", ids["account"]),
                                      (f"/contacts/{contact.id}", "contact", contact.id),
                                      (f"/opportunities/{deal}", "opportunity", deal)):
        url = f"/visits/new?subject={subject}&subject_id={subject_id}"
        assert url.replace("&", "&amp;") in client.get(page).text
        response = client.post(url, data={**GOOD, "kind": "meeting", "csrf_token": csrf_token(client.get(url).text)})
        assert response.status_code == 302
    container.engine.clock.advance(days=1)
    fire_due_timers(container.engine, container.session_factory)
    to_log = client.get("/visits?tab=to_log").text
    assert all(name in to_log for name in ("ACME", "Li Lei", "40 AGVs"))
    assert client.get("/visits/new?subject=planet&subject_id=1").status_code == 404
    assert client.get("/visits/new?subject=account&subject_id=x").status_code == 404


def test_every_page_renders_in_chinese(login, container):
    standard_sale(container)
    lead_id = demo_leads(container)["刘建华"]  # zhang.wei's, who reads Chinese
    rep = login("zhang.wei")
    url = f"/visits/new?subject=lead&subject_id={lead_id}"
    made = rep.post(url, data={**GOOD, "csrf_token": csrf_token(rep.get(url).text)})
    assert made.status_code == 302
    work = rep.post("/work-plans/new", data={"csrf_token": csrf_token(rep.get("/work-plans/new").text),
                                             "period": "month", "day": "2026-01-05", "goal": "10"})
    assert work.status_code == 302
    for page in ("/calendar", "/calendar?view=day&date=2026-01-06", "/calendar?view=month", "/visits",
                 "/visits?tab=to_log", made.headers["Location"], "/work-plans", work.headers["Location"], url):
        response = rep.get(page)
        assert response.status_code == 200, page
        assert 'lang="zh-CN"' in response.text
    assert "周二" in rep.get("/calendar").text  # Tuesday
