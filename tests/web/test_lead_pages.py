"""The lead pages: capture by hand with field messages, my leads and the pool, claiming."""

from __future__ import annotations

from sqlalchemy import func, select

import bootstrap
from tests.web.conftest import csrf_token
from workflows.dedupe import load_default_rules
from workflows.leads.demo import load_demo_leads
from workflows.leads.models import Lead, Pool, PoolMember
from workflows.org.models import OrgUnit, User


def demo_leads(container: bootstrap.Container) -> dict[str, int]:
    with container.uow() as uow:
        load_demo_leads(uow.session, container.engine.clock.now())
        uow.commit()
        return {name: lead_id for name, lead_id in uow.session.execute(select(Lead.name, Lead.id))}


def test_a_rep_captures_a_lead_and_bad_fields_are_named(login, container):
    rep = login("wang.fang")
    form = rep.get("/leads/new").text
    token = csrf_token(form)
    response = rep.post("/leads/new", data={"csrf_token": token, "name": "", "phone": "123", "source": "manual",
                                            "rating": "warm"})
    assert response.status_code == 400 and "is not a valid phone number" in response.text
    with container.session_factory() as session:
        assert session.scalar(select(Lead.id)) is None
    response = rep.post("/leads/new", data={"csrf_token": token, "name": "Emily Zhou", "company": "Suzhou Parts",
                                            "phone": "13962150001", "source": "event", "rating": "hot"})
    assert response.status_code == 302
    page = rep.get(response.location).text
    assert "Emily Zhou" in page and "Event sign-up" in page
    assert "Emily Zhou" in rep.get("/leads").text


def test_pool_members_claim_from_the_pool_and_a_second_claim_is_told_politely(login, container):
    leads = demo_leads(container)
    waiting = leads["周立群"]
    first, second = login("wang.fang"), login("zhang.wei")
    assert "周立群" in first.get("/leads?scope=pool").text
    token = csrf_token(first.get(f"/leads/{waiting}").text)
    assert "Claim this lead" in first.get(f"/leads/{waiting}").text
    assert first.post(f"/leads/{waiting}/claim", data={"csrf_token": token}).status_code == 302
    assert "The lead is yours now." in first.get(f"/leads/{waiting}").text
    other = second.post(f"/leads/{waiting}/claim", data={"csrf_token": csrf_token(second.get("/leads").text)},
                        follow_redirects=True)
    assert other.status_code == 404  # wang.fang's now, and zhang.wei is not her manager


def test_another_branch_never_sees_a_lead_nor_posts_without_a_token(login, container):
    leads = demo_leads(container)
    hangzhou = login("sun.li")
    assert hangzhou.get(f"/leads/{leads['刘建华']}").status_code == 404
    assert "周立群" not in hangzhou.get("/leads?scope=pool").text
    assert login("wang.fang").post(f"/leads/{leads['周立群']}/claim").status_code == 400


def test_a_pool_admin_sets_the_limits_and_members_and_a_rep_cannot(login, container):
    demo_leads(container)
    with container.session_factory() as session:
        pool = session.scalars(select(Pool.id).where(Pool.name.contains("Shanghai"))).one()
        wu_jing = session.scalars(select(User.id).where(User.username == "wu.jing")).one()
    manager = login("liu.yang")  # a Shanghai manager: the demo makes managers pool admins
    page = manager.get(f"/pools/{pool}")
    assert page.status_code == 200
    token = csrf_token(page.text)
    limits = {"csrf_token": token, "name": "Shanghai pool", "max_claims_per_day": "-1", "max_held": "50",
              "reclaim_after_days": "10", "recycle_after_days": "15", "warn_days_before": "2"}
    bad = manager.post(f"/pools/{pool}", data=limits)
    assert bad.status_code == 400 and "必须是 0 到 1000 之间的整数" in bad.text  # liu.yang reads Chinese
    assert manager.post(f"/pools/{pool}", data=limits | {"max_claims_per_day": "5"}).status_code == 302
    assert manager.post(f"/pools/{pool}/members", data={"csrf_token": token, "user_id": str(wu_jing),
                                                         "role": "admin"}).status_code == 302
    with container.session_factory() as session:
        assert session.get_one(Pool, pool).max_claims_per_day == 5
        assert session.get_one(PoolMember, (pool, wu_jing)).role == "admin"
    assert login("zhang.wei").get(f"/pools/{pool}").status_code == 404  # a member, not an admin
    assert login("sun.li").get(f"/pools/{pool}").status_code == 404


