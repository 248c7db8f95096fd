"""The contracts and money report pages as a reader uses them: each shows its table and chart for
the chosen period and breakdown, downloads as CSV or XLSX, links each overdue contract, and
shows another branch's manager none of the figures (tests/contract_money.py is the book)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

import bootstrap
from tests.contract_money import NOW, seed_money
from tests.contracts import SD, at_margin, decide, open_approvals, submit
from workflows.org.models import OrgUnit, User
from workflows.org.visibility import viewer_of

HALF_YEAR = "since=2026-01-01&until=2026-06-30"


@pytest.fixture
def book(app, container: bootstrap.Container) -> dict[str, int]:
    container.engine.clock.set(NOW)  # 15 April 2026 in Shanghai
    return seed_money(container)


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_reports_index_lists_the_contract_reports(app, client):
    assert "/login" in app.test_client().get("/reports/contracts/signed").location  # only for those logged in
    page = client.get("/reports").text
    for path in ("/reports/contracts/signed", "/reports/contracts/margins", "/reports/contracts/collections",
                 "/reports/contracts/approvals"):
        assert f'href="{path}"' in page
    assert client.get("/reports/contracts").location.endswith("/reports/contracts/signed")


def test_signed_amount_per_month_with_its_chart_and_downloads(login, book):
    admin = login("admin")  # reads English
    page = admin.get(f"/reports/contracts/signed?{HALF_YEAR}").text
    assert "Signed amount per month" in page and 'data-chart="' in page
    assert "2026-02" in page and "310,000.00" in page and "787,000.00" in page
    assert 'href="/reports/contracts/signed?format=csv&amp;since=2026-01-01&amp;until=2026-06-30&amp;bucket=month' \
           '&amp;by=period"' in page
    rows = csv_rows(admin.get(f"/reports/contracts/signed?{HALF_YEAR}&format=csv"))
    assert rows[0] == ["Period", "Contracts", "Signed amount", "Gross margin", "Margin"]
    assert rows[2] == ["2026-02", "2", "310000.00", "103998.40", "0.3355"]
    assert rows[-1] == ["Total", "6", "787000.00", "162198.40", "0.2061"]


def test_signed_amount_per_quarter_product_industry_team_and_rep(login, book):
    admin = login("admin")
    assert "2026 Q1" in admin.get(f"/reports/contracts/signed?{HALF_YEAR}&bucket=quarter").text
    industries = csv_rows(admin.get(f"/reports/contracts/signed?{HALF_YEAR}&by=industry&format=csv"))
    assert [row[:3] for row in industries[1:]] == [["Manufacturing", "3", "510000.00"], ["Logistics", "2", "205000.00"],
                                                   ["No industry given", "1", "72000.00"], ["Total", "6", "787000.00"]]
    teams = admin.get(f"/reports/contracts/signed?{HALF_YEAR}&by=team").text
    assert "Signed amount per team" in teams and "销售一组 Team 1" in teams and "445,000.00" in teams
    reps = csv_rows(admin.get(f"/reports/contracts/signed?{HALF_YEAR}&by=rep&format=csv"))
    assert reps[1] == ["孙丽", "1", "270000.00", "0.3431"]
    response = admin.get(f"/reports/contracts/signed?{HALF_YEAR}&by=product&format=xlsx")
    assert response.headers["Content-Disposition"] == 'attachment; filename="signed-amount-by-product.xlsx"'
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert [c.value for c in sheet[1]] == ["Product", "Contracts", "Quantity", "Signed amount", "Share"]
    assert [c.value for c in sheet[2]][1:4] == [4, 7, 670000]


def test_margin_bands_page_and_download(login, book):
    admin = login("admin")
    page = admin.get(f"/reports/contracts/margins?{HALF_YEAR}").text
    assert "Contracts signed per margin band" in page and "below 30% the commercial director approves" in page
    rows = csv_rows(admin.get(f"/reports/contracts/margins?{HALF_YEAR}&format=csv"))
    assert [row[:2] for row in rows[1:]] == [["below 0%", "1"], ["0% to 10%", "1"], ["10% to 20%", "2"],
                                             ["20% to 30%", "1"], ["30% and above", "1"], ["Total", "6"]]


def test_collections_page_links_each_overdue_contract(login, book):
    admin = login("admin")
    page = admin.get(f"/reports/contracts/collections?{HALF_YEAR}&by=rep").text
    assert "overdue as of Apr 15, 2026" in page
    assert "540,000.00" in page and "315,000.00" in page and "195,000.00" in page
    assert f'href="/contracts/{book["C3"]}">C3</a>' in page and f'href="/contracts/{book["C1"]}">C1</a>' in page
    assert page.index(">C3</a>") < page.index(">C1</a>")  # the longest overdue first
    summary = csv_rows(admin.get(f"/reports/contracts/collections?{HALF_YEAR}&by=team&format=csv"))
    assert summary[0] == ["Team", "Instalments due", "Due", "Received", "Instalments overdue", "Overdue"]
    assert summary[1] == ["销售一组 Team 1", "4", "405000.00", "180000.00", "2", "195000.00"]
    listing = csv_rows(admin.get(f"/reports/contracts/collections?{HALF_YEAR}&list=overdue&format=csv"))
    assert [row[0] for row in listing[1:]] == ["C3", "C1", "Total"]
    assert listing[1] == ["C3", "Huajin", "张伟", "1", "2026-03-31", "15", "125000.00"]


def test_another_branchs_manager_sees_none_of_it(login, book):
    hangzhou = login("xu.tao")  # team 3, Hangzhou
    signed = csv_rows(hangzhou.get(f"/reports/contracts/signed?{HALF_YEAR}&by=rep&format=csv"))
    assert [row[0] for row in signed[1:]] == ["孙丽", "合计"]
    collections = hangzhou.get(f"/reports/contracts/collections?{HALF_YEAR}").text
    assert f'/contracts/{book["C3"]}"' not in collections and "125,000.00" not in collections
    margins = csv_rows(hangzhou.get(f"/reports/contracts/margins?{HALF_YEAR}&format=csv"))
    assert margins[-1][:2] == ["合计", "1"]


def test_a_unit_out_of_sight_and_bad_values_are_named_and_ignored(login, book, container):
    with container.session_factory() as session:
        team_1 = session.scalars(select(OrgUnit.id).where(OrgUnit.name.contains("Team 1"))).one()
    hangzhou = login("xu.tao")
    response = hangzhou.get(f"/reports/contracts/signed?unit={team_1}&since=soon&by=colour&bucket=week")
    assert response.status_code == 200
    assert response.text.count('class="error"') == 4  # unit, since, bucket, by
    assert "445,000.00" not in response.text
    unknown_format = login("admin").get(f"/reports/contracts/collections?{HALF_YEAR}&list=overdue&format=pdf")
    assert unknown_format.status_code == 200 and "Contracts with money overdue" in unknown_format.text


def test_a_manager_narrows_to_a_team_of_theirs(login, book, container):
    with container.session_factory() as session:
        team_2 = session.scalars(select(OrgUnit.id).where(OrgUnit.name.contains("Team 2"))).one()
    director = login("chen.hao")
    rows = csv_rows(director.get(f"/reports/contracts/signed?{HALF_YEAR}&unit={team_2}&by=rep&format=csv"))
    assert [row[:3] for row in rows[1:]] == [["赵强", "1", "72000.00"], ["合计", "1", "72000.00"]]


def test_approval_turnaround_page(login, book, container):
    bootstrap.deploy_shipped(container)
    with container.session_factory() as session:
        rep = viewer_of(session.scalars(select(User).where(User.username == "wang.fang")).one())
    world = {"acme": book["ACME"], "type": book["type"], "agv": book["AGV-L500"]}
    contract = at_margin(container, rep, world, "0.35")
    submit(container, rep, contract)
    container.engine.clock.advance(timedelta(hours=36))
    decide(container, open_approvals(container, contract)[SD], SD, "approve")
    admin = login("admin")
    rows = csv_rows(admin.get("/reports/contracts/approvals?format=csv"))
    assert rows[0] == ["Approver", "Decisions", "Approved", "Rejected", "Median days", "Average days"]
    assert rows[1] == ["陈浩", "1", "1.0000", "0.0000", "1.5", "1.5"]
    page = admin.get("/reports/contracts/approvals").text
    assert "Approval turnaround per approver" in page and 'data-chart="' in page and "1.5" in page
    assert "陈浩" not in login("xu.tao").get("/reports/contracts/approvals").text
