"""Contracts in the browser's HTML: made from scratch or an accepted quote, with figures,
the collection plan, and the admin-only contract types; others' contracts answer 404."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

import bootstrap
from tests import diagrams
from tests.deals import standard_sale
from tests.web.conftest import csrf_token
from workflows.catalog.demo import load_demo_catalog
from workflows.catalog.models import Product
from workflows.contracts import status
from workflows.contracts.models import Collection, Contract, ContractType, Instalment
from workflows.opportunities.service import OpportunityInput, create_opportunity
from workflows.org.models import User
from workflows.org.visibility import viewer_of


@pytest.fixture
def world(app, container: bootstrap.Container) -> dict[str, int]:
    """wang.fang's deal on ACME running the shipped pipeline, the demo catalogue and a contract type."""
    sale = standard_sale(container)
    with container.uow() as uow:
        load_demo_catalog(uow.session)
        contract_type = ContractType(name="Product sale", approval_process_key="contract_approval")
        uow.session.add(contract_type)
        rep = viewer_of(uow.session.scalars(select(User).where(User.username == "wang.fang")).one())
        deal = create_opportunity(uow.session, container.engine, rep, OpportunityInput(
            name="Cleanroom AGVs", account_id=str(sale["account"]), business_type_id=str(sale["type"]),
            amount="300000"), container.engine.clock.now())
        codes = {code: i for code, i in uow.session.execute(select(Product.code, Product.id))}
        uow.commit()
    return {"acme": sale["account"], "deal": deal.id, "type": contract_type.id, "agv": codes["AGV-L500"]}


def fields(world, *lines: tuple[int | str, str, str], **values: str) -> dict[str, object]:
    data: dict[str, object] = {"account_id": world["acme"], "contract_type_id": world["type"],
                               "opportunity_id": world["deal"], "sales_expense": "12000",
                               "cost_reserve": "200000", "maintenance_reserve": "0", **values}
    for row, (product, quantity, price) in enumerate(lines or ((world["agv"], "2", "150000"),)):
        data |= {f"lines-{row}-product_id": product, f"lines-{row}-quantity": quantity,
                 f"lines-{row}-unit_price": price}
    return data


def make_contract(client, world, *lines, **values) -> str:
    url = f"/contracts/new?account_id={world['acme']}"
    response = client.post(url, data={"csrf_token": csrf_token(client.get(url).text),
                                      **fields(world, *lines, **values)})
    assert response.status_code == 302, response.text
    return response.location


def activate(container: bootstrap.Container) -> None:
    with container.uow() as uow:
        for contract in uow.session.scalars(select(Contract)):
            status.mark_submitted(contract, container.engine.clock.now())
            status.mark_active(contract, container.engine.clock.now())
        uow.commit()


def test_a_rep_makes_a_contract_and_sees_its_figures_on_every_page(login, world):
    rep = login("wang.fang")
    page = rep.get(make_contract(rep, world)).text
    assert "C-2026-00001" in page and "Draft" in page and "ACME" in page and "Cleanroom AGVs" in page
    assert "CN¥300,000.00" in page and "CN¥88,000.00" in page and "29.33%" in page  # revenue, margin, %
    for url in ("/contracts", f"/accounts/{world['acme']}", f"/opportunities/{world['deal']}"):
        assert "C-2026-00001" in rep.get(url).text and "29.33%" in rep.get(url).text, url


def test_bad_input_answers_400_naming_the_field_and_saves_nothing(login, container, world):
    rep = login("wang.fang")
    url = "/contracts/new"
    response = rep.post(url, data={"csrf_token": csrf_token(rep.get(url).text),
                                   **fields(world, (world["agv"], "0", "150000"), cost_reserve="abc")})
    assert response.status_code == 400
    assert "must be a whole number from 1 to 1000000" in response.text
    assert "must be an amount of 0 or more" in response.text and "lines-0-quantity:" not in response.text
    assert re.search(r'name="cost_reserve"[^>]*value="abc"', response.text)  # the input is kept
    response = rep.post(url, data={"csrf_token": csrf_token(rep.get(url).text), "account_id": world["acme"]})
    assert response.status_code == 400 and "add at least one product" in response.text  # no rows at all
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Contract)) == 0


def test_another_teams_rep_gets_404_everywhere(login, container, world):
    url = make_contract(login("wang.fang"), world)
    activate(container)
    stranger = login("sun.li")
    token = csrf_token(stranger.get("/contracts").text)
    assert stranger.get(url).status_code == 404 and stranger.get(f"{url}/edit").status_code == 404
    assert stranger.post(f"{url}/plan", data={"csrf_token": token}).status_code == 404
    assert stranger.post(f"{url}/collections", data={"csrf_token": token}).status_code == 404
    assert "C-2026-00001" not in stranger.get("/contracts").text
    assert "C-2026-00001" in login("liu.yang").get(url).text  # the team's manager sees it


