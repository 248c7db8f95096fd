"""Quotes in the browser's HTML: made on an opportunity, priced from the list, sent and accepted."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

import bootstrap
from tests.deals import add_deal
from tests.web.conftest import csrf_token
from workflows.accounts.models import Account
from workflows.catalog.demo import load_demo_catalog
from workflows.catalog.models import Product
from workflows.opportunities.models import BusinessType, Quote


@pytest.fixture
def deal(app, container: bootstrap.Container) -> dict[str, int]:
    """wang.fang's open deal "Cleanroom AGVs" on ACME, and the demo catalogue."""
    now = container.engine.clock.now()
    with container.uow() as uow:
        load_demo_catalog(uow.session)
        acme = Account(name="ACME", owner="wang.fang", created_at=now, updated_at=now)
        kind = BusinessType(name="Standard sale", process_key="standard_sale")
        uow.session.add_all([acme, kind])
        uow.session.flush()
        deal_id = add_deal(uow.session, name="Cleanroom AGVs", account_id=acme.id, business_type_id=kind.id,
                           owner="wang.fang", amount=Decimal("300000"), created_at=now, updated_at=now)
        codes = {code: i for code, i in uow.session.execute(select(Product.code, Product.id))}
        uow.commit()
    return {"deal": deal_id, "agv": codes["AGV-L500"], "install": codes["SVC-INSTALL"]}


def lines(*rows: tuple[int | str, str, str, str]) -> dict[str, object]:
    """Form fields for the lines table, as the browser names them."""
    fields: dict[str, object] = {}
    for row, (product, quantity, price, discount) in enumerate(rows):
        fields |= {f"lines-{row}-product_id": product, f"lines-{row}-quantity": quantity,
                   f"lines-{row}-unit_price": price, f"lines-{row}-discount_percent": discount}
    return fields


def submit(client, url: str, **fields: object):
    page = client.get(url).text
    price_list = page.split('name="price_list_id"')[1].split('value="')[1].split('"')[0]  # the preselected list
    return client.post(url, data={"csrf_token": csrf_token(page), "price_list_id": price_list, **fields})


def make_quote(client, deal) -> str:
    response = submit(client, f"/opportunities/{deal['deal']}/quotes/new",
                      **lines((deal["agv"], "2", "", "10"), (deal["install"], "5", "", "0"), ("", "1", "", "0")))
    assert response.status_code == 302, response.text
    return response.location


def test_a_rep_makes_a_quote_priced_from_the_list(login, deal):
    rep = login("wang.fang")
    form = rep.get(f"/opportunities/{deal['deal']}/quotes/new").text
    assert "Cleanroom AGVs" in form and "AGV-L500" in form and "CN¥168,000.00" in form
    page = rep.get(make_quote(rep, deal)).text
    assert "Q-2026-00001" in page and "Draft" in page
    assert "CN¥302,400.00" in page and "CN¥12,500.00" in page and "CN¥314,900.00" in page
    assert f'href="/opportunities/{deal["deal"]}"' in page and "ACME" in page


def test_a_quantity_of_zero_is_refused_on_its_row_and_nothing_is_saved(login, container, deal):
    rep = login("wang.fang")
    response = submit(rep, f"/opportunities/{deal['deal']}/quotes/new",
                      **lines((deal["agv"], "0", "", "0"), (deal["install"], "1", "-3", "0")))
    assert response.status_code == 400
    assert "must be a whole number from 1 to 1000000" in response.text
    assert "lines-0-quantity:" not in response.text  # beside its field, not above the form
    assert "must be an amount of 0 or more" in response.text
    assert re.search(r'name="lines-0-quantity"[^>]*value="0"', response.text)  # the input is kept
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Quote)) == 0


def test_a_rep_of_another_team_gets_404_for_the_quote_and_its_form(login, deal):
    quote_url = make_quote(login("wang.fang"), deal)
    for username in ("sun.li", "zhang.wei"):
        stranger = login(username)
        assert stranger.get(quote_url).status_code == 404
        assert stranger.get(f"{quote_url}/edit").status_code == 404
        assert stranger.get(f"/opportunities/{deal['deal']}/quotes/new").status_code == 404
        token = csrf_token(stranger.get("/tasks").text)
        assert stranger.post(f"{quote_url}/status/sent", data={"csrf_token": token}).status_code == 404
    assert "Q-2026-00001" in login("liu.yang").get(quote_url).text  # the team's manager sees it


def test_a_draft_is_edited_and_a_sent_quote_is_not(login, deal):
    rep = login("wang.fang")
    url = make_quote(rep, deal)
    edit = rep.get(f"{url}/edit").text
    assert 'value="2"' in edit  # the saved lines are filled in
    response = submit(rep, f"{url}/edit", **lines((deal["install"], "4", "2400", "0")))
    assert response.status_code == 302 and "CN¥9,600.00" in rep.get(url).text
    rep.post(f"{url}/status/sent", data={"csrf_token": csrf_token(rep.get(url).text)})
    page = rep.get(url).text
    assert "Sent" in page and f"{url}/edit" not in page
    assert "Only a draft quote can be edited." in rep.get(f"{url}/edit", follow_redirects=True).text


def test_a_second_accepted_quote_is_refused_with_a_clear_message(login, deal, container):
    rep = login("wang.fang")
    first, second = make_quote(rep, deal), make_quote(rep, deal)
    token = csrf_token(rep.get(first).text)
    rep.post(f"{first}/status/accepted", data={"csrf_token": token})
    response = rep.post(f"{second}/status/accepted", data={"csrf_token": token}, follow_redirects=True)
    assert "Quote Q-2026-00001 is already accepted for this opportunity" in response.text
    with container.session_factory() as session:
        assert list(session.scalars(select(Quote.status).order_by(Quote.id))) == ["accepted", "draft"]
