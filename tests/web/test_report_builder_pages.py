"""The report builder's pages and the dashboard through the test client: each step and its
preview, saving, sharing, downloads, the dashboard's tiles (add, move, remove, back to the
default), CSRF on every change, and nobody else's private report."""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

import bootstrap
from tests.deals import seed_deals
from tests.web.conftest import csrf_token
from workflows.org.models import OrgUnit
from workflows.reports.builder_models import Dashboard, SavedReport

GROUPED = "object=opportunities&g1=owner&agg=sum&aggf=amount&chart=bar"


@pytest.fixture
def deals(app, container: bootstrap.Container) -> dict[str, int]:
    return seed_deals(container)


def cells(page: str) -> list[list[str]]:
    """The report table's body rows, as text."""
    body = page.split('<table class="report" id="report">')[1].split("<tbody>")[1].split("</tbody>")[0]
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def save(client, query: str, name: str, share: str = "", **extra: str):
    """Post the builder's save form as the page would: its fields, the name and the audience."""
    page = client.get(f"/reports/builder?{query}").text
    data = [tuple(p.split("=", 1)) for p in query.split("&")]
    data += [("csrf_token", csrf_token(page)), ("name", name), ("share", share), ("save", "new"), *extra.items()]
    return client.post("/reports/builder", data=MultiDict(data))


def saved_id(response) -> int:
    assert response.status_code == 302, response.text
    return int(re.search(r"/reports/saved/(\d+)$", response.location).group(1))


def unit(container: bootstrap.Container, name: str) -> int:
    with container.session_factory() as session:
        return session.scalars(select(OrgUnit.id).where(OrgUnit.name.contains(name))).one()


def test_the_reports_page_leads_to_the_dashboard_and_the_builder(login):
    page = login("wang.fang").get("/reports").text
    assert 'href="/dashboards"' in page and 'href="/reports/builder"' in page and 'href="/reports/saved"' in page


def test_step_one_offers_each_object_with_its_usual_columns(login):
    page = login("wang.fang").get("/reports/builder").text
    for key in ("leads", "accounts", "opportunities", "contracts", "activities"):
        assert f'href="/reports/builder?object={key}&amp;col=' in page
    assert 'id="builder"' not in page  # the other steps wait for an object


def test_a_listing_previews_the_chosen_columns_with_a_total(login, deals):
    page = login("wang.fang").get("/reports/builder?object=opportunities&col=name&col=amount&col=status").text
    assert 'value="amount" checked' in page and 'value="probability" >' in page
    assert cells(page) == [["ACME conveyors", "CN¥50,000.00", "Open"], ["ACME robots", "CN¥120,000.00", "Open"]]
    assert "CN¥170,000.00" in page.split("<tfoot>")[1] and "2 records" in page
    page = login("liu.yang").get("/reports/builder?object=opportunities&col=name&col=status").text
    assert [row[0] for row in cells(page)] == ["ACME conveyors", "ACME robots", "ACME spare parts 100%", "Huajin AGVs"]


def test_a_grouped_preview_draws_its_chart_under_the_apps_labels(login, deals):
    page = login("wang.fang").get("/reports/builder?object=opportunities&g1=status&chart=pie").text
    assert cells(page) == [["Open", "2"]]
    spec = json.loads(html.unescape(re.search(r'data-chart="([^"]+)"', page).group(1)))
    assert spec["type"] == "pie" and spec["data"]["labels"] == ["Open"] and spec["data"]["datasets"][0]["data"] == [2]


def test_a_filter_row_names_its_bad_value_beside_it_and_previews_nothing(login, deals):
    client = login("wang.fang")
    page = client.get("/reports/builder?object=opportunities&col=name&f0=amount&o0=at_least&v0=lots").text
    assert 'data-problem="v0">Amount must be an amount of 0 or more' in page
    assert "Correct the marked choices to see the preview." in page and 'id="save-report"' not in page
    page = client.get("/reports/builder?object=opportunities&col=name&f0=amount&o0=contains&v0=1").text
    assert "Amount cannot be filtered with “contains”" in page
    page = client.get("/reports/builder?object=opportunities&col=name&f0=status&o0=equals&v0=open").text
    assert '<option value="open" selected>Open</option>' in page  # a choice field's values to pick from
    assert 'name="f1"' in page  # always one more row to add a filter


