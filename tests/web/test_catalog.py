"""Products and price lists in the browser's HTML: everyone browses, only admins change."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import bootstrap
from tests.web.conftest import csrf_token
from tests.web.test_accounts import post_form
from workflows.catalog.demo import CHANNEL, STANDARD, load_demo_catalog
from workflows.catalog.models import PriceList, PriceListEntry, Product


@pytest.fixture
def catalog(app, container: bootstrap.Container) -> dict[str, int]:
    with container.uow() as uow:
        load_demo_catalog(uow.session)
        uow.commit()
    with container.session_factory() as session:
        return {**dict(session.execute(select(PriceList.name, PriceList.id)).all()),
                "agv": session.scalars(select(Product.id).where(Product.code == "AGV-L500")).one()}


def test_a_rep_browses_the_products_with_their_prices(login, catalog):
    rep = login("wang.fang")
    page = rep.get("/products").text
    assert "AGV-L500" in page and "CN¥168,000.00" in page and "11 products" in page
    assert "New product" not in page
    assert "CN¥142,800.00" in rep.get(f"/products?price_list={catalog[CHANNEL]}").text  # 85% for partners
    assert "SVC-MAINT" in rep.get("/products?q=maint").text and "AGV-L500" not in rep.get("/products?q=maint").text


@pytest.mark.parametrize("username", ["wang.fang", "liu.yang", "chen.hao"])
def test_no_one_but_an_admin_opens_or_posts_to_the_catalogue_forms(login, catalog, username):
    client = login(username)
    token = csrf_token(client.get("/products").text)
    pages = ["/products/new", f"/products/{catalog['agv']}", "/price-lists", f"/price-lists/{catalog[STANDARD]}"]
    for url in pages:
        assert client.get(url).status_code == 403, url
        assert client.post(url, data={"csrf_token": token, "name": "X", "code": "X"}).status_code == 403, url
    prices = f"/price-lists/{catalog[STANDARD]}/prices"
    assert client.post(prices, data={"csrf_token": token, "product_id": catalog["agv"], "unit_price": "1"}
                       ).status_code == 403
    assert client.post(f"{prices}/{catalog['agv']}/remove", data={"csrf_token": token}).status_code == 403


def test_an_admin_adds_a_product_and_a_taken_code_is_refused(login, catalog, container):
    admin = login("admin")
    added = post_form(admin, "/products/new", code="agv-x1", name="AGV X1", unit="台", active="y")
    assert added.status_code == 302 and "AGV-X1" in admin.get("/products?q=x1").text
    taken = post_form(admin, "/products/new", code="AGV-L500", name="Again")
    assert taken.status_code == 400 and "is already used by another product" in taken.text
    with container.session_factory() as session:
        assert session.scalars(select(Product).where(Product.name == "Again")).first() is None


def test_a_negative_price_is_refused_beside_the_field(login, catalog, container):
    admin = login("admin")
    url = f"/price-lists/{catalog[STANDARD]}"
    token = csrf_token(admin.get(url).text)
    response = admin.post(f"{url}/prices", data={"csrf_token": token, "product_id": catalog["agv"],
                                                 "unit_price": "-100"})
    assert response.status_code == 400 and "must be an amount of 0 or more" in response.text
    with container.session_factory() as session:
        entry = session.get(PriceListEntry, (catalog[STANDARD], catalog["agv"]))
        assert entry is not None and str(entry.unit_price) == "168000.00"
    admin.post(f"{url}/prices", data={"csrf_token": token, "product_id": catalog["agv"], "unit_price": "159000"})
    assert "CN¥159,000.00" in admin.get(url).text


def test_making_another_list_the_default_takes_the_flag_from_the_old_one(login, catalog):
    admin = login("admin")
    response = post_form(admin, f"/price-lists/{catalog[CHANNEL]}", name=CHANNEL, is_default="y", active="y")
    assert response.status_code == 302
    assert f"{CHANNEL} (default)" in admin.get("/products").text
    refused = post_form(admin, f"/price-lists/{catalog[CHANNEL]}", name=CHANNEL, active="y")
    assert refused.status_code == 400 and "one price list is always the default" in refused.text
    added = post_form(admin, "/price-lists", name="2027 price list", active="y")
    assert added.status_code == 302 and "2027 price list" in admin.get("/price-lists").text
