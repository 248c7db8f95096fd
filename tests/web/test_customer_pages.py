"""Every customer and catalogue page renders in both languages, for a rep and for an admin."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import bootstrap
from tests.web.conftest import csrf_token
from tests.web.test_quotes import deal, make_quote  # noqa: F401  (deal is a fixture)
from workflows.accounts.demo import load_demo_accounts
from workflows.accounts.models import Account, Contact
from workflows.catalog.models import PriceList, Product

REP_PAGES = ["/accounts", "/accounts?category=vip&page=2", "/accounts/new", "/accounts/{account}",
             "/accounts/{account}/edit", "/contacts/new?account_id={account}", "/contacts/{contact}", "/products",
             "/products?q=agv&price_list={price_list}", "/opportunities/{deal}/quotes/new", "{quote}",
             "{quote}/edit"]
ADMIN_PAGES = ["/products/new", "/products/{product}", "/price-lists", "/price-lists/{price_list}"]


@pytest.fixture
def ids(deal, container: bootstrap.Container, login) -> dict[str, object]:  # noqa: F811
    with container.uow() as uow:
        load_demo_accounts(uow.session, container.engine.clock.now())
        uow.commit()
    with container.session_factory() as session:
        account = session.scalars(select(Account).where(Account.name == "ACME")).one()
        found = {"account": account.id, "deal": deal["deal"], "product": deal["agv"],
                 "contact": session.scalars(select(Contact.id).where(Contact.owner == "wang.fang")).first(),
                 "price_list": session.scalars(select(PriceList.id)).first()}
        assert session.scalars(select(Product.id)).first() is not None
    return found | {"quote": make_quote(login("wang.fang"), deal)}


@pytest.mark.parametrize("username, pages", [("wang.fang", REP_PAGES), ("admin", REP_PAGES + ADMIN_PAGES)])
@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_page_renders(login, ids, username, pages, language):
    client = login(username)
    client.post(f"/language/{language}", data={"csrf_token": csrf_token(client.get("/accounts").text)})
    for page in pages:
        response = client.get(page.format(**ids))
        assert response.status_code == 200, (page, response.text[-500:])
        assert ('<html lang="zh-CN">' if language == "zh_CN" else '<html lang="en">') in response.text
