"""The funnel and conversion pages: what they show, their filters, downloads, drill-down links
and scope (a manager of another branch sees none of ours)."""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

import bootstrap
from tests.pipeline_history import seed_history
from workflows.org.models import OrgUnit


@pytest.fixture
def history(app, container: bootstrap.Container) -> dict[str, int]:
    return seed_history(container)


def unit(container: bootstrap.Container, name: str) -> int:
    with container.session_factory() as session:
        return session.scalars(select(OrgUnit.id).where(OrgUnit.name.contains(name))).one()


def funnel_rows(page: str) -> dict[str, list[str]]:
    """Stage key → the row's cells as text (the stage name first)."""
    body = page.split('<table class="report" id="funnel">')[1].split("</tbody>")[0]
    rows = re.findall(r'<tr class="\w+" data-stage="(\w*)">(.*?)</tr>', body, re.S)
    return {key: [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
                  for cell in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)] for key, cells in rows}


def links(page: str, key: str) -> str:
    row = page.split(f'data-stage="{key}">')[1].split("</tr>")[0]
    return html.unescape(re.search(r'href="([^"]+)"', row).group(1))


def download(client, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_reports_index_links_both_pipeline_reports(login, history):
    page = login("wang.fang").get("/reports").text
    assert 'href="/reports/funnel"' in page and 'href="/reports/conversion"' in page
    assert "Sales funnel" in page and "Stage conversion" in page


def test_the_funnel_shows_each_stage_in_pipeline_order_with_totals(login, history):
    page = login("liu.yang").get(f"/reports/funnel?business_type={history['sale']}").text
    rows = funnel_rows(page)
    assert list(rows) == ["discover", "analysis", "quotation", "negotiation", "collection", "", "won", "lost",
                          "abandoned"]
    assert rows["quotation"] == ["Quotation", "40.00%", "2", "¥140,000.00", "¥56,000.00"]  # liu.yang reads Chinese
    assert rows["won"][2:4] == ["1", "¥50,000.00"]
    assert "255,000.00" not in page  # the company's open pipeline; liu.yang's team has 225,000
    assert "¥225,000.00" in page and "¥72,500.00" in page
    chart = json.loads(html.unescape(re.search(r'data-chart="([^"]+)"', page).group(1)))
    assert chart["options"]["indexAxis"] == "y"
    assert chart["data"]["labels"][:3] == ["Discover opportunity (0)", "Opportunity analysis (1)",
                                                "Quotation (2)"]
    assert chart["data"]["datasets"][0]["data"][2] == 140000.0


def test_each_stage_drills_down_to_the_list_filtered_the_same_way(login, history):
    client = login("liu.yang")
    page = client.get(f"/reports/funnel?business_type={history['sale']}&person=wang.fang"
                      "&close_from=2026-03-01&close_to=2026-03-31").text
    link = links(page, "quotation")
    assert link.startswith("/opportunities?")
    for part in (f"business_type={history['sale']}", "stage=quotation", "status=open", "owner=wang.fang",
                 "close_from=2026-03-01", "close_to=2026-03-31"):
        assert part in link
    listed = client.get(link).text
    assert ">A<" in listed and ">H<" in listed and ">D<" not in listed
    assert "status=won" in links(page, "won")


def test_the_close_date_period_narrows_the_funnel(login, history):
    page = login("admin").get(f"/reports/funnel?business_type={history['sale']}"
                              "&close_from=2026-03-01&close_to=2026-03-31").text
    counts = {key: cells[2] for key, cells in funnel_rows(page).items()}
    assert counts == {"discover": "0", "analysis": "1", "quotation": "2", "negotiation": "0", "collection": "0",
                      "won": "0", "lost": "0", "abandoned": "0"}


def test_bad_filters_are_named_and_ignored(login, history):
    response = login("wang.fang").get("/reports/funnel?business_type=x&close_from=never&close_to=2026-01-01")
    assert response.status_code == 200
    assert "Filter ignored: business_type" in response.text and "Filter ignored: close_from" in response.text
    backwards = login("wang.fang").get("/reports/funnel?close_from=2026-03-01&close_to=2026-01-01")
    assert "must not be before the first day" in backwards.text


def test_the_funnel_downloads_as_csv_and_xlsx(login, history):
    client = login("wang.fang")
    rows = download(client, f"/reports/funnel?business_type={history['sale']}&format=csv")
    assert rows[0] == ["Stage", "Probability", "Opportunities", "Amount", "Weighted amount"]
    assert rows[3] == ["Quotation", "0.4", "2", "140000.00", "56000.00"]
    assert rows[-1] == ["Open pipeline", "", "3", "145000.00", "56500.00"]  # wang.fang's own: A, H, Legacy
    response = client.get(f"/reports/funnel?business_type={history['sale']}&format=xlsx")
    assert response.headers["Content-Disposition"] == 'attachment; filename="sales-funnel.xlsx"'
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert [c.value for c in sheet[4]] == ["Quotation", 0.4, 2, 140000.0, 56000.0]


def test_another_branchs_manager_sees_none_of_ours(login, container, history):
    client = login("xu.tao")
    page = client.get(f"/reports/funnel?business_type={history['sale']}").text
    assert funnel_rows(page)["won"][2:4] == ["1", "¥900,000.00"]
    assert "50,000.00" not in page and "140,000.00" not in page
    shanghai = client.get(f"/reports/funnel?business_type={history['sale']}&unit={unit(container, 'Shanghai')}")
    assert shanghai.status_code == 200 and "140,000.00" not in shanghai.text
    assert "已忽略筛选条件：unit" in shanghai.text  # xu.tao reads Chinese
    rows = download(client, f"/reports/funnel?business_type={history['sale']}&person=wang.fang&format=csv")
    assert [row[2] for row in rows[1:-1]] == ["0", "0", "0", "0", "0", "1", "0", "1"]  # his own: F won, G abandoned
    conversion = download(client, f"/reports/conversion?business_type={history['sale']}&format=csv")
    assert conversion[1][:3] == ["Discover opportunity", "2", "2"]


def test_a_manager_narrows_to_a_team_and_its_lists_alike(login, container, history):
    client, team = login("chen.hao"), unit(container, "Team 2")
    page = client.get(f"/reports/funnel?business_type={history['sale']}&unit={team}").text
    assert {key: cells[2] for key, cells in funnel_rows(page).items() if cells[2] != "0"} == {"negotiation": "1"}
    assert f"unit={team}" in links(page, "negotiation")
    listed = client.get(f"/opportunities?unit={team}").text  # zhao.qiang's E only, not Team 1's A or D
    assert ">E<" in listed and ">A<" not in listed and ">D<" not in listed


def test_the_conversion_page_draws_the_heatmap_and_the_table(login, history):
    page = login("wang.fang").get(f"/reports/conversion?business_type={history['sale']}").text
    diagram = re.search(r'<div class="diagram heatmap" data-diagram-url="([^"]+)"\s+data-counts="([^"]+)"'
                        r'\s+data-averages="([^"]+)"', page)
    assert diagram is not None and diagram.group(1).endswith("/diagram.bpmn")
    # wang.fang's own: A, B, H (Legacy's stage is not in the pipeline)
    assert json.loads(html.unescape(diagram.group(2))) == {
        "stage_discover": 0, "stage_analysis": 0, "stage_quotation": 2, "stage_negotiation": 0,
        "stage_collection": 0}
    labels = json.loads(html.unescape(diagram.group(3)))
    assert labels["stage_analysis"] == "100.00% moved on · median 3.5 days"
    assert 'data-count-link="#stage-__element__"' in page
    row = page.split('<tr id="stage-stage_quotation">')[1].split("</tr>")[0]
    assert re.findall(r"<td[^>]*>\s*(?:<a[^>]*>)?([^<]+)", row)[:8] == [
        "Quotation", "3", "1", "33.33%", "1", "33.33%", "0", "2"]
    assert "/opportunities?" in row and "stage=quotation" in html.unescape(row)
    assert 'data-chart="' in page


def test_conversion_filters_and_downloads(login, history):
    client = login("admin")
    response = client.get(f"/reports/conversion?business_type={history['sale']}&since=2026-02-01&until=2026-02-01")
    assert 'id="stage-stage_discover"' in response.text
    rows = download(client, f"/reports/conversion?business_type={history['sale']}"
                            "&since=2026-02-01&until=2026-02-01&format=csv")
    assert rows[0][:4] == ["Stage", "Entered", "Moved on", "Conversion"]
    assert rows[1][:5] == ["Discover opportunity", "1", "1", "1.0000", "1"]  # F began on 1 February in Shanghai
    assert [row[1] for row in rows[2:]] == ["0", "0", "0", "0", "0"]
    assert "Filter ignored: until" in client.get("/reports/conversion?until=soon").text
    response = client.get(f"/reports/conversion?business_type={history['sale']}&format=xlsx")
    assert response.headers["Content-Disposition"] == 'attachment; filename="stage-conversion.xlsx"'


def test_without_business_types_the_pages_say_so(login):
    client = login("wang.fang")
    for url in ("/reports/funnel", "/reports/conversion"):
        response = client.get(url)
        assert response.status_code == 200 and "There are no business types yet" in response.text
