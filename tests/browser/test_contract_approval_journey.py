"""In a real browser: a rep submits a 15% contract and sees its three approvers, the service
director rejects it with a comment, the rep revises it to 25% and resubmits, the two
directors it now needs approve from their inboxes, and the collection plan appears."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

import bootstrap
from tests.usecases import run
from workflows.accounts.models import Account
from workflows.catalog.demo import load_demo_catalog
from workflows.catalog.models import Product
from workflows.contracts import service
from workflows.contracts.models import Contract, ContractType
from workflows.contracts.service import ContractInput, ContractLineInput
from workflows.org.models import User
from workflows.org.visibility import viewer_of

SD, CD, SVC = "陈浩", "李明", "赵丽"  # the Shanghai sales director, commercial and service directors


def fifteen_percent_contract(container: bootstrap.Container) -> Contract:
    """wang.fang's draft: 100,000.00 of AGVs against 85,000.00 of costs."""
    bootstrap.deploy_shipped(container)
    now = container.engine.clock.now()
    with container.uow() as uow:
        load_demo_catalog(uow.session)
        account = Account(name="ACME Robotics", owner="wang.fang", created_at=now, updated_at=now)
        kind = ContractType(name="Product sale", approval_process_key="contract_approval")
        uow.session.add_all([account, kind])
        uow.session.flush()
        agv = uow.session.scalars(select(Product.id).where(Product.code == "AGV-L500")).one()
        rep = viewer_of(uow.session.scalars(select(User).where(User.username == "wang.fang")).one())
        uow.commit()
    data = ContractInput(account_id=str(account.id), contract_type_id=str(kind.id),
                         lines=(ContractLineInput(str(agv), "1", "100000.00"),), cost_reserve="85000.00")
    return run(container, service.create_contract, rep, data, now)


def test_a_contract_goes_round_the_approval_loop_to_its_collection_plan(
        container: bootstrap.Container, live_server: str, log_in):
    contract = fifteen_percent_contract(container)
    rep = log_in("wang.fang")
    rep.goto(f"{live_server}/contracts/{contract.id}/submit")
    route = rep.locator("#route").inner_text()
    assert "15.00%" in route and all(name in route for name in (SD, CD, SVC))
    rep.fill("#note", "Rush order for January")
    with rep.expect_navigation():
        rep.click("form.stacked button[type=submit]")

    service_director = log_in("zhao.li")
    service_director.goto(f"{live_server}/approvals")
    service_director.click(f"tbody tr:has-text('{contract.number}') a[href*='reject']")
    service_director.fill("#comment", "服务成本低估了 Service cost is underestimated")
    with service_director.expect_navigation():
        service_director.click("form.stacked button[type=submit]")
    assert contract.number in service_director.locator("main").inner_text()

    rep.goto(f"{live_server}/contracts/{contract.id}")
    assert "Service cost is underestimated" in rep.locator("main").inner_text()
    rep.goto(f"{live_server}/contracts/{contract.id}/edit")
    rep.fill("#cost_reserve", "75000.00")
    with rep.expect_navigation():
        rep.click("form.stacked button[type=submit]")
    rep.goto(f"{live_server}/contracts/{contract.id}/submit")
    route = rep.locator("#route").inner_text()
    assert "25.00%" in route and SD in route and CD in route and SVC not in route
    with rep.expect_navigation():
        rep.click("form.stacked button[type=submit]")

    sales_director = log_in("chen.hao")  # approves through the bulk confirmation
    sales_director.goto(f"{live_server}/approvals")
    sales_director.check(f"tbody tr:has-text('{contract.number}') input[name=task_ids]")
    with sales_director.expect_navigation():
        sales_director.click("button[name=decision][value=approve]")
    with sales_director.expect_navigation():
        sales_director.click("form.stacked button[type=submit]")

    commercial_director = log_in("li.ming")  # approves from the row
    commercial_director.goto(f"{live_server}/approvals")
    with commercial_director.expect_navigation():
        commercial_director.click(f"tbody tr:has-text('{contract.number}') button")

    rep.goto(f"{live_server}/contracts/{contract.id}")
    plan = rep.locator("#collection-plan").inner_text()
    assert "100,000.00" in plan
    with container.session_factory() as session:
        assert session.get_one(Contract, contract.id).status == "active"
        assert session.get_one(Contract, contract.id).figures.margin == Decimal("0.2500")
