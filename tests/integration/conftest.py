"""Fixtures for use-case tests: the demo organisation, its people as viewers, a world for contracts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

import bootstrap
from bootstrap import Container
from core.clock import ManualClock
from tests.deals import add_deal
from workflows.accounts.models import Account
from workflows.catalog.demo import STANDARD, load_demo_catalog
from workflows.catalog.models import PriceList, Product
from workflows.contracts.models import ContractType
from workflows.opportunities.models import BusinessType
from workflows.org.demo import load_demo
from workflows.org.models import User
from workflows.org.visibility import Viewer, viewer_for


@pytest.fixture
def demo(container: Container, clock: ManualClock) -> dict[str, int]:
    """The demo organisation, as username → user id."""
    with container.uow() as uow:
        load_demo(uow.session, clock.now())
        uow.commit()
    with container.session_factory() as session:
        return dict(session.execute(select(User.username, User.id)).all())


@pytest.fixture
def as_(container: Container, demo: dict[str, int]):
    def viewer(username: str) -> Viewer:
        with container.session_factory() as session:
            found = viewer_for(session, demo[username])
        assert found is not None
        return found
    return viewer


@pytest.fixture
def world(container: Container, clock, demo) -> dict[str, int]:
    """wang.fang's deal on ACME, sun.li's account Westlake, the catalogue and a contract type."""
    now = clock.now()
    with container.uow() as uow:
        load_demo_catalog(uow.session)
        acme = Account(name="ACME", owner="wang.fang", created_at=now, updated_at=now)
        westlake = Account(name="Westlake", owner="sun.li", created_at=now, updated_at=now)
        kind = BusinessType(name="Standard sale", process_key="standard_sale")
        sale = ContractType(name="Product sale", approval_process_key="contract_approval")
        uow.session.add_all([acme, westlake, kind, sale])
        uow.session.flush()
        deal = add_deal(uow.session, name="40 AGVs", account_id=acme.id, business_type_id=kind.id,
                        owner="wang.fang", amount=Decimal("300000"), created_at=now, updated_at=now)
        codes = {code: i for code, i in uow.session.execute(select(Product.code, Product.id))}
        price_list = uow.session.scalars(select(PriceList.id).where(PriceList.name == STANDARD)).one()
        uow.commit()
    return {"acme": acme.id, "westlake": westlake.id, "deal": deal, "type": sale.id, "list": price_list,
            "agv": codes["AGV-L500"], "install": codes["SVC-INSTALL"]}


@pytest.fixture
def deployed(container: Container, world: dict[str, int]) -> dict[str, int]:
    """The contract world with the shipped processes deployed, for approvals to run."""
    bootstrap.deploy_shipped(container)
    return world
