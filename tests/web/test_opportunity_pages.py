"""A rep works an opportunity in the browser's HTML: create, advance through the gate, lose it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import bootstrap
from tests.deals import standard_sale
from tests.web.conftest import csrf_token
from workflows.opportunities.models import BusinessType, Opportunity


@pytest.fixture
def sale(app, container: bootstrap.Container) -> dict[str, int]:
    return standard_sale(container)


def create(client, sale, **changes: str):
    token = csrf_token(client.get("/opportunities/new").text)
    return client.post("/opportunities/new", data={
        "csrf_token": token, "name": "40 AGVs", "account_id": sale["account"],
        "business_type_id": sale["type"], "amount": "120000", **changes})


def post(client, path: str, **data: str):
    return client.post(path, data={"csrf_token": csrf_token(client.get("/tasks").text), **data})


def test_a_rep_creates_an_opportunity_and_sees_its_path(login, sale):
    rep = login("wang.fang")
    response = create(rep, sale)
    assert response.status_code == 302
    page = rep.get(response.location).text
    assert "40 AGVs" in page and "CN¥120,000.00" in page
    current = page.split('aria-current="step"')[1].split("</li>")[0]
    assert "Discover opportunity" in current and "Quotation" in page  # the whole path, the first stage current
    assert "Record the source and the customer" in page  # the playbook, from the diagram
    assert "Discover opportunity" in rep.get("/tasks").text  # and the stage task is in the inbox


def test_bad_input_shows_beside_the_field_and_creates_nothing(login, sale, container):
    rep = login("wang.fang")
    response = create(rep, sale, amount="-3", expected_close_date="soon")
    assert response.status_code == 400
    assert "must be an amount of 0 or more" in response.text and "must be a date" in response.text
    assert 'value="soon"' in response.text
    with container.session_factory() as session:
        assert session.scalars(select(Opportunity)).first() is None


def test_the_gate_blocks_a_missing_playbook_field_then_lets_it_through(login, sale):
    rep = login("wang.fang")
    path = create(rep, sale).location
    post(rep, f"{path}/advance", need="AGVs")
    post(rep, f"{path}/advance")
    blocked = post(rep, f"{path}/advance", actions="Send the quote")
    assert blocked.status_code == 400 and "Quote amount" in blocked.text and "is required" in blocked.text
    moved = post(rep, f"{path}/advance", quote_amount="118000")
    assert moved.status_code == 302
    assert "Moved to Contract negotiation." in rep.get(path).text


def test_losing_needs_a_reason_and_closes_the_opportunity(login, sale):
    rep = login("wang.fang")
    path = create(rep, sale).location
    refused = post(rep, f"{path}/close", outcome="lost", reason="")
    assert refused.status_code == 400 and "is required" in refused.text
    post(rep, f"{path}/close", outcome="lost", reason="Chose a competitor")
    page = rep.get(path).text
    assert "This opportunity is closed: Lost." in page and "Chose a competitor" in page
    assert "Discover opportunity" not in rep.get("/tasks").text
    assert "Reopen at the stage it left" in page
    post(rep, f"{path}/reopen")
    assert "Reopened: back at Discover opportunity." in rep.get(path).text
    assert "Discover opportunity" in rep.get("/tasks").text


def test_the_stage_gate_alone_for_the_board(login, sale):
    rep = login("wang.fang")
    path = create(rep, sale).location
    fragment = rep.get(f"{path}/stage").text
    assert fragment.lstrip().startswith("<section") and "<html" not in fragment
    post(rep, f"{path}/advance")
    post(rep, f"{path}/advance")
    blocked = post(rep, f"{path}/advance?fragment=1")  # the board's dialog shows the gate's refusal
    assert blocked.status_code == 400 and blocked.text.lstrip().startswith("<section")
    assert "is required" in blocked.text


def test_another_team_cannot_open_or_move_it(login, sale):
    path = create(login("wang.fang"), sale).location
    other = login("sun.li")
    assert other.get(path).status_code == 404
    assert post(other, f"{path}/advance").status_code == 404
    assert post(other, f"{path}/close", outcome="lost", reason="x").status_code == 404
    assert login("liu.yang").get(path).status_code == 200  # the rep's manager


def test_admins_manage_business_types_and_reps_may_not(login, sale):
    admin = login("admin")
    token = csrf_token(admin.get("/admin/business-types").text)
    refused = admin.post("/admin/business-types", data={"csrf_token": token, "name": "Tender",
                                                          "process_key": "no_such_process"})
    assert refused.status_code == 400 and "no process with this key is deployed" in refused.text
    admin.post("/admin/business-types", data={"csrf_token": token, "name": "Tender",
                                              "process_key": "project_tender", "active": "y"})
    assert "project_tender" in admin.get("/admin/business-types").text
    assert login("wang.fang").get("/admin/business-types").status_code == 403


def test_an_inactive_business_type_takes_no_new_opportunities(login, sale, container):
    with container.uow() as uow:
        uow.session.get(BusinessType, sale["type"]).active = False
        uow.commit()
    response = create(login("wang.fang"), sale)
    assert response.status_code == 400 and "choose an active business type" in response.text


def test_editing_the_amount_shows_in_the_inbox(login, sale):
    rep = login("wang.fang")
    path = create(rep, sale).location
    form = rep.get(f"{path}/edit").text
    assert 'value="120000.00"' in form and "None" not in form
    saved = rep.post(f"{path}/edit", data={"csrf_token": csrf_token(form), "name": "40 AGVs, phase 1",
                                           "account_id": sale["account"], "amount": "95000"})
    assert saved.status_code == 302
    inbox = rep.get("/tasks").text
    assert "40 AGVs, phase 1" in inbox and "CN¥95,000.00" in inbox
