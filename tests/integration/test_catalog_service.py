"""Products, price lists and prices on SQLite and PostgreSQL: admins only, one default list."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bootstrap import Container
from core.errors import InvalidInput, PermissionDenied
from tests.usecases import run
from workflows.catalog import service
from workflows.catalog.models import PriceList, PriceListEntry, Product
from workflows.catalog.service import PriceListInput, ProductInput


def add_list(container: Container, admin, name: str, **flags: bool) -> PriceList:
    return run(container, service.create_price_list, admin, PriceListInput(name=name, **flags))


def defaults(container: Container) -> list[str]:
    with container.session_factory() as session:
        return list(session.scalars(select(PriceList.name).where(PriceList.is_default.is_(True))))


def test_only_admins_change_the_catalogue(container, as_):
    rep = as_("wang.fang")
    with pytest.raises(PermissionDenied):
        run(container, service.create_product, rep, ProductInput(code="X", name="X"))
    with pytest.raises(PermissionDenied):
        run(container, service.create_price_list, as_("chen.hao"), PriceListInput(name="Mine"))
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Product)) == 0


def test_product_codes_are_unique_and_every_field_is_checked(container, as_):
    admin = as_("admin")
    agv = run(container, service.create_product, admin, ProductInput(code=" agv-1 ", name="AGV", unit="台"))
    assert agv.code == "AGV-1"
    with pytest.raises(InvalidInput) as caught:
        run(container, service.create_product, admin, ProductInput(code="AGV-1", name=" ", unit="u" * 21))
    assert set(caught.value.fields) == {"code", "name", "unit"}
    renamed = run(container, service.update_product, admin, agv.id,
                  ProductInput(code="AGV-1", name="AGV robot", active=False))
    assert (renamed.name, renamed.active) == ("AGV robot", False)


def test_inactive_products_are_listed_for_admins_only(container, as_):
    admin = as_("admin")
    for code, active in (("A-1", True), ("B-1", False)):
        run(container, service.create_product, admin, ProductInput(code=code, name=code, active=active))
    rep = as_("wang.fang")
    with container.session_factory() as session:
        assert [p.code for p in service.list_products(session, rep)[0]] == ["A-1"]
        assert service.list_products(session, admin)[1] == 2
        assert [p.code for p in service.list_products(session, admin, search="b-")[0]] == ["B-1"]


def test_exactly_one_price_list_is_the_default(container, as_):
    admin = as_("admin")
    standard = add_list(container, admin, "Standard")  # the first is the default, asked or not
    channel = add_list(container, admin, "Channel")
    assert defaults(container) == ["Standard"]
    run(container, service.update_price_list, admin, channel.id, PriceListInput(name="Channel", is_default=True))
    assert defaults(container) == ["Channel"]
    with pytest.raises(InvalidInput) as caught:
        run(container, service.update_price_list, admin, channel.id, PriceListInput(name="Channel"))
    assert set(caught.value.fields) == {"is_default"}
    with pytest.raises(InvalidInput) as caught:
        run(container, service.update_price_list, admin, channel.id,
            PriceListInput(name="Standard", is_default=True, active=False))
    assert set(caught.value.fields) == {"active", "name"}
    assert defaults(container) == ["Channel"] and standard.id != channel.id


def test_prices_are_non_negative_decimals_with_cents(container, as_):
    admin = as_("admin")
    price_list = add_list(container, admin, "Standard")
    agv = run(container, service.create_product, admin, ProductInput(code="AGV", name="AGV"))
    for bad in ("-1", "12.345", "lots", "", "1e20"):
        with pytest.raises(InvalidInput) as caught:
            run(container, service.set_price, admin, price_list.id, str(agv.id), bad)
        assert set(caught.value.fields) == {"unit_price"}, bad
    with pytest.raises(InvalidInput) as caught:
        run(container, service.set_price, admin, price_list.id, "999999", "1")
    assert set(caught.value.fields) == {"product_id"}
    run(container, service.set_price, admin, price_list.id, str(agv.id), "168,000.5")
    run(container, service.set_price, admin, price_list.id, str(agv.id), "158000")  # a change, not a second row
    with container.session_factory() as session:
        assert service.prices(session, price_list.id, [agv.id]) == {agv.id: Decimal("158000.00")}
    run(container, service.remove_price, admin, price_list.id, agv.id)
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(PriceListEntry)) == 0
