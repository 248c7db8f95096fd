"""Accounts in the public pool and on the follow-up cadence, as people see them: no-contact
flags in the account list and on the start page, the accounts going back soon and why, a
pool's page listing its accounts to claim, claiming and releasing from an account's page.

With the demo loaded and the sweep run: Pujiang Cold-Chain (zhao.qiang, 33 days) is back in
the Shanghai pool, Mingde (wu.jing, 28 days) goes back within days, and wang.fang's Shenkang
(12 days) and Hengtong (20 days) are flagged.
"""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

import bootstrap
from tests.web.conftest import csrf_token
from workflows.accounts.models import Account, Contact
from workflows.leads.models import Pool

SHENKANG, HENGTONG = "申康医疗器械有限公司 Shenkang Medical Devices", "恒通工业自动化有限公司 Hengtong Industrial Automation"
PUJIANG, MINGDE = "浦江冷链仓储有限公司 Pujiang Cold-Chain Warehousing", "明德精密机械有限公司 Mingde Precision Machinery"


def demo(container: bootstrap.Container) -> dict[str, int]:
    """The demo company with its follow-up cycles running: account names and pool names → ids."""
    bootstrap.deploy_shipped(container)
    bootstrap.load_demo(container)
    bootstrap.follow_up_leads(container)
    with container.session_factory() as session:
        return dict(session.execute(select(Account.name, Account.id)).all()) | dict(
            session.execute(select(Pool.name, Pool.id)).all())


def post(client: FlaskClient, url: str, page: str, **fields: object):
    """Submit a form of ``page`` the way a browser does, following the redirect."""
    return client.post(url, data={"csrf_token": csrf_token(client.get(page).text), **fields},
                       follow_redirects=True)


def owner_of(container: bootstrap.Container, account_id: int) -> str | None:
    with container.session_factory() as session:
        return session.get_one(Account, account_id).owner


def test_accounts_nobody_reached_are_flagged_filtered_and_counted_on_the_start_page(login, container, app):
    ids = demo(container)
    rep = login("wang.fang")
    listed = rep.get("/accounts").text
    assert 'class="flag flag-7"' in listed and 'class="flag flag-15"' in listed
    fifteen = rep.get("/accounts?no_contact=15").text
    assert HENGTONG in fifteen and SHENKANG not in fifteen and "1 account" in fifteen
    assert SHENKANG in rep.get("/accounts?no_contact=7").text
    assert SHENKANG in rep.get("/accounts?no_contact=3").text  # not a band: ignored, never applied
    start = rep.get("/tasks").text
    assert "Accounts without contact" in start and "/accounts?no_contact=7" in start
    page = rep.get(f"/accounts/{ids[HENGTONG]}").text
    assert "Goes back to the pool “上海公海 Shanghai pool”" in page and "15+ days without contact" in page


def test_the_forecast_lists_the_accounts_going_back_and_why_to_those_who_see_them(login, container):
    demo(container)
    manager = login("huang.lei")  # wu.jing's manager, reads Chinese
    soon = manager.get("/leads/recycling?window=week").text
    assert MINGDE in soon and "上海公海 Shanghai pool" in soon
    assert MINGDE not in login("wang.fang").get("/leads/recycling?window=week").text  # another team's


def test_a_pool_member_claims_a_recycled_account_from_the_pool_page(login, container):
    ids = demo(container)
    pool, pujiang = ids["上海公海 Shanghai pool"], ids[PUJIANG]
    rep = login("wang.fang")
    waiting = rep.get(f"/pools/{pool}/waiting").text
    assert PUJIANG in waiting and "zhao.qiang" in waiting  # its last owner
    pools = rep.get("/pools").text
    assert f"/pools/{pool}/waiting" in pools and f'href="/pools/{pool}"' not in pools  # only its admins run it
    assert f'href="/pools/{pool}"' in login("liu.yang").get("/pools").text
    done = post(rep, f"/pools/{pool}/claim", f"/pools/{pool}/waiting", kind="account", record_id=pujiang)
    assert "The account is yours now." in done.text and PUJIANG not in done.text
    assert owner_of(container, pujiang) == "wang.fang"
    with container.session_factory() as session:
        assert set(session.scalars(select(Contact.owner).where(Contact.account_id == pujiang))) == {"wang.fang"}
    page = rep.get(f"/accounts/{pujiang}").text
    assert "Goes back to the pool" in page  # followed up by its new owner from now

    again = post(rep, f"/pools/{pool}/claim", f"/pools/{pool}/waiting", kind="lead", record_id=999999)
    assert again.status_code == 404  # a record out of sight "does not exist"
    bad = rep.post(f"/pools/{pool}/claim", data={"csrf_token": csrf_token(rep.get("/pools").text),
                                                 "kind": "opportunity", "record_id": "1"})
    assert bad.status_code == 400


def test_another_branch_neither_sees_nor_claims_the_pools_accounts_by_changing_the_id(login, container):
    ids = demo(container)
    pool, pujiang = ids["上海公海 Shanghai pool"], ids[PUJIANG]
    outsider = login("sun.li")  # Hangzhou; reads Chinese
    assert PUJIANG not in outsider.get("/accounts?scope=pool").text
    for url in (f"/pools/{pool}/waiting", f"/accounts/{pujiang}", f"/accounts/{pujiang}/edit"):
        assert outsider.get(url).status_code == 404, url
    token = csrf_token(outsider.get("/accounts").text)
    claim = outsider.post(f"/accounts/{pujiang}/claim", data={"csrf_token": token})
    assert claim.status_code == 404 and "此客户不存在" in claim.text  # "This account does not exist"
    from_pool = outsider.post(f"/pools/{pool}/claim", data={"csrf_token": token, "kind": "account",
                                                            "record_id": str(pujiang)})
    assert from_pool.status_code == 404 and "此公海不存在" in from_pool.text  # "This pool does not exist"
    assert outsider.post(f"/accounts/{pujiang}/claim").status_code == 400  # no token
    assert owner_of(container, pujiang) is None


def test_an_owner_releases_an_account_and_may_not_take_it_straight_back(login, container):
    ids = demo(container)
    pool, shenkang = ids["上海公海 Shanghai pool"], ids[SHENKANG]
    rep = login("wang.fang")
    done = post(rep, f"/accounts/{shenkang}/release", f"/accounts/{shenkang}", pool_id=pool)
    assert "The account is back in the pool." in done.text and "Claim this account" in done.text
    assert owner_of(container, shenkang) is None
    assert SHENKANG in rep.get("/accounts?scope=pool").text and SHENKANG in rep.get(f"/pools/{pool}/waiting").text

    edit = rep.get(f"/accounts/{shenkang}/edit").text  # a pool's account is claimed, not given away here
    assert "Nobody: waiting in the public pool" in edit
    token = csrf_token(edit)
    refused = rep.post(f"/accounts/{shenkang}/edit", data={"csrf_token": token, "name": SHENKANG,
                                                           "category": "vip", "account_type": "end_customer",
                                                           "owner": "wang.fang"})
    assert refused.status_code == 400 and "claim it to make it yours" in refused.text

    back = post(rep, f"/accounts/{shenkang}/claim", f"/accounts/{shenkang}")
    assert "you may claim it again from" in back.text and owner_of(container, shenkang) is None
    colleague = login("zhang.wei")
    taken = post(colleague, f"/accounts/{shenkang}/claim", f"/accounts/{shenkang}")
    assert "该客户现在归您了。" in taken.text and owner_of(container, shenkang) == "zhang.wei"  # he reads Chinese
