"""A claim from the pool runs the lead duplicate rules too: a blocking rule's match with a lead
another rep owns refuses it; other matches are told to the rep, on the lead's page as well."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from bootstrap import Container
from tests.usecases import run
from tests.web.conftest import csrf_token
from web import create_app
from workflows.dedupe import Duplicate, DuplicateBlocked, load_default_rules
from workflows.leads import pools, service
from workflows.leads.models import Lead, Pool, PoolClaim, PoolMember
from workflows.leads.service import LeadInput
from workflows.org.demo import DEMO_PASSWORD


@pytest.fixture
def pool(container: Container, clock, demo) -> int:
    """A pool whose members are wang.fang and zhang.wei."""
    with container.uow() as uow:
        pool = Pool(name="Shanghai pool", created_at=clock.now())
        uow.session.add(pool)
        uow.session.flush()
        uow.session.add_all([PoolMember(pool_id=pool.id, user_id=demo[name]) for name in ("wang.fang", "zhang.wei")])
        uow.commit()
        return pool.id


def lead(container: Container, clock, name: str, company: str, phone: str, owner: str | None = None,
         pool_id: int | None = None) -> int:
    """A lead kept before the rules were loaded (or let through a warning), as old data is."""
    return run(container, service.create_lead, None, LeadInput(name, company, phone=phone), clock.now(), owner,
               pool_id).id


def rules(container: Container) -> None:
    with container.uow() as uow:
        load_default_rules(uow.session)
        uow.commit()


def claim(container: Container, viewer, lead_id: int, clock) -> tuple[Lead, list[Duplicate]]:
    noted: list[Duplicate] = []
    claimed = run(container, pools.claim_lead, viewer, lead_id, clock.now(), noted)
    return claimed, noted


def test_a_blocking_match_with_another_reps_lead_refuses_the_claim(container, clock, as_, pool):
    theirs = lead(container, clock, "周立群", "上海申达仓储有限公司", "13901770011", owner="zhang.wei")
    waiting = lead(container, clock, "周先生", "申达", "+86 139 0177 0011", pool_id=pool)
    rules(container)
    with pytest.raises(DuplicateBlocked) as refused:
        claim(container, as_("wang.fang"), waiting, clock)
    assert (refused.value.duplicate.record_id, refused.value.duplicate.rule_name) == (theirs, "Same phone")
    assert "Same phone" in str(refused.value) and f"#{theirs}" in str(refused.value)
    with container.session_factory() as session:
        row = session.get_one(Lead, waiting)
        assert (row.owner, row.status, row.pool_id) == (None, "pooled", pool)
        assert session.scalar(select(func.count()).select_from(PoolClaim)) == 0
    claimed, noted = claim(container, as_("zhang.wei"), waiting, clock)  # the owner of the other may
    assert claimed.owner == "zhang.wei" and [(d.record_id, d.action) for d in noted] == [(theirs, "block")]


def test_warnings_and_blocks_on_pooled_leads_do_not_stop_the_claim_but_are_told(container, clock, as_, pool):
    similar = lead(container, clock, "周立群", "上海申达仓储有限公司", "13901770012", owner="zhang.wei")
    also_waiting = lead(container, clock, "周立群", "申达物流", "13901770011", pool_id=pool)
    waiting = lead(container, clock, "周立群", "上海申达仓储", "13901770011", pool_id=pool)
    alone = lead(container, clock, "王芳", "宁波港联", "13901770099", pool_id=pool)
    rules(container)
    claimed, noted = claim(container, as_("wang.fang"), waiting, clock)
    # The claimed lead keeps its pool (where it returns to) and is no duplicate of itself.
    assert (claimed.owner, claimed.status, claimed.pool_id) == ("wang.fang", "working", pool)
    assert [(d.record_id, d.owner, d.action) for d in noted] == [
        (also_waiting, None, "block"), (similar, "zhang.wei", "warn")]
    assert noted[1].scores == {"company": 100, "name": 100}
    assert claim(container, as_("wang.fang"), alone, clock)[1] == []
    with pytest.raises(DuplicateBlocked):  # the same phone as the lead wang.fang has just taken
        run(container, pools.claim_lead, as_("zhang.wei"), also_waiting, clock.now())


def test_the_lead_page_says_why_a_claim_was_refused_and_what_it_may_duplicate(container, clock, pool):
    theirs = lead(container, clock, "周立群", "上海申达仓储有限公司", "13901770011", owner="zhang.wei")
    blocked = lead(container, clock, "周先生", "申达", "13901770011", pool_id=pool)
    warned = lead(container, clock, "周立群", "上海申达仓储", "13901770012", pool_id=pool)
    rules(container)
    app = create_app(container=replace(container, settings=replace(container.settings, demo=True)))
    rep = app.test_client()
    rep.post("/login", data={"username": "wang.fang", "password": DEMO_PASSWORD,
                             "csrf_token": csrf_token(rep.get("/login").text)})
    token = csrf_token(rep.get(f"/leads/{blocked}").text)
    page = rep.post(f"/leads/{blocked}/claim", data={"csrf_token": token}, follow_redirects=True).text
    assert f'Duplicate of &#34;周立群 · 上海申达仓储有限公司&#34; (#{theirs}) by the rule &#34;Same phone&#34;' in page
    assert "The lead is yours now." not in page
    page = rep.post(f"/leads/{warned}/claim", data={"csrf_token": token}, follow_redirects=True).text
    assert "The lead is yours now." in page
    assert (f"This lead may duplicate: 周立群 · 上海申达仓储有限公司 (#{theirs}, owner: zhang.wei), by the rule "
            "&#34;Similar company and name&#34;: Company 100%, Name 100%") in page
    with container.session_factory() as session:
        assert session.get_one(Lead, blocked).owner is None and session.get_one(Lead, warned).owner == "wang.fang"
