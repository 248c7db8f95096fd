"""The lead and activity report pages: they render the reader's figures with a chart, narrow
to a period and a unit, download each table as CSV or XLSX, link each no-contact count to its
list, and show another branch's manager none of it."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

import bootstrap
from tests.deals import add_deal
from tests.web.conftest import csrf_token
from workflows.accounts.models import Account
from workflows.activities.models import Activity
from workflows.leads.models import Lead
from workflows.opportunities.models import BusinessType
from workflows.org.models import OrgUnit


@pytest.fixture
def book(app, container: bootstrap.Container) -> dict[str, int]:
    """wang.fang (Shanghai, team 1) converted a website lead into ACME and won a deal there, and
    has not reached a WeChat lead for 20 days; sun.li (Hangzhou) has an event lead and a visit."""
    now = container.engine.clock.now()  # Monday 5 January 2026
    yesterday = now - timedelta(days=1)
    with container.uow() as uow:
        s = uow.session
        kind = BusinessType(name="Standard sale", process_key="standard_sale")
        acme = Account(name="ACME", owner="wang.fang", followup_since=now - timedelta(days=9), created_at=now,
                       updated_at=now)
        s.add_all([kind, acme])
        s.flush()
        deal = add_deal(s, name="ACME robots", account_id=acme.id, business_type_id=kind.id, owner="wang.fang",
                        amount=Decimal("120000"), status="won", stage="won", stage_entered_at=yesterday,
                        created_at=yesterday, updated_at=yesterday)
        s.add_all([
            Lead(name="Web visitor", owner="wang.fang", source="website", region="上海", assigned_via="rule",
                 status="converted", account_id=acme.id, opportunity_id=deal, converted_at=yesterday,
                 created_at=yesterday, updated_at=yesterday),
            Lead(name="WeChat contact", owner="wang.fang", source="wechat", region="上海", assigned_via="pool",
                 status="working", followup_since=now - timedelta(days=20), created_at=yesterday,
                 updated_at=yesterday),
            Lead(name="Fair visitor", owner="sun.li", source="event", region="浙江", assigned_via="manager",
                 status="working", followup_since=now - timedelta(days=40), created_at=yesterday,
                 updated_at=yesterday),
            Activity(kind="visit", subject_type="account", subject_id=acme.id, owner="wang.fang",
                     happened_at=yesterday, created_at=yesterday),
            Activity(kind="call", subject_type="account", subject_id=acme.id, owner="sun.li",
                     happened_at=yesterday, created_at=yesterday),
        ])
        uow.commit()
        units = {name: unit_id for name, unit_id in s.execute(select(OrgUnit.name, OrgUnit.id))}
    return {"hangzhou": units["杭州分公司 Hangzhou branch"], "team_1": units["销售一组 Team 1"]}


def in_english(client: FlaskClient) -> FlaskClient:
    client.post("/language/en", data={"csrf_token": csrf_token(client.get("/reports").text)})
    return client


def cells(page: str, table_id: str) -> list[list[str]]:
    """A report table's body rows as the reader sees them: each cell's text."""
    body = page.split(f'id="{table_id}"')[1].split("</table>")[0].split("<tbody>")[1].split("</tbody>")[0]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_the_reports_index_lists_the_lead_and_activity_reports(login):
    page = login("liu.yang").get("/reports").text
    assert 'href="/reports/leads#by-source"' in page and 'href="/reports/activity#rep-ranking"' in page


def test_a_manager_reads_the_lead_report_of_their_team_with_its_no_contact_lists(login, book):
    manager = in_english(login("liu.yang"))
    page = manager.get("/reports/leads").text
    assert cells(page, "table-by-source") == [["Website", "1", "1", "100.00%"], ["WeChat", "1", "0", "0.00%"]]
    assert cells(page, "table-by-region") == [["上海", "2", "1", "50.00%"]]
    assert ["Claimed from a pool", "1", "0", "0.00%"] in cells(page, "table-by-assignment")
    assert cells(page, "table-per-rep") == [["王芳", "2", "1", "1", "1", "50.00%", "50.00%"]]
    assert page.count("data-chart=") == 5
    # 20 days without contact: in the 7 and 15 day bands, each opening the list; ACME (9 days) in the 7.
    no_contact = cells(page, "table-no-contact")
    assert [row[1:] for row in no_contact] == [["1", "1"], ["1", "0"], ["0", "0"], ["0", "0"]]
    assert 'href="/leads?scope=visible&amp;no_contact=15"' in page
    assert 'href="/accounts?no_contact=7"' in page
    assert "WeChat contact" in manager.get("/leads?scope=visible&no_contact=15").text
    assert "浙江" not in page and "孙丽" not in page and "Event sign-up" not in page


def test_another_branchs_manager_sees_none_of_it(login, book):
    outsider = in_english(login("xu.tao"))
    page = outsider.get("/reports/leads").text
    assert "王芳" not in page and "上海" not in page
    assert cells(page, "table-by-source") == [["Event sign-up", "1", "0", "0.00%"]]
    ranking = outsider.get("/reports/activity").text
    assert "王芳" not in ranking and "孙丽" in ranking
    export = outsider.get("/reports/leads?format=csv&table=reps").get_data().decode("utf-8-sig")
    assert "王芳" not in export and "孙丽" in export
    refused = outsider.get(f"/reports/leads?unit={book['team_1']}&person=wang.fang").text
    assert "Filter ignored: unit is not a unit whose figures you can see" in refused
    assert "Filter ignored: person is not someone whose figures you can see" in refused and "王芳" not in refused


def test_the_period_and_unit_narrow_the_lead_report(login, book):
    director = in_english(login("chen.hao"))
    before = director.get("/reports/leads?since=2025-12-01&until=2025-12-31").text
    assert "Nothing to count here yet." in before and 'id="table-by-source"' not in before
    assert 'value="2025-12-01"' in before
    bad = director.get("/reports/leads?since=soon").text
    assert "Filter ignored: since must be a date (YYYY-MM-DD)" in bad and "Website" in bad
    team = director.get(f"/reports/leads?unit={book['team_1']}").text
    assert cells(team, "table-per-rep")[0][:2] == ["王芳", "2"]
    assert "Leads waiting in your pools count too." not in team


def test_each_lead_table_downloads_as_csv_and_xlsx(login, book):
    admin = login("admin")  # reads English
    response = admin.get("/reports/leads?format=csv&table=source&since=2026-01-01&until=2026-01-05")
    assert response.headers["Content-Disposition"] == 'attachment; filename="leads-source.csv"'
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows == [["Source", "Leads", "Converted", "Conversion rate"], ["Website", "1", "1", "1.0000"],
                    ["WeChat", "1", "0", "0.0000"], ["Event sign-up", "1", "0", "0.0000"],
                    ["Total", "3", "1", "0.3333"]]
    sheet = load_workbook(io.BytesIO(admin.get("/reports/leads?format=xlsx&table=no_contact").get_data())).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["Without contact", "Leads", "Accounts"], ["7 days or more", 2, 1], ["15 days or more", 2, 0],
        ["30 days or more", 1, 0], ["60 days or more", 0, 0]]


def test_the_activity_report_charts_and_ranks_the_team(login, book):
    manager = in_english(login("liu.yang"))
    page = manager.get("/reports/activity?group=week&since=2025-12-29&until=2026-01-05").text
    assert cells(page, "table-activity")[0][2:] == ["王芳", "1", "0", "0", "1"]
    reps = cells(page, "table-reps")
    assert reps[0][:3] == ["1", "王芳", "销售一组 Team 1"] and "120,000.00" in reps[0][3]
    assert {row[1] for row in reps} == {"王芳", "张伟", "李娜"}  # the team's reps, with nothing or not
    assert "Reps ranked by won amount" in page and page.count("data-chart=") == 3
    by_activity = manager.get("/reports/activity?by=activity&group=period").text
    assert "Teams ranked by activity" in by_activity
    assert cells(by_activity, "table-teams") == [["1", "销售一组 Team 1", "3", cells(by_activity, "table-teams")[0][3],
                                                  "1", "1", "0", "0", "1"]]
    sheet = load_workbook(io.BytesIO(manager.get("/reports/activity?format=xlsx&table=reps").get_data())).active
    assert [c.value for c in sheet[1]][:3] == ["Rank", "Rep", "Team"] and sheet["D2"].value == 120000
    own = login("wang.fang").get("/reports/activity").text  # a rep: their own figures, no pickers
    assert [row[1] for row in cells(own, "table-reps")] == ["王芳"] and 'name="unit"' not in own
    bad = manager.get("/reports/activity?by=luck&group=decade").text
    assert "Filter ignored: by is not one of the allowed values" in bad
    assert "Filter ignored: group is not one of the allowed values" in bad