@pytest.mark.parametrize(("query", "named"), [
    ("object=<script>", ["object"]),
    ("object=opportunities&col=" + "x" * 5000, ["col"]),
    ("object=opportunities&g1=created_at&g1by=decade&chart=spiral", ["col", "g1by", "chart"]),
    ("object=opportunities&col=name&f0=amount&o0=between&v0=99999999999999999999&w0=1", ["v0"]),
    ("object=leads&col=name&f0=created_at&o0=equals&v0=9999-12-31", ["v0"]),
    ("object=opportunities&page=-1&col=name", []),  # a page before the first is the first
])
def test_bad_builder_queries_are_named_beside_their_field_and_nothing_is_previewed(login, deals, query, named):
    response = login("wang.fang").get(f"/reports/builder?{query}")
    assert response.status_code == 200
    page = response.text
    assert "<script>" not in page.split("<main>")[1]
    assert re.findall(r'data-problem="([^"]+)"', page) == named
    assert ('class="report"' in page) == (not named)  # a preview only of a report that reads right


def test_save_a_report_and_find_it_among_mine(login, deals):
    client = login("wang.fang")
    response = save(client, GROUPED, "Pipeline by owner")
    report_id = saved_id(response)
    page = client.get(response.location).text
    assert "The report is saved." in page and "<h1>Pipeline by owner</h1>" in page
    assert cells(page) == [["王芳", "CN¥170,000.00"]]
    listed = client.get("/reports/saved").text
    assert f'href="/reports/saved/{report_id}">Pipeline by owner</a>' in listed and "Only you" in listed


def test_a_refused_save_shows_why_and_saves_nothing(login, deals, container):
    client = login("wang.fang")
    response = save(client, GROUPED, "  ")
    assert response.status_code == 200 and 'data-problem="name">is required' in response.text
    response = save(client, GROUPED + "&f0=amount&o0=at_least&v0=abc", "Bad")
    assert 'data-problem="v0">Amount must be an amount' in response.text
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(SavedReport)) == 0


def test_every_change_needs_the_csrf_token(login, deals, container):
    client = login("wang.fang")
    report_id = saved_id(save(client, GROUPED, "Mine"))
    for url, data in (("/reports/builder", {"object": "opportunities", "col": "name", "name": "x"}),
                      (f"/reports/saved/{report_id}/shares", {"share": "role:sales_rep"}),
                      (f"/reports/saved/{report_id}/delete", {}),
                      ("/dashboards/tiles", {"report_id": str(report_id), "show": "both"}),
                      ("/dashboards/reset", {})):
        assert client.post(url, data=data).status_code == 400, url
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(SavedReport)) == 1


def test_another_users_private_report_does_not_exist_for_them(login, deals):
    report_id = saved_id(save(login("wang.fang"), GROUPED, "Mine"))
    other = login("zhang.wei")
    assert other.get(f"/reports/saved/{report_id}").status_code == 404
    assert other.get(f"/reports/saved/{report_id}?format=csv").status_code == 404
    token = csrf_token(other.get("/reports/saved").text)
    assert other.post(f"/reports/saved/{report_id}/delete", data={"csrf_token": token}).status_code == 404
    assert other.post("/dashboards/tiles", data={"csrf_token": token, "report_id": report_id}).status_code == 404
    assert f"/reports/saved/{report_id}" not in other.get("/reports/saved").text


