"""In a real browser, in both languages: a rep completes a stage, a director claims and approves."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import bootstrap
from engine import ProcessInstance
from tests import diagrams

TEXT = {
    "zh_CN": {"switch": "中文", "required": "必填", "done": "任务已完成。", "claimed": "已认领 1 个任务。",
              "groups": "我所在组的任务", "amount": "¥120,000.00"},
    "en": {"switch": "English", "required": "is required", "done": "Task completed.",
           "claimed": "Claimed 1 task(s).", "groups": "My groups' tasks", "amount": "CN¥120,000.00"},
}


@pytest.fixture
def deal(container: bootstrap.Container, live_server: str) -> int:
    """zhang.wei's ACME deal waiting at Qualify, then Approve for the sales directors."""
    with container.uow() as uow:
        container.engine.deploy(uow.session, {"p.bpmn": diagrams.two_stages()}, "designer")
        instance = container.engine.start(uow.session, "p", "opportunity:1",
                                          {"owner": "zhang.wei", "title": "ACME", "amount": "120000"},
                                          "zhang.wei")
        uow.commit()
        return instance.id


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_a_rep_and_a_director_work_a_deal_through(language: str, container: bootstrap.Container,
                                                   live_server: str, log_in, deal: int):
    text = TEXT[language]
    rep = log_in("zhang.wei")
    rep.click(f"header button:has-text('{text['switch']}')")
    rep.goto(f"{live_server}/tasks")
    assert text["amount"] in rep.locator("tbody").inner_text()
    rep.click("tbody a:has-text('Qualify')")
    rep.click("form.stacked button[type=submit]")  # the required budget is missing
    assert text["required"] in rep.locator("span.error").inner_text()
    rep.fill("#f_budget", "50000")
    rep.click("form.stacked button[type=submit]")
    assert text["done"] in rep.locator(".flash").all_inner_texts()

    director = log_in("chen.hao")
    director.click(f"header button:has-text('{text['switch']}')")
    director.goto(f"{live_server}/tasks?tab=claimable")
    assert text["groups"] in director.locator("nav.tabs").inner_text()
    director.click("tbody tr:has-text('Approve') button[form^=claim-]")
    assert text["claimed"] in director.locator(".flash").all_inner_texts()
    director.goto(f"{live_server}/tasks")  # claimed: now under my tasks
    director.click("tbody a:has-text('Approve')")
    director.click("form.stacked button[type=submit]")
    assert text["done"] in director.locator(".flash").all_inner_texts()

    with container.session_factory() as session:
        assert session.scalar(select(ProcessInstance.status).where(ProcessInstance.id == deal)) == "completed"
