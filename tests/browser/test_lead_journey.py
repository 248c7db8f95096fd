"""In a real browser: a visitor posts the website's form, the assignment table gives the lead
to a rep of the Shanghai team, the rep logs a call, then nobody reaches the lead for a month:
it goes back to the pool (its owner told), and another rep claims it and converts it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

import bootstrap
from engine import fire_due_timers
from workflows.leads.capture import WebFormInput, save_web_form
from workflows.leads.demo import load_demo_leads
from workflows.leads.models import Lead, Pool
from workflows.org.models import User
from workflows.org.visibility import viewer_of

TEAM_1 = ("zhang.wei", "li.na", "wang.fang")  # 销售一组 Team 1, Shanghai


def website_form(container: bootstrap.Container) -> str:
    """The company website's contact form, feeding the Shanghai pool; its public key."""
    bootstrap.deploy_shipped(container)
    now = container.engine.clock.now()
    with container.uow() as uow:
        load_demo_leads(uow.session, now)
        admin = viewer_of(uow.session.scalars(select(User).where(User.username == "admin")).one())
        pool = uow.session.scalars(select(Pool).where(Pool.name.contains("Shanghai"))).one()
        form = save_web_form(uow.session, admin, WebFormInput(
            name="Contact us", fields=("name", "company", "phone", "region"), required=("name", "phone"),
            pool_id=str(pool.id)), now)
        uow.commit()
        return form.public_key


def tick(container: bootstrap.Container) -> None:
    """The scheduler's round: follow-up cycles up to date, due timers fired."""
    bootstrap.follow_up_leads(container)
    fire_due_timers(container.engine, container.session_factory)
    bootstrap.follow_up_leads(container)


def the_lead(container: bootstrap.Container) -> Lead:
    with container.session_factory() as session:
        return session.scalars(select(Lead).where(Lead.name == "黄晓明")).one()


def test_a_website_lead_is_assigned_followed_recycled_claimed_and_converted(browser, live_server, log_in,
                                                                            container, clock):
    key = website_form(container)
    visitor = browser.new_page()
    visitor.goto(f"{live_server}/w2l/{key}")
    visitor.fill("#w2l_name", "黄晓明")
    visitor.fill("#w2l_company", "上海明远仓储有限公司")
    visitor.fill("#w2l_phone", "13916880123")
    visitor.fill("#w2l_region", "上海")
    with visitor.expect_navigation():
        visitor.click("button[type=submit]")
    visitor.close()
    owner = the_lead(container).owner
    assert owner in TEAM_1  # the table's Shanghai rule, round robin within Team 1
    tick(container)

    rep = log_in(owner)
    rep.goto(f"{live_server}/leads")
    with rep.expect_navigation():
        rep.click("text=黄晓明")
    lead_page = rep.url
    rep.select_option("select[name=kind]", "call")
    rep.fill("textarea[name=outcome]", "需要三台叉车的报价")
    with rep.expect_navigation():
        rep.click("#activities button[type=submit]")
    tick(container)
    rep.goto(lead_page)
    assert "需要三台叉车的报价" in rep.content()
    called = the_lead(container)
    assert called.status == "working" and called.recycle_at == clock.now() + timedelta(days=30)

    clock.advance(days=31)  # a month without contact: warned, then back in the pool
    tick(container)
    assert the_lead(container).owner is None
    rep.goto(f"{live_server}/notifications")
    assert rep.locator("text=黄晓明").count() >= 2  # the warning, then "went back to the pool"

    other = log_in(next(name for name in TEAM_1 if name != owner))
    other.goto(f"{live_server}/leads?scope=pool")
    with other.expect_navigation():
        other.click("text=黄晓明")
    with other.expect_navigation():
        other.click("form[action$='/claim'] button")
    assert the_lead(container).owner != owner
    other.click(f"a[href$='/leads/{called.id}/convert']")
    other.wait_for_url(f"**/leads/{called.id}/convert")
    with other.expect_navigation():
        other.click("form.stacked button[type=submit]")
    assert "/accounts/" in other.url and "上海明远仓储有限公司" in other.content()
    converted = the_lead(container)
    assert converted.status == "converted" and converted.recycle_at is None