def test_shared_with_a_team_each_reader_sees_only_their_own_records(login, deals, container):
    manager = login("liu.yang")
    report_id = saved_id(save(manager, GROUPED, "Team pipeline", f"unit:{unit(container, 'Team 1')}"))
    assert cells(manager.get(f"/reports/saved/{report_id}").text) == [["王芳", "¥170,000.00"], ["张伟", "¥8,333.33"]]
    rep = login("wang.fang")
    page = rep.get(f"/reports/saved/{report_id}").text
    assert "Shared by 刘洋" in page and cells(page) == [["王芳", "CN¥170,000.00"]]
    assert 'id="share-report"' not in page and 'id="delete-report"' not in page  # only the owner changes it
    token = csrf_token(page)
    assert rep.post(f"/reports/saved/{report_id}/delete", data={"csrf_token": token}).status_code == 403
    assert login("sun.li").get(f"/reports/saved/{report_id}").status_code == 404  # Hangzhou: not shared there


def test_the_owner_shares_with_a_role_and_stops_sharing(login, deals, container):
    client = login("wang.fang")
    report_id = saved_id(save(client, GROUPED, "Mine"))
    token = csrf_token(client.get(f"/reports/saved/{report_id}").text)
    client.post(f"/reports/saved/{report_id}/shares", data={"csrf_token": token, "share": "role:sales_rep"})
    page = login("sun.li").get(f"/reports/saved/{report_id}").text
    assert cells(page) == [["孙丽", "¥310,000.00"]]  # sun.li's own deals, never wang.fang's
    refused = client.post(f"/reports/saved/{report_id}/shares", data={"csrf_token": token, "share": "unit:99999"})
    assert "Not shared: is not a role or an org unit you can share with" in client.get(refused.location).text
    page = client.get(f"/reports/saved/{report_id}").text
    share_id = re.search(rf"/reports/saved/{report_id}/shares/(\d+)/delete", page).group(1)
    client.post(f"/reports/saved/{report_id}/shares/{share_id}/delete", data={"csrf_token": token})
    assert login("sun.li").get(f"/reports/saved/{report_id}").status_code == 404


def test_the_owner_changes_a_saved_report_in_the_builder(login, deals):
    client = login("wang.fang")
    report_id = saved_id(save(client, GROUPED, "Mine"))
    page = client.get(f"/reports/saved/{report_id}").text
    edit = html.unescape(re.search(r'href="(/reports/builder\?[^"]+)">Change it in the builder', page).group(1))
    assert f"report={report_id}" in edit
    builder = client.get(edit).text
    assert 'name="save" value="changes"' in builder
    data = [tuple(p.split("=", 1)) for p in GROUPED.replace("chart=bar", "chart=line").split("&")]
    response = client.post("/reports/builder", data=MultiDict([*data, ("csrf_token", csrf_token(builder)),
                                                               ("name", "Mine, as a line"), ("save", "changes"),
                                                               ("report", str(report_id))]))
    assert saved_id(response) == report_id
    assert '"type": "line"' in html.unescape(client.get(f"/reports/saved/{report_id}").text)


def test_builder_and_saved_reports_download_as_csv_and_xlsx(login, deals):
    client = login("liu.yang")
    rows = list(csv.reader(io.StringIO(client.get(f"/reports/builder?{GROUPED}&format=csv").get_data()
                                       .decode("utf-8-sig"))))
    assert rows[1:] == [["王芳", "170000.00"], ["张伟", "8333.33"], ["", "178333.33"]]
    report_id = saved_id(save(client, "object=opportunities&col=name&col=status&col=amount", "Deals"))
    response = client.get(f"/reports/saved/{report_id}?format=xlsx")
    assert response.headers["Content-Disposition"] == f'attachment; filename="report-{report_id}.xlsx"'
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert [c.value for c in sheet[2]] == ["ACME conveyors", "进行中", 50000]
    assert [c.value for c in sheet[6]] == [None, None, 178333.33]


def test_a_rep_sees_their_roles_default_dashboard_until_they_change_it(login, deals, container):
    client = login("wang.fang")
    page = client.get("/dashboards").text
    titles = re.findall(r'<h2><a href="/reports/saved/\d+">([^<]+)</a></h2>', page)
    assert titles == ["My open pipeline by stage", "My activities by month", "My leads by status"]
    assert "The default dashboard for your role" in page
    assert page.count("data-chart=") == 1 and page.count("Nothing to count here yet.") == 2  # no activities, leads
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Dashboard)) == 3  # seeded on this first visit
    manager = tiles(login("liu.yang"))  # a manager's default: their team's pipeline, activities, leads
    assert len(manager) == 3 and not set(manager) & set(titles)


