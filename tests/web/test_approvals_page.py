"""The approver inbox in the browser's HTML: the list with its figures, filters and sorts,
deciding one or many (confirmation, then each task's result), and the approval task page."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

import bootstrap
from tests.contracts import at_margin, decide, new_contract, open_approvals, reload, submit
from tests.web.conftest import csrf_token
from workflows.accounts.models import Account
from workflows.catalog.demo import load_demo_catalog
from workflows.catalog.models import Product
from workflows.contracts.models import Contract, ContractType
from workflows.contracts.service import ContractLineInput
from workflows.org.models import User
from workflows.org.visibility import Viewer, viewer_of


@pytest.fixture
def world(app, container: bootstrap.Container) -> dict[str, int]:
    """The shipped processes, the demo catalogue, a contract type, and an account in each branch."""
    bootstrap.deploy_shipped(container)
    now = container.engine.clock.now()
    with container.uow() as uow:
        load_demo_catalog(uow.session)
        accounts = [Account(name=name, owner=owner, created_at=now, updated_at=now)
                    for name, owner in (("ACME", "wang.fang"), ("Westlake", "sun.li"))]
        sale = ContractType(name="Product sale", approval_process_key="contract_approval")
        uow.session.add_all([*accounts, sale])
        uow.session.flush()
        agv = uow.session.scalars(select(Product.id).where(Product.code == "AGV-L500")).one()
        uow.commit()
    return {"acme": accounts[0].id, "westlake": accounts[1].id, "type": sale.id, "agv": agv}


def person(container: bootstrap.Container, username: str) -> Viewer:
    with container.session_factory() as session:
        return viewer_of(session.scalars(select(User).where(User.username == username)).one())


def submitted(container: bootstrap.Container, world, margin: str) -> tuple[Contract, dict[str, str]]:
    """wang.fang's ACME contract of 100,000.00 at ``margin``, submitted; with its open tasks by assignee."""
    rep = person(container, "wang.fang")
    contract = at_margin(container, rep, world, margin)
    submit(container, rep, contract)
    return contract, open_approvals(container, contract)


@pytest.fixture
def director(login) -> FlaskClient:
    """chen.hao, the Shanghai sales director, reading English."""
    client = login("chen.hao")
    client.post("/language/en", data={"csrf_token": csrf_token(client.get("/approvals").text)})
    return client


def test_the_inbox_lists_each_contract_with_figures_in_the_readers_format(director, container, world, login):
    contract, tasks = submitted(container, world, "0.15")
    page = director.get("/approvals").text
    assert ">Approvals</a>" in page  # the nav link
    for shown in (contract.number, "ACME", "Product sale", "CN¥100,000.00", "15.00%", "王芳", "1/5/26, 5:00\u202fPM"):
        assert shown in page, shown
    assert f'value="{tasks["chen.hao"]}"' in page and "1 approval task" in page
    assert tasks["li.ming"] not in page  # his own tasks only under "Waiting for me"
    container.engine.clock.advance(days=5)
    later = director.get("/approvals").text
    assert "5 days" in later and 'class="overdue"' in later
    assert ">Approvals</a>" not in login("wang.fang").get("/tasks").text  # a rep with nothing to approve


def test_filters_sorts_and_the_team_tab_come_from_the_query_string(director, container, world):
    low, _ = submitted(container, world, "0.15")
    high, _ = submitted(container, world, "0.35")
    assert high.number not in director.get("/approvals?margin_max=20").text
    by_margin = director.get("/approvals?sort=margin&desc=1").text
    assert by_margin.index(high.number) < by_margin.index(low.number)
    upwards = director.get("/approvals?sort=margin").text
    assert upwards.index(low.number) < upwards.index(high.number)
    ignored = director.get("/approvals?margin_min=lots&min_age=x")
    assert ignored.status_code == 200 and "Filter ignored" in ignored.text and high.number in ignored.text
    team = director.get("/approvals?tab=team").text
    assert "李明" in team and "赵丽" in team  # the other directors' tasks on his branch's contract


def test_approve_selected_confirms_the_list_then_reports_each_result(director, container, world):
    first, tasks_1 = submitted(container, world, "0.35")
    second, tasks_2 = submitted(container, world, "0.15")
    decide(container, tasks_2["zhao.li"], "zhao.li", "reject", "Service cost is too low")
    page = director.get("/approvals").text
    token = csrf_token(page)
    picked = [tasks_1["chen.hao"], tasks_2["chen.hao"]]
    confirm = director.post("/approvals/confirm", data={"csrf_token": token, "decision": "approve",
                                                        "task_ids": picked, "back": "/approvals?sort=margin"})
    assert confirm.status_code == 200
    assert first.number in confirm.text and "CN¥100,000.00" in confirm.text and "35.00%" in confirm.text
    assert "Approve 1 contract" in confirm.text and "Closed: 赵丽 rejected the contract" in confirm.text
    results = director.post("/approvals/decide", data={"csrf_token": token, "decision": "approve",
                                                       "task_ids": picked, "comment": "", "back": "/approvals"})
    assert results.status_code == 200 and "1 of 2 decided." in results.text
    assert re.search(rf"{first.number}</td><td>ACME</td>\s*<td>Approved", results.text)
    assert "Closed: 赵丽 rejected the contract, which ended this round" in results.text
    assert reload(container, first).status == "active" and reload(container, second).status == "rejected"


