"""In a real browser: build a grouped opportunity report with a bar chart step by step, save it,
put it on the dashboard and see its chart drawn there."""

from __future__ import annotations

import json

import pytest

import bootstrap
from tests.deals import seed_deals


@pytest.fixture
def reports_url(container: bootstrap.Container, live_server: str) -> str:
    seed_deals(container)
    return live_server


def test_build_save_and_see_it_on_the_dashboard(log_in, reports_url):
    page = log_in("liu.yang")
    page.goto(f"{reports_url}/reports")
    page.click("a[href='/reports/builder']")
    page.click("#step-object a[href*='object=opportunities']")
    page.select_option("select[name=g1]", "stage_name")
    page.select_option("select[name=agg]", "sum")
    page.select_option("select[name=aggf]", "amount")
    page.check("input[name=chart][value=bar]")
    page.click("#builder button[type=submit]")
    chart = page.locator("#step-preview canvas[data-chart][data-ready]")
    chart.wait_for()
    assert json.loads(chart.get_attribute("data-chart"))["type"] == "bar"
    page.fill("#save-report input[name=name]", "Pipeline by stage")
    page.click("#save-report button[value=new]")
    page.wait_for_url("**/reports/saved/*")
    page.click("#add-to-dashboard button[type=submit]")
    page.wait_for_url("**/dashboards*")
    tile = page.locator("section.tile", has_text="Pipeline by stage")
    tile.locator("canvas[data-chart][data-ready]").wait_for()
    assert tile.locator("table.report tbody tr").count() == 3  # Discover, Quotation, Closed (won)
    box = tile.locator("canvas").bounding_box()
    assert box is not None and box["height"] > 100 and box["width"] > 100
