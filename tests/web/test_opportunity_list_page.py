"""The opportunity list page and saved views, through the test client."""

from __future__ import annotations

import re

import pytest

import bootstrap
from tests.deals import seed_deals
from tests.web.conftest import csrf_token


@pytest.fixture
def deals(app, container: bootstrap.Container) -> dict[str, int]:
    bootstrap.deploy_shipped(container)
    return seed_deals(container)


def body_rows(page: str) -> list[str]:
    """The opportunity names in the table body, in order."""
    tbody = page.split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r'<a href="/opportunities/\d+">([^<]+)</a>', tbody)


def test_the_header_links_to_the_list(login):
    assert 'href="/opportunities">Opportunities</a>' in login("wang.fang").get("/tasks").text


def test_a_rep_sees_their_own_with_totals_of_the_filtered_set(login, deals):
    page = login("wang.fang").get("/opportunities").text
    assert body_rows(page) == ["ACME conveyors", "ACME robots"]  # closing soonest first
    assert "2 opportunities" in page and "CN¥170,000.00" in page
    assert "Weighted by probability: CN¥20,000.00" in page
    assert 'name="owner"' not in page  # a rep sees only their own: no owner filter


def test_a_manager_filters_by_stage_and_owner(login, deals):
    client = login("liu.yang")
    assert body_rows(client.get("/opportunities?stage=quotation").text) == ["ACME conveyors", "Huajin AGVs"]
    page = client.get("/opportunities?owner=zhang.wei&sort=amount&desc=1").text
    assert body_rows(page) == ["ACME spare parts 100%", "Huajin AGVs"]
    assert 'name="owner"' in page and "Westlake" not in page


def test_the_filter_offers_the_stages_of_the_chosen_pipeline(login, deals):
    page = login("wang.fang").get(f"/opportunities?business_type={deals['tender']}").text
    assert '<option value="bidding"' in page and '<option value="quotation"' not in page


@pytest.mark.parametrize("query", [
    "business_type=abc&close_from=yesterday&page=-1", "page=99999999999999999999&sort=x",
    "status=<script>&q=%25%25", "business_type=99999999999", "close_to=2026-02-30&desc=1",
])
def test_bad_filter_values_are_reported_never_a_crash(login, deals, query):
    response = login("wang.fang").get(f"/opportunities?{query}")
    assert response.status_code == 200
    assert "<script>" not in response.text.split("<main>")[1]


def test_an_ignored_filter_is_named(login, deals):
    page = login("wang.fang").get("/opportunities?close_from=yesterday").text
    assert "Filter ignored: Closing from must be a date (YYYY-MM-DD)" in page
    assert body_rows(page) == ["ACME conveyors", "ACME robots"]


def test_a_page_past_the_end_shows_the_last_page(login, deals):
    page = login("liu.yang").get("/opportunities?page=7").text
    assert len(body_rows(page)) == 4


def test_save_a_view_see_it_above_the_list_and_delete_it(login, deals):
    client = login("wang.fang")
    token = csrf_token(client.get("/opportunities").text)
    response = client.post("/opportunities/views", data={
        "csrf_token": token, "name": "Quotes out", "stage": "quotation", "status": "open", "bogus": "1"})
    assert response.status_code == 302 and response.location == "/opportunities?stage=quotation&status=open"
    page = client.get(response.location).text
    assert "Saved the view “Quotes out”." in page
    assert re.search(r'<a href="/opportunities\?stage=quotation&amp;status=open" aria-current="page">'
                     r'Quotes out</a>', page)
    view_id = re.search(r'action="/opportunities/views/(\d+)/delete"', page).group(1)
    assert "Quotes out" not in login("liu.yang").get("/opportunities").text
    assert client.post(f"/opportunities/views/{view_id}/delete", data={"csrf_token": token}).status_code == 302
    assert "Quotes out" not in client.get("/opportunities").text


def test_someone_elses_view_cannot_be_deleted(login, deals):
    owner = login("wang.fang")
    token = csrf_token(owner.get("/opportunities").text)
    owner.post("/opportunities/views", data={"csrf_token": token, "name": "Mine"})
    view_id = re.search(r'action="/opportunities/views/(\d+)/delete"', owner.get("/opportunities").text).group(1)
    other = login("sun.li")
    other_token = csrf_token(other.get("/opportunities").text)
    assert other.post(f"/opportunities/views/{view_id}/delete",
                      data={"csrf_token": other_token}).status_code == 404
    assert "Mine" in owner.get("/opportunities").text


def test_a_view_without_a_name_is_not_saved(login, deals):
    client = login("wang.fang")
    token = csrf_token(client.get("/opportunities").text)
    response = client.post("/opportunities/views", data={"csrf_token": token, "name": " ", "status": "won"})
    assert response.location == "/opportunities?status=won"
    assert "The view was not saved: Name is required (at most 120 characters)" in client.get(
        response.location).text


def test_saving_a_view_needs_the_csrf_token(login, deals):
    response = login("wang.fang").post("/opportunities/views", data={"name": "Sneaky"})
    assert response.status_code == 400