def test_reject_asks_for_a_comment_and_refuses_without_one(director, container, world):
    contract, tasks = submitted(container, world, "0.35")
    form = director.get(f"/approvals/{tasks['chen.hao']}/reject?back=/approvals")
    assert form.status_code == 200 and "Reject 1 contract" in form.text and "required>" in form.text
    data = {"csrf_token": csrf_token(form.text), "decision": "reject", "task_ids": [tasks["chen.hao"]]}
    refused = director.post("/approvals/decide", data={**data, "comment": "  "})
    assert refused.status_code == 400 and "is required when you reject" in refused.text
    assert reload(container, contract).status == "submitted"
    done = director.post("/approvals/decide", data={**data, "comment": "Price too low"})
    assert "Rejected" in done.text and reload(container, contract).status == "rejected"


def test_a_rows_approve_decides_at_once_and_returns_to_the_list(director, container, world):
    contract, tasks = submitted(container, world, "0.35")
    token = csrf_token(director.get("/approvals").text)
    response = director.post(f"/approvals/{tasks['chen.hao']}/approve",
                             data={"csrf_token": token, "back": "/approvals?sort=total"})
    assert response.status_code == 302 and response.location == "/approvals?sort=total"
    assert f"Approved {contract.number}." in director.get("/approvals").text
    again = director.post(f"/approvals/{tasks['chen.hao']}/approve", data={"csrf_token": token},
                          follow_redirects=True)
    assert "Not decided: Already decided by 陈浩: approved" in again.text  # a stale page, not an error


def test_tasks_out_of_sight_answer_404_and_forms_need_csrf(login, director, container, world):
    contract, tasks = submitted(container, world, "0.35")
    other = login("zhou.min")  # the Hangzhou director
    token = csrf_token(other.get("/approvals").text)
    assert other.get(f"/approvals/{tasks['chen.hao']}/reject").status_code == 404
    assert other.post(f"/approvals/{tasks['chen.hao']}/approve", data={"csrf_token": token}).status_code == 404
    assert other.get(f"/tasks/{tasks['chen.hao']}").status_code == 404
    assert contract.number not in other.get("/approvals?tab=team").text
    assert director.post("/approvals/decide", data={"decision": "approve",
                                                    "task_ids": [tasks["chen.hao"]]}).status_code == 400
    assert director.post(f"/approvals/{tasks['chen.hao']}/approve").status_code == 400
    assert reload(container, contract).status == "submitted"


def test_the_task_page_shows_what_the_approver_decides_on(director, container, world):
    contract, tasks = submitted(container, world, "0.15")
    decide(container, tasks["zhao.li"], "zhao.li", "reject", "Service cost is too low")
    submit(container, person(container, "wang.fang"), contract)  # round 2, same figures
    task = open_approvals(container, contract)["chen.hao"]
    page = director.get(f"/tasks/{task}").text
    for shown in ("AGV-L500", "CN¥100,000.00", "Cost reserve", "CN¥85,000.00", "Maintenance reserve",
                  "Gross margin", "CN¥15,000.00", "15.00%", "Rule 1: Every contract", "Rule 3: Margin below 20%",
                  f'href="/accounts/{world["acme"]}"', "Earlier rounds", "Service cost is too low",
                  'name="decision"', 'name="comment"'):
        assert shown in page, shown
    response = director.post(f"/tasks/{task}", data={"csrf_token": csrf_token(page), "decision": "approve"})
    assert response.status_code == 302 and response.location == "/approvals"


def test_a_contract_of_another_branch_never_shows(login, container, world):
    rep = person(container, "sun.li")
    contract = new_contract(container, rep, world, ContractLineInput(str(world["agv"]), "1", "100000.00"),
                            account_id=str(world["westlake"]), cost_reserve=str(Decimal("65000.00")))
    submit(container, rep, contract)
    assert contract.number in login("zhou.min").get("/approvals").text
    chen = login("chen.hao")
    for url in ("/approvals", "/approvals?tab=team"):
        assert contract.number not in chen.get(url).text