def test_a_submitted_contract_is_not_edited(login, container, world):
    rep = login("wang.fang")
    url = make_contract(rep, world)
    assert f"{url}/edit" in rep.get(url).text
    activate(container)
    assert f"{url}/edit" not in rep.get(url).text
    assert "can be edited" in rep.get(f"{url}/edit", follow_redirects=True).text
    token = csrf_token(rep.get(url).text)
    response = rep.post(f"{url}/edit", data={"csrf_token": token, **fields(world)}, follow_redirects=True)
    assert "can be edited" in response.text


def test_the_collection_plan_adds_up_and_collections_reduce_what_is_outstanding(login, container, world):
    rep = login("wang.fang")
    url = make_contract(rep, world)
    activate(container)
    token = csrf_token(rep.get(url).text)
    plan = {"csrf_token": token, "instalments-0-due_on": "2026-02-01", "instalments-0-amount": "100000",
            "instalments-1-due_on": "2026-06-01", "instalments-1-amount": "150000"}
    response = rep.post(f"{url}/plan", data=plan)
    assert response.status_code == 400 and "this amount would have to be 200000.00" in response.text
    empty = rep.post(f"{url}/plan", data={"csrf_token": token})
    assert empty.status_code == 400 and "add at least one instalment" in empty.text
    assert rep.post(f"{url}/plan", data=plan | {"instalments-1-amount": "200000"}).status_code == 302
    with container.session_factory() as session:
        first = session.scalars(select(Instalment.id).order_by(Instalment.position)).first()
    today = container.engine.clock.now().date().isoformat()
    collection = {"csrf_token": token, "instalment_id": first, "received_on": today}
    response = rep.post(f"{url}/collections", data=collection | {"amount": "100000.01"})
    assert response.status_code == 400 and "still outstanding on this instalment" in response.text
    assert rep.post(f"{url}/collections", data=collection | {"amount": "40000"}).status_code == 302
    page = rep.get(url).text
    assert "CN¥60,000.00" in page and "CN¥260,000.00" in page  # the instalment's and the total outstanding
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Collection)) == 1


def test_an_accepted_quote_becomes_a_contract_from_its_page(login, container, world):
    rep = login("wang.fang")
    new_quote = f"/opportunities/{world['deal']}/quotes/new"
    form = rep.get(new_quote).text
    price_list = form.split('name="price_list_id"')[1].split('value="')[1].split('"')[0]
    quote = rep.post(new_quote, data={"csrf_token": csrf_token(form), "price_list_id": price_list,
                                      "lines-0-product_id": world["agv"], "lines-0-quantity": "2",
                                      "lines-0-discount_percent": "10"}).location
    assert "Create contract from this quote" not in rep.get(quote).text  # a draft is not a contract yet
    rep.post(f"{quote}/status/accepted", data={"csrf_token": csrf_token(form)})
    page = rep.get(quote).text
    assert "Create contract from this quote" in page
    response = rep.post(f"{quote}/contract", data={"csrf_token": csrf_token(page),
                                                   "contract_type_id": world["type"]})
    assert response.status_code == 302
    assert "CN¥302,400.00" in rep.get(response.location).text
    again = rep.post(f"{quote}/contract", data={"csrf_token": csrf_token(page), "contract_type_id": world["type"]},
                     follow_redirects=True)
    assert "was already made from this quote" in again.text


def test_only_admins_manage_contract_types(login, container, world):
    assert login("liu.yang").get("/admin/contract-types").status_code == 403
    admin = login("admin")
    page = admin.get("/admin/contract-types").text
    assert "Product sale" in page and "contract_approval" in page
    response = admin.post("/admin/contract-types", data={"csrf_token": csrf_token(page), "name": "Service",
                                                        "approval_process_key": "nope", "active": "y"})
    assert response.status_code == 400 and "no process with this key is deployed" in response.text
    with container.uow() as uow:
        container.engine.deploy(uow.session, {"p.bpmn": diagrams.two_stages()}, "designer")
        uow.commit()
    response = admin.post("/admin/contract-types", data={"csrf_token": csrf_token(page), "name": "Service",
                                                        "approval_process_key": "p", "active": "y"})
    assert response.status_code == 302
    with container.session_factory() as session:
        assert session.scalars(select(ContractType.approval_process_key).where(
            ContractType.name == "Service")).one() == "p"


def test_an_overdue_instalment_is_a_task_until_the_money_is_recorded(login, container, world):
    rep = login("wang.fang")
    url = make_contract(rep, world)
    activate(container)
    token = csrf_token(rep.get(url).text)
    rep.post(f"{url}/plan", data={"csrf_token": token, "instalments-0-due_on": "2026-01-31",
                                  "instalments-0-amount": "300000"})
    container.engine.clock.set(container.engine.clock.now().replace(month=2, day=2))
    assert len(bootstrap.chase_overdue(container).started) == 1
    assert "Chase overdue payment" in rep.get("/tasks").text

    with container.session_factory() as session:
        instalment = session.scalars(select(Instalment.id)).one()
    rep.post(f"{url}/collections", data={"csrf_token": token, "instalment_id": instalment, "amount": "300000",
                                         "received_on": container.engine.clock.now().date().isoformat()})
    assert "Chase overdue payment" not in rep.get("/tasks").text