def tiles(client) -> list[str]:
    return re.findall(r'<h2><a href="/reports/saved/\d+">([^<]+)</a></h2>', client.get("/dashboards").text)


def tile_ids(client) -> list[str]:
    return re.findall(r'<section class="tile" id="tile-(\d+)"', client.get("/dashboards").text)


def test_add_move_and_remove_tiles_then_go_back_to_the_default(login, deals):
    client = login("wang.fang")
    report_id = saved_id(save(client, GROUPED, "Pipeline by owner"))
    token = csrf_token(client.get("/dashboards").text)
    response = client.post("/dashboards/tiles", data={"csrf_token": token, "report_id": report_id, "show": "table"})
    assert response.status_code == 302
    assert tiles(client) == ["My open pipeline by stage", "My activities by month", "My leads by status",
                             "Pipeline by owner"]
    page = client.get("/dashboards").text
    assert "Back to the default dashboard" in page and page.count("data-chart=") == 1  # the new one: a table
    mine = tile_ids(client)
    client.post(f"/dashboards/tiles/{mine[3]}/move", data={"csrf_token": token, "direction": "up"})
    client.post(f"/dashboards/tiles/{mine[0]}/move", data={"csrf_token": token, "direction": "down"})
    assert tiles(client) == ["My activities by month", "My open pipeline by stage", "Pipeline by owner",
                             "My leads by status"]
    client.post(f"/dashboards/tiles/{mine[1]}/remove", data={"csrf_token": token})
    assert tiles(client) == ["My open pipeline by stage", "Pipeline by owner", "My leads by status"]
    again = client.post("/dashboards/tiles", data={"csrf_token": token, "report_id": report_id, "show": "both"})
    assert "Not added: the report is already on your dashboard" in client.get(again.location).text
    client.post("/dashboards/reset", data={"csrf_token": token})
    assert tiles(client) == ["My open pipeline by stage", "My activities by month", "My leads by status"]


def test_a_first_change_to_the_default_leaves_everyone_elses_alone(login, deals):
    rep = login("wang.fang")
    token = csrf_token(rep.get("/dashboards").text)
    default_ids = tile_ids(rep)
    rep.post(f"/dashboards/tiles/{default_ids[0]}/remove", data={"csrf_token": token})
    assert tiles(rep) == ["My activities by month", "My leads by status"]
    assert tiles(login("zhang.wei")) == ["我的进行中管道（按阶段）", "我的活动（按月）", "我的线索（按状态）"]  # in his language
    assert rep.post(f"/dashboards/tiles/{default_ids[1]}/remove", data={"csrf_token": token}).status_code == 404


def test_a_tile_goes_when_its_report_is_no_longer_shared(login, deals, container):
    owner = login("liu.yang")
    report_id = saved_id(save(owner, GROUPED, "Team pipeline", f"unit:{unit(container, 'Team 1')}"))
    rep = login("wang.fang")
    token = csrf_token(rep.get("/dashboards").text)
    rep.post("/dashboards/tiles", data={"csrf_token": token, "report_id": report_id, "show": "both"})
    assert "Team pipeline" in tiles(rep)
    owner_token = csrf_token(owner.get(f"/reports/saved/{report_id}").text)
    owner.post(f"/reports/saved/{report_id}/delete", data={"csrf_token": owner_token})
    assert "Team pipeline" not in tiles(rep)


def test_adding_a_report_before_ever_opening_the_dashboard_keeps_the_default_ones(login, deals):
    client = login("liu.yang")
    report_id = saved_id(save(client, GROUPED, "Pipeline by owner"))
    token = csrf_token(client.get(f"/reports/saved/{report_id}").text)
    client.post("/dashboards/tiles", data={"csrf_token": token, "report_id": report_id, "show": "both"})
    found = tiles(client)
    assert len(found) == 4 and found[3] == "Pipeline by owner"
