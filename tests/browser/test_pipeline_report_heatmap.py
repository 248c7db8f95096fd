"""In a real browser: the funnel's chart draws, and the conversion report marks on the pipeline
diagram where deals stall, each badge leading to its stage's row."""

from __future__ import annotations

import bootstrap
from tests.pipeline_history import seed_history


def test_the_funnel_chart_and_the_stall_heatmap_draw(container: bootstrap.Container, live_server, log_in,
                                                     tmp_path):
    ids = seed_history(container)
    errors: list[str] = []
    page = log_in("wang.fang")  # her own deals: A and H wait in quotation, B was won
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server}/reports/funnel?business_type={ids['sale']}")
    page.wait_for_selector("canvas[data-chart][data-ready=true]", timeout=15000)
    page.screenshot(path=str(tmp_path / "funnel.png"), full_page=True)

    page.goto(f"{live_server}/reports/conversion?business_type={ids['sale']}")
    page.wait_for_selector(".diagram[data-ready=true]", timeout=15000)
    badges = {b.get_attribute("data-element"): b.inner_text() for b in page.locator(".df-count").all()}
    assert badges == {"stage_quotation": "2"}
    assert page.locator(".djs-element.df-heat-4[data-element-id=stage_quotation]").count() == 1
    assert page.locator(".df-average[data-element=stage_analysis]").inner_text() == \
        "100.00% moved on · median 3.5 days"
    page.screenshot(path=str(tmp_path / "conversion.png"), full_page=True)
    page.locator(".df-count[data-element=stage_quotation]").click()
    assert page.url.endswith("#stage-stage_quotation")
    assert errors == []
