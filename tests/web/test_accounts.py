"""Accounts and contacts in the browser's HTML: the list, the forms and the 360° account page.

wang.fang (Team 1, English) and zhang.wei (Team 1, Chinese) are reps, liu.yang manages
Team 1, sun.li is a rep in Hangzhou. The demo customers are loaded (see accounts/demo.py).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

import bootstrap
from tests.deals import add_deal
from tests.web.conftest import csrf_token
from workflows.accounts.demo import load_demo_accounts
from workflows.accounts.models import Account, Contact
from workflows.catalog.demo import load_demo_catalog
from workflows.catalog.models import Product
from workflows.opportunities.models import BusinessType, Quote, QuoteLine

SHENKANG = "申康医疗器械有限公司 Shenkang Medical Devices"  # wang.fang's
RENHE = "杭州仁和医院 Hangzhou Renhe Hospital"  # ma.chao's, in Hangzhou


@pytest.fixture
def customers(app, container: bootstrap.Container) -> dict[str, int]:
    with container.uow() as uow:
        load_demo_catalog(uow.session)
        load_demo_accounts(uow.session, container.engine.clock.now())
        uow.commit()
    with container.session_factory() as session:
        return dict(session.execute(select(Account.name, Account.id)).all())


def post_form(client: FlaskClient, url: str, **fields: object):
    """Submit a form the way a browser does: the token comes from the page itself."""
    return client.post(url, data={"csrf_token": csrf_token(client.get(url).text), **fields})


def count(container: bootstrap.Container, model: type) -> int:
    with container.session_factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_rep_creates_an_account_and_lands_on_its_page(login, customers):
    rep = login("wang.fang")
    response = post_form(rep, "/accounts/new", name="Pudong Robotics", industry="Manufacturing",
                         category="vip", account_type="end_customer", credit_rating="B", region="上海 Shanghai")
    assert response.status_code == 302
    page = rep.get(response.location).text
    assert "Pudong Robotics" in page and "VIP" in page and "wang.fang" in page
    assert "Pudong Robotics" in rep.get("/accounts?q=pudong").text


def test_bad_input_names_the_fields_keeps_the_input_and_saves_nothing(login, container, customers):
    before = count(container, Account)
    response = post_form(login("wang.fang"), "/accounts/new", name="", category="gold", phone="021-1234",
                         account_type="end_customer")
    assert response.status_code == 400
    assert "is required" in response.text and "is not one of the allowed values" in response.text
    assert 'value="021-1234"' in response.text
    assert count(container, Account) == before


def test_a_rep_of_another_team_neither_lists_nor_opens_an_account(login, customers, container):
    stranger = login("sun.li")
    assert SHENKANG not in stranger.get("/accounts").text
    account_id = customers[SHENKANG]
    with container.session_factory() as session:
        contact_id = session.scalars(select(Contact.id).where(Contact.account_id == account_id)).first()
    for url in (f"/accounts/{account_id}", f"/accounts/{account_id}/edit", f"/contacts/{contact_id}",
                f"/contacts/new?account_id={account_id}", "/accounts/999999", "/accounts/99999999999999999999999",
                "/contacts/new?account_id=99999999999999999999999", "/contacts/new"):
        assert stranger.get(url).status_code == 404, url
    token = csrf_token(stranger.get("/accounts").text)
    assert stranger.post(f"/accounts/{account_id}/edit", data={"csrf_token": token, "name": "X"}).status_code == 404


def test_a_manager_lists_the_teams_accounts_and_filters_by_owner(login, customers):
    page = login("liu.yang").get("/accounts").text
    assert SHENKANG in page and "Huajin Auto Parts Group" in page and RENHE not in page
    assert "12 accounts" in login("admin").get("/accounts").text
    assert "Huajin" not in login("liu.yang").get("/accounts?owner=wang.fang").text
    assert "No account matches." in login("wang.fang").get("/accounts?category=strategic").text


def test_a_manager_gives_an_account_to_a_rep_of_the_team(login, customers, container):
    account_id = customers[SHENKANG]
    manager = login("liu.yang")
    form = manager.get(f"/accounts/{account_id}/edit").text
    assert 'value="sun.li"' not in form  # only the team can be chosen
    response = post_form(manager, f"/accounts/{account_id}/edit", name=SHENKANG, category="vip",
                         account_type="end_customer", owner="zhang.wei")
    assert response.status_code == 302
    assert login("zhang.wei").get(f"/accounts/{account_id}").status_code == 200
    assert login("wang.fang").get(f"/accounts/{account_id}").status_code == 404
    with container.session_factory() as session:
        assert set(session.scalars(select(Contact.owner).where(Contact.account_id == account_id))) == {"zhang.wei"}


@pytest.fixture
def pipeline(customers, container: bootstrap.Container) -> dict[str, int]:
    """On Shenkang: wang.fang's open deal with a sent quote, and zhang.wei's deal she may not see."""
    now = container.engine.clock.now()
    with container.uow() as uow:
        kind = BusinessType(name="Standard sale", process_key="standard_sale")
        uow.session.add(kind)
        uow.session.flush()
        fields = {"account_id": customers[SHENKANG], "business_type_id": kind.id, "created_at": now,
                  "updated_at": now}
        mine = add_deal(uow.session, name="Cleanroom AGVs", owner="wang.fang", amount=Decimal("336000"),
                        stage="quotation", stage_name="Quotation", probability=40, **fields)
        hidden = add_deal(uow.session, name="Zhang's side deal", owner="zhang.wei", amount=Decimal("1000"),
                          **fields)
        agv = uow.session.scalars(select(Product.id).where(Product.code == "AGV-L500")).one()
        uow.session.add(Quote(opportunity_id=mine, number="Q-2026-00007", status="sent", created_by="wang.fang",
                              created_at=now, lines=[QuoteLine(position=1, product_id=agv, quantity=2,
                                                               unit_price=Decimal("168000"), discount_percent=5)]))
        uow.commit()
    return {"mine": mine, "hidden": hidden, "account": customers[SHENKANG]}


def test_the_360_page_shows_contacts_deals_and_quotes_the_rep_may_see(login, pipeline):
    page = login("wang.fang").get(f"/accounts/{pipeline['account']}").text
    assert "David Chen" in page and "Procurement manager" in page and "Jan 30, 1985" in page
    assert "Cleanroom AGVs" in page and "Quotation" in page and "40%" in page and "CN¥336,000.00" in page
    assert f'href="/opportunities/{pipeline["mine"]}"' in page
    assert "Zhang&#39;s side deal" not in page and f'/opportunities/{pipeline["hidden"]}"' not in page
    assert "Q-2026-00007" in page and "CN¥319,200.00" in page and "Sent" in page  # 2 × 168,000 less 5%
    assert f'/opportunities/{pipeline["mine"]}/quotes/new' in page


def test_the_manager_sees_every_team_deal_on_the_360_page(login, pipeline):
    page = login("liu.yang").get(f"/accounts/{pipeline['account']}").text
    assert "Cleanroom AGVs" in page and "Zhang&#39;s side deal" in page


def test_the_360_page_works_in_chinese(login, customers):
    page = login("zhang.wei").get(f"/accounts/{customers['华锦汽车零部件集团 Huajin Auto Parts Group']}")
    assert page.status_code == 200 and '<html lang="zh' in page.text
    assert "Huajin Auto Parts (Shanghai)" in page.text  # the subsidiary zhang.wei owns
    assert "Huajin Auto Parts (Hangzhou)" not in page.text  # sun.li's, in another branch


def test_a_contact_is_added_and_a_bad_birthday_is_refused(login, container, customers):
    rep = login("wang.fang")
    account_id = customers[SHENKANG]
    url = f"/contacts/new?account_id={account_id}"
    before = count(container, Contact)
    refused = post_form(rep, url, account_id=account_id, name="Lily Zhou", birthday="tomorrow", email="lily@")
    assert refused.status_code == 400
    assert "must be a date (YYYY-MM-DD)" in refused.text and "is not a valid email address" in refused.text
    assert count(container, Contact) == before
    added = post_form(rep, url, account_id=account_id, name="Lily Zhou", birthday="1992-07-01",
                      email="lily@shenkang.example.com")
    assert added.status_code == 302 and added.location.endswith(f"/accounts/{account_id}")
    assert "Lily Zhou" in rep.get(f"/accounts/{account_id}").text


def test_a_contact_is_edited_in_place(login, container, customers):
    rep = login("wang.fang")
    with container.session_factory() as session:
        contact = session.scalars(select(Contact).where(Contact.name == "David Chen")).one()
    response = post_form(rep, f"/contacts/{contact.id}", account_id=contact.account_id, name="David Chen",
                         title="Head of procurement", birthday="1985-01-30")
    assert response.status_code == 302
    assert "Head of procurement" in rep.get(f"/accounts/{contact.account_id}").text


def test_the_list_pages_through_many_accounts(login, container, app):
    now = container.engine.clock.now()
    with container.uow() as uow:
        uow.session.add_all([Account(name=f"Account {n:02d}", owner="wang.fang", created_at=now, updated_at=now)
                             for n in range(30)])
        uow.commit()
    rep = login("wang.fang")
    first = rep.get("/accounts").text
    assert "Account 00" in first and "Account 29" not in first and 'href="/accounts?page=2"' in first
    assert "Account 29" in rep.get("/accounts?page=2").text
    for url in ("/accounts?page=99999999999999999999", "/products?page=99999999999999999999"):
        assert rep.get(url).status_code == 200  # an absurd page is empty, not an error
