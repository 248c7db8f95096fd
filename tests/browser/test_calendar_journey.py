"""In a real browser: a rep plans a visit from an account, finds it on the week's calendar,
and once the visit is over logs it from the task it left her."""

from __future__ import annotations

import bootstrap
from engine import fire_due_timers
from tests.deals import standard_sale


def test_a_rep_plans_a_visit_sees_it_in_her_week_and_logs_it_afterwards(
        container: bootstrap.Container, live_server: str, log_in):
    account = standard_sale(container)["account"]  # wang.fang's ACME; the clock reads Monday 17:00
    rep = log_in("wang.fang")
    rep.goto(f"{live_server}/accounts/{account}")
    rep.click("a:has-text('Plan a visit')")
    rep.fill("#starts_at", "2026-01-06T10:00")
    rep.fill("#location", "ACME warehouse")
    rep.fill("#purpose", "Walk the picking line")
    rep.click("form.stacked button[type=submit]")
    assert "Visit planned" in rep.locator(".flash").inner_text()

    rep.click("header a:has-text('Calendar')")
    tuesday = rep.locator("td.day", has_text="Tue 6")
    assert "Walk the picking line" in tuesday.inner_text()
    assert "Reminder" in tuesday.inner_text() and "Visit" in tuesday.inner_text()
    assert "Walk the picking line" not in rep.locator("td.day", has_text="Wed 7").inner_text()

    container.engine.clock.advance(days=1)  # Tuesday 17:00: the visit is over
    fire_due_timers(container.engine, container.session_factory)
    rep.reload()
    rep.click("td.day:has-text('Tue 6') li.event-visit a")
    assert "Over, not logged yet" in rep.locator("h1").inner_text()
    rep.click("a:has-text('Log the visit')")
    rep.click("form.stacked button[type=submit]")  # what happened is required
    assert "is required" in rep.locator("span.error").inner_text()
    rep.fill("#f_outcome", "Walked the line with their ops lead")
    rep.fill("#f_next_step", "Send the layout proposal")
    rep.click("form.stacked button[type=submit]")
    assert "Task completed." in rep.locator(".flash").all_inner_texts()

    rep.goto(f"{live_server}/accounts/{account}")
    assert "Walked the line with their ops lead" in rep.locator("#activities").inner_text()
