"""In a real browser: drag a card on the kanban board through the stage gate, and close one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import bootstrap
from tests.deals import standard_sale
from workflows.opportunities import service
from workflows.opportunities.models import Opportunity
from workflows.opportunities.service import OpportunityInput
from workflows.org.models import User
from workflows.org.visibility import viewer_for


@pytest.fixture
def board_url(container: bootstrap.Container, live_server: str) -> str:
    """wang.fang's deals "Robots" and "Cranes", started through the Standard sale pipeline and
    moved on to Quotation, whose gate requires the quoted amount."""
    sale = standard_sale(container)
    with container.uow() as uow:
        rep = viewer_for(uow.session, uow.session.scalars(select(User.id).where(User.username == "wang.fang")).one())
        assert rep is not None
        for name in ("Robots", "Cranes"):
            deal = service.create_opportunity(uow.session, container.engine, rep, OpportunityInput(
                name=name, account_id=str(sale["account"]), business_type_id=str(sale["type"]), amount="120000"),
                container.engine.clock.now())
            for _ in range(2):
                service.advance(uow.session, container.engine, rep, deal.id, {}, [])
        uow.commit()
    return f"{live_server}/opportunities/board?business_type={sale['type']}"


def open_board(log_in, url: str):  # type: ignore[no-untyped-def]
    """The board as a rep on a wide screen sees it: every column in view, as a drag needs."""
    page = log_in("wang.fang")
    page.set_viewport_size({"width": 1800, "height": 1000})
    page.goto(url)
    return page


def card(page, name: str):  # type: ignore[no-untyped-def]
    return page.locator(f".card:has(a:text-is('{name}'))")


def column(page, key: str):  # type: ignore[no-untyped-def]
    return page.locator(f".board-column[data-key='{key}']")


def stage_of(container: bootstrap.Container, name: str) -> tuple[str, str]:
    with container.session_factory() as session:
        found = session.scalars(select(Opportunity).where(Opportunity.name == name)).one()
        return found.stage, found.status


def test_drag_to_the_next_stage_through_its_gate(container, log_in, board_url):
    page = open_board(log_in, board_url)
    card(page, "Robots").drag_to(column(page, "negotiation"))
    dialog = page.locator("dialog.stage-dialog")
    dialog.locator("#f_quote_amount").wait_for()
    assert "Quotation" in dialog.inner_text() and dialog.locator(".close-form").is_hidden()
    dialog.locator("button[name=advance]").click()  # the quoted amount is missing: the gate says so
    dialog.locator(".error").wait_for()
    assert "is required" in dialog.locator(".error").inner_text()
    assert stage_of(container, "Robots") == ("quotation", "open")
    dialog.locator("#f_quote_amount").fill("118000")
    with page.expect_navigation():
        dialog.locator("button[name=advance]").click()
    assert "Moved to Contract negotiation." in page.locator(".flash").all_inner_texts()
    assert card(page, "Robots").locator("xpath=ancestor::section").get_attribute("data-key") == "negotiation"
    assert stage_of(container, "Robots") == ("negotiation", "open")


def test_skipping_a_stage_is_refused_and_lost_asks_for_the_reason(container, log_in, board_url):
    page = open_board(log_in, board_url)
    card(page, "Cranes").drag_to(column(page, "collection"))
    assert "can only move on to Contract negotiation" in page.locator(".board-status").inner_text()
    assert not page.locator("dialog.stage-dialog").is_visible()
    card(page, "Cranes").drag_to(column(page, "lost"))
    dialog = page.locator("dialog.stage-dialog")
    dialog.locator("textarea[name=reason]").wait_for()
    assert dialog.locator("select[name=outcome]").input_value() == "lost"
    dialog.locator("textarea[name=reason]").fill("Went with a competitor")
    with page.expect_navigation():
        dialog.locator(".close-form button[type=submit]").click()
    assert stage_of(container, "Cranes") == ("lost", "lost")
    assert column(page, "lost").locator(".count").inner_text() == "1"
