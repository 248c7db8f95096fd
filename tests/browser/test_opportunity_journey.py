"""In a real browser: a rep creates an opportunity, works it on the kanban board through
its stage gates (one of which blocks until its playbook field is filled) and loses it."""

from __future__ import annotations

from sqlalchemy import select

import bootstrap
from tests.deals import standard_sale
from workflows.opportunities.models import Opportunity, StageVisit


def test_a_rep_creates_works_and_loses_an_opportunity(container: bootstrap.Container, live_server: str, log_in):
    sale = standard_sale(container)
    page = log_in("wang.fang")
    page.set_viewport_size({"width": 1800, "height": 1000})
    page.goto(f"{live_server}/opportunities/new")
    page.fill("#name", "Forty AGVs")
    page.select_option("#account_id", str(sale["account"]))
    page.select_option("#business_type_id", str(sale["type"]))
    page.fill("#amount", "-1")
    page.click("form.stacked button[type=submit]")
    assert "must be an amount of 0 or more" in page.locator(".error").inner_text()  # bad input: said, kept
    page.fill("#amount", "120000")
    with page.expect_navigation():
        page.click("form.stacked button[type=submit]")
    assert page.locator("ol.path li[aria-current=step]").inner_text().startswith("Discover opportunity")

    page.goto(f"{live_server}/opportunities/board?business_type={sale['type']}")
    dialog = page.locator("dialog.stage-dialog")
    for target in ("analysis", "quotation"):  # two stages across the board, each through its gate
        drag(page, target)
        dialog.locator("button[name=advance]").wait_for()
        with page.expect_navigation():
            dialog.locator("button[name=advance]").click()
    drag(page, "negotiation")
    dialog.locator("button[name=advance]").click()  # the playbook's quote amount is missing
    dialog.locator(".error").wait_for()
    assert "is required" in dialog.locator(".error").inner_text()
    dialog.locator("#f_quote_amount").fill("118000")
    with page.expect_navigation():
        dialog.locator("button[name=advance]").click()
    drag(page, "lost")
    dialog.locator("textarea[name=reason]").fill("The customer chose a cheaper competitor")
    with page.expect_navigation():
        dialog.locator(".close-form button[type=submit]").click()

    with container.session_factory() as session:
        deal = session.scalars(select(Opportunity).where(Opportunity.name == "Forty AGVs")).one()
        assert (deal.status, deal.probability, deal.close_reason) == (
            "lost", 0, "The customer chose a cheaper competitor")
        visits = session.scalars(select(StageVisit.stage).where(StageVisit.opportunity_id == deal.id)
                                 .order_by(StageVisit.id)).all()
    assert visits == ["discover", "analysis", "quotation", "negotiation", "lost"]
    page.goto(f"{live_server}/opportunities/{deal.id}")
    assert "This opportunity is closed: Lost." in page.locator(".stage-gate").inner_text()


def drag(page, target: str) -> None:  # type: ignore[no-untyped-def]
    page.locator(".card:has(a:text-is('Forty AGVs'))").drag_to(
        page.locator(f".board-column[data-key='{target}']"))
