"""The duplicate rules admin page: admins only, CSRF, field problems beside their cells, the check form."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.web.conftest import csrf_token
from workflows.dedupe import DuplicateRule, load_default_rules, refresh_match_columns
from workflows.leads.models import Lead

URL = "/admin/duplicate-rules"


@pytest.fixture
def defaults(app, container):
    with container.uow() as uow:
        load_default_rules(uow.session)
        now = container.engine.clock.now()
        lead = Lead(name="李雷", company="上海某某科技有限公司", phone="13800138000", source="manual",
                    owner="wang.fang", created_at=now, updated_at=now)
        refresh_match_columns(lead)
        uow.session.add(lead)
        uow.commit()


def rule_form(token: str, **overrides: str) -> dict[str, str]:
    data = {"csrf_token": token, "object": "lead", "name": "Same address and name", "action": "warn",
            "position": "50", "active": "y",
            "conditions-0-field": "name", "conditions-0-match": "fuzzy", "conditions-0-threshold": "88",
            "conditions-1-field": "address", "conditions-1-match": "exact"}
    return {**data, **overrides}


@pytest.mark.parametrize("username", ["wang.fang", "liu.yang"])
def test_only_admins_get_in(login, defaults, username):
    client = login(username)
    assert client.get(URL).status_code == 403
    assert client.post(URL, data=rule_form(csrf_token(client.get("/password").text))).status_code == 403
    assert client.post(f"{URL}/1/deactivate", data={"csrf_token": csrf_token(client.get("/password").text)}).status_code == 403


def test_an_admin_sees_the_default_rules_and_adds_one(login, defaults, container):
    admin = login("admin")
    page = admin.get(URL).text
    assert "Same phone" in page and "Similar company and name" in page and "similar, at least 92" in page
    added = admin.post(URL, data=rule_form(csrf_token(page)))
    assert added.status_code == 302
    with container.session_factory() as session:
        rule = session.scalars(select(DuplicateRule).where(DuplicateRule.name == "Same address and name")).one()
        assert rule.fields == [{"field": "name", "match": "fuzzy", "threshold": 88},
                               {"field": "address", "match": "exact"}]


def test_a_post_without_the_csrf_token_is_refused(login, defaults, container):
    admin = login("admin")
    refused = admin.post(URL, data=rule_form(""))
    assert refused.status_code == 400
    with container.session_factory() as session:
        assert session.scalars(select(DuplicateRule).where(DuplicateRule.name == "Same address and name")).first() is None


def test_bad_cells_are_named_beside_them_and_nothing_is_saved(login, defaults, container):
    admin = login("admin")
    token = csrf_token(admin.get(URL).text)
    refused = admin.post(URL, data=rule_form(token, name="", **{
        "conditions-0-threshold": "150", "conditions-1-field": "email", "conditions-1-match": "fuzzy",
        "conditions-1-threshold": "90"}))
    assert refused.status_code == 400
    assert "is required" in refused.text and "must be a whole number from 0 to 100" in refused.text
    assert "phones and emails are compared exactly or by their start" in refused.text
    only_address = admin.post(URL, data=rule_form(token, **{"conditions-0-field": ""}))
    assert only_address.status_code == 400 and "the address alone cannot be searched" in only_address.text
    with container.session_factory() as session:
        assert session.scalar(select(DuplicateRule).where(DuplicateRule.position == 50)) is None


def test_an_admin_edits_and_deactivates_a_rule(login, defaults, container):
    admin = login("admin")
    with container.session_factory() as session:
        rule_id = session.scalars(select(DuplicateRule.id).where(DuplicateRule.name == "Similar name")).one()
    page = admin.get(f"{URL}/{rule_id}").text
    assert 'value="92"' in page
    token = csrf_token(page)
    saved = admin.post(f"{URL}/{rule_id}", data={
        "csrf_token": token, "object": "account", "name": "Similar name", "action": "block", "position": "0",
        "active": "y", "conditions-0-field": "name", "conditions-0-match": "fuzzy", "conditions-0-threshold": "95"})
    assert saved.status_code == 302
    assert admin.post(f"{URL}/{rule_id}/deactivate", data={"csrf_token": token}).status_code == 302
    with container.session_factory() as session:
        rule = session.get_one(DuplicateRule, rule_id)
        assert (rule.action, rule.fields[0]["threshold"], rule.active) == ("block", 95, False)
    assert admin.get(f"{URL}/999999").status_code == 404
    assert admin.post(f"{URL}/999999/deactivate", data={"csrf_token": token}).status_code == 404


def test_the_check_form_shows_which_rules_fire_with_their_scores(login, defaults):
    admin = login("admin")
    page = admin.get(URL, query_string={"check_object": "lead", "check_name": "李雷",
                                        "check_company": "上海某某科技", "check_phone": "+86 138-0013-8000"}).text
    assert "Rules that fire" in page and "李雷 · 上海某某科技有限公司" in page
    assert "Same phone" in page and "Phone 100" in page and "Company 100, Name 100" in page
    near = admin.get(URL, query_string={"check_object": "lead", "check_name": "李雷", "check_company": "上海某某电子"}).text
    assert "Close, but below a threshold" in near and "Name 100" in near


def test_bad_check_values_are_named_not_crashed_on(login, defaults):
    admin = login("admin")
    page = admin.get(URL, query_string={"check_object": "planet", "check_name": "x" * 400})
    assert page.status_code == 200
    assert "is not one of the allowed values" in page.text and "must be at most 300 characters" in page.text