def test_a_likely_duplicate_is_shown_with_its_scores_and_created_only_when_confirmed(login, container):
    with container.uow() as uow:
        load_default_rules(uow.session)
        uow.commit()
    demo_leads(container)
    rep = login("zhang.wei")
    form = rep.get("/leads/new").text
    fields = {"csrf_token": csrf_token(form), "name": "劉建華", "company": "上海锦程物流", "phone": "",
              "email": "liu@jincheng.example", "source": "manual", "rating": "warm"}
    warned = rep.post("/leads/new", data=fields)  # zhang.wei reads Chinese: each field's score, labelled
    assert warned.status_code == 400 and "刘建华" in warned.text and "公司 100%, 名称 100%" in warned.text
    assert rep.post("/leads/new", data=fields | {"confirmed": "y"}).status_code == 302
    blocked = rep.post("/leads/new", data=fields | {"phone": "138 1661 2345", "confirmed": "y"})
    assert blocked.status_code == 400  # the same phone is blocked whatever the rep says
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Lead).where(Lead.name == "劉建華")) == 1


def test_a_rep_converts_a_lead_from_its_page_into_a_new_account(login, container):
    leads = demo_leads(container)
    rep = login("wang.fang")
    page = rep.get(f"/leads/{leads['Emily Zhou']}/convert")
    assert page.status_code == 200 and "A new account" in page.text
    response = rep.post(f"/leads/{leads['Emily Zhou']}/convert",
                        data={"csrf_token": csrf_token(page.text), "account_id": "", "business_type_id": ""})
    assert response.status_code == 302
    assert "Emily Zhou" in rep.get(response.location).text  # the new account lists its contact
    assert login("sun.li").get(f"/leads/{leads['Emily Zhou']}/convert").status_code == 404


def test_a_manager_assigns_selected_leads_and_hears_about_each(login, container):
    leads = demo_leads(container)
    manager = login("liu.yang")  # reads Chinese
    page = manager.get("/leads?scope=pool")
    assert "将所选线索分配给" in page.text
    response = manager.post("/leads/assign", data={
        "csrf_token": csrf_token(page.text), "owner": "li.na", "scope": "pool",
        "lead_ids": [str(leads["周立群"]), str(leads["陈思远"])]})  # the second is Hangzhou's: out of sight
    assert response.status_code == 302
    told = manager.get(response.location).text
    assert "已分配 1 条线索。" in told and f"线索 {leads['陈思远']}：此线索不存在" in told
    with container.session_factory() as session:
        assert session.get_one(Lead, leads["周立群"]).owner == "li.na"
        assert session.get_one(Lead, leads["陈思远"]).owner == "sun.li"
    rep = login("zhang.wei")
    assert "将所选线索分配给" not in rep.get("/leads?scope=pool").text
    refused = rep.post("/leads/assign", data={"csrf_token": csrf_token(rep.get("/leads").text), "owner": "li.na",
                                              "lead_ids": [str(leads["孙海"])]}, follow_redirects=True)
    assert "只有经理可以分配线索" in refused.text
    with container.session_factory() as session:
        assert session.get_one(Lead, leads["孙海"]).owner is None  # a rep may not assign


def test_a_manager_narrows_the_lead_list_to_a_unit_or_a_rep(login, container):
    demo_leads(container)
    with container.session_factory() as session:
        owned = dict(session.execute(select(Lead.name, Lead.owner).where(Lead.owner.is_not(None))).all())
        teams = {name: session.scalars(select(OrgUnit.id).where(OrgUnit.name.contains(name))).one()
                 for name in ("Team 1", "Team 2")}
        members = {team: set(session.scalars(select(User.username).where(User.org_unit_id == unit_id)))
                   for team, unit_id in teams.items()}
    manager = login("chen.hao")

    def names(url: str) -> set[str]:
        page = manager.get(url).text
        return {name for name in owned if f">{name}</a>" in page}

    seen = names("/leads?scope=visible")  # the Shanghai director's: his branch's leads
    for team, unit_id in teams.items():
        assert names(f"/leads?scope=visible&unit={unit_id}") == {n for n in seen if owned[n] in members[team]}
    assert names(f"/leads?scope=visible&unit={teams['Team 1']}") != set()
    assert names("/leads?scope=visible&owner=wang.fang") == {n for n in seen if owned[n] == "wang.fang"} != set()
    assert f'<option value="{teams["Team 1"]}" selected>' in manager.get(
        f"/leads?scope=visible&unit={teams['Team 1']}").text
