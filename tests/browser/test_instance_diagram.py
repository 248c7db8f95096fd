"""In a real browser: log in, open an instance, and see its diagram drawn and marked."""

from __future__ import annotations

import bootstrap
from bootstrap import SHIPPED_PROCESSES


def test_the_instance_diagram_is_drawn_with_the_waiting_task_marked(container: bootstrap.Container,
                                                                      live_server, log_in, tmp_path):
    screenshots = tmp_path
    with container.uow() as uow:
        pipeline = SHIPPED_PROCESSES / "pipelines" / "standard_sale.bpmn"
        container.engine.deploy(uow.session, {pipeline.name: pipeline.read_bytes()}, "designer")
        instance = container.engine.start(uow.session, "standard_sale", "opportunity:1",
                                          {"owner": "wang.fang"}, "wang.fang")
        uow.commit()
    errors: list[str] = []
    page = log_in("wang.fang")
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server}/instances/{instance.id}")
    page.wait_for_selector(".diagram[data-ready=true]", timeout=15000)
    first_stage = page.locator(".djs-element.df-active")
    assert first_stage.count() == 1
    assert page.locator(".djs-element.df-done").count() >= 1
    page.screenshot(path=str(screenshots / "instance.png"))
    assert errors == []


def test_the_login_page_switches_language(live_server, browser):
    page = browser.new_page(locale="en-US")
    page.goto(f"{live_server}/login")
    assert page.locator("h1").inner_text() == "Log in"
    page.click("button:has-text('中文')")
    assert page.locator("h1").inner_text() == "登录"
    page.close()
