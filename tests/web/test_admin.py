"""The admin pages in the browser's HTML: users (create, edit, move, roles, deactivate) and units.

``admin`` reads English; the demo has 22 users, so the 20-a-page list has two pages.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

import bootstrap
from tests.web.conftest import csrf_token
from workflows.accounts.models import Account
from workflows.org.demo import DEMO_PASSWORD
from workflows.org.models import OrgUnit, User

ADMIN_PAGES = ["/admin/users", "/admin/users/new", "/admin/users/{id}", "/admin/units"]
ADMIN_POSTS = ["/admin/users/new", "/admin/users/{id}", "/admin/users/{id}/deactivate",
               "/admin/users/{id}/reactivate", "/admin/units"]


def user_id(container: bootstrap.Container, username: str) -> int:
    with container.session_factory() as session:
        return session.scalars(select(User.id).where(User.username == username)).one()


def user_row(container: bootstrap.Container, username: str) -> User | None:
    with container.session_factory() as session:
        return session.scalars(select(User).where(User.username == username)).one_or_none()


def unit_id(container: bootstrap.Container, name: str) -> int:
    with container.session_factory() as session:
        return session.scalars(select(OrgUnit.id).where(OrgUnit.name.contains(name))).one()


def user_count(container: bootstrap.Container) -> int:
    with container.session_factory() as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


def post_form(client: FlaskClient, url: str, **fields: object):
    """Submit a form the way a browser does: the token comes from the page itself."""
    return client.post(url, data={"csrf_token": csrf_token(client.get(url).text), **fields})


def password_login(app: Flask, username: str, password: str):
    """A fresh browser's login attempt: 302 when it worked, the login page again when not."""
    client = app.test_client()
    token = csrf_token(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       headers={"Accept-Language": "en"})


def new_user_fields(container: bootstrap.Container, **overrides: object) -> dict[str, object]:
    fields: dict[str, object] = dict(
        username="Zhao.Min", display_name="赵敏", email="zhao.min@example.com", password=DEMO_PASSWORD,
        org_unit_id=str(unit_id(container, "Team 2")), manager_id=str(user_id(container, "huang.lei")),
        roles=["sales_rep"], locale="en", timezone="Asia/Shanghai",
    )
    return fields | overrides


@pytest.fixture
def admin(login) -> FlaskClient:
    return login("admin")


# --- who gets in ------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["wang.fang", "liu.yang"])
def test_no_one_but_an_admin_opens_or_posts_to_any_admin_page(login, container, username):
    client = login(username)
    target = user_id(container, "zhang.wei")
    assert 'href="/admin/users"' not in client.get("/tasks").text
    for page in ADMIN_PAGES + ["/admin/users/999999"]:  # an unknown id is refused alike: no leak
        response = client.get(page.format(id=target))
        assert response.status_code == 403 and "Traceback" not in response.text
    token = csrf_token(client.get("/tasks").text)
    for url in ADMIN_POSTS:
        fields = {"csrf_token": token, "display_name": "Hacked", "username": "intruder", "name": "X"}
        assert client.post(url.format(id=target), data=fields).status_code == 403
    assert user_row(container, "zhang.wei").active and user_row(container, "intruder") is None


def test_the_refusal_is_a_friendly_page_in_the_readers_language(login):
    page = login("wang.fang").get("/admin/users").text
    assert "Not allowed" in page and "Only administrators may open the admin pages." in page


def test_admins_see_the_admin_link(admin):
    assert 'href="/admin/users"' in admin.get("/tasks").text


# --- the list ---------------------------------------------------------------------------


def test_the_list_shows_each_users_place_roles_and_status(admin):
    page = admin.get("/admin/users").text
    assert "22 user(s)" in page
    row = page[page.index(">wang.fang<"):].split("</tr>")[0]
    assert all(text in row for text in ("王芳", "销售一组 Team 1", "刘洋", "Sales rep", "Active"))


def test_the_list_is_paginated(admin):
    first, second = admin.get("/admin/users").text, admin.get("/admin/users?page=2").text
    assert ">admin<" in first and ">zhou.min<" not in first
    assert ">zhou.min<" in second and ">zhao.qiang<" in second and ">admin<" not in second
    assert 'href="/admin/users?page=2"' in first


@pytest.mark.parametrize(("query", "expected", "absent"), [
    ("q=WANG", {"wang.fang", "wang.jianguo"}, {"liu.yang"}),
    ("q=王", {"wang.fang", "wang.jianguo"}, {"liu.yang"}),  # the display name
    ("role=sales_director", {"chen.hao", "zhou.min"}, {"liu.yang", "admin"}),
    ("status=inactive", set(), {"admin", "wang.fang"}),
])
def test_search_and_filters(admin, query, expected, absent):
    page = admin.get(f"/admin/users?{query}").text
    assert all(f">{u}<" in page for u in expected) and not any(f">{u}<" in page for u in absent)


def test_the_unit_filter_takes_the_units_below_and_pages_keep_the_filter(admin, container):
    shanghai = unit_id(container, "Shanghai branch")
    page = admin.get(f"/admin/users?unit={shanghai}").text
    assert "8 user(s)" in page and ">zhao.qiang<" in page and ">sun.li<" not in page
    assert admin.get(f"/admin/users?unit={unit_id(container, 'Team 1')}").text.count("/admin/users/") == 5  # 4 + "New user"


# --- creating ---------------------------------------------------------------------------


def test_an_admin_creates_a_user_who_can_then_log_in(app, admin, container, login):
    response = post_form(admin, "/admin/users/new", **new_user_fields(container))
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).text
    assert "User zhao.min created" in page and 'value="赵敏"' in page
    created = user_row(container, "zhao.min")
    assert created.roles == ["sales_rep"] and created.manager_id == user_id(container, "huang.lei")
    assert "Tasks" in login("zhao.min").get("/tasks").text  # logged in, English as chosen


def test_the_new_user_form_offers_units_managers_roles_languages_and_zones(admin):
    page = admin.get("/admin/users/new").text
    for text in ("销售一组 Team 1", "刘洋 (liu.yang)", 'type="checkbox"', "Sales director", "English",
                 "中文", "Europe/Berlin", 'name="csrf_token"'):
        assert text in page


@pytest.mark.parametrize(("overrides", "message"), [
    ({"username": "wang.fang"}, "&#39;wang.fang&#39; is already taken"),
    ({"password": "short"}, "at least 8 characters"),
    ({"org_unit_id": ""}, "Choose an org unit."),
    ({"username": "Bad Name!"}, "lower-case letters, digits"),
    ({"timezone": "Mars/Olympus"}, "Not a valid choice"),
])
def test_a_bad_form_answers_400_with_the_field_message_keeps_the_input_and_saves_nothing(
        admin, container, overrides, message):
    before = user_count(container)
    response = post_form(admin, "/admin/users/new", **new_user_fields(container, **overrides))
    assert response.status_code == 400 and message in response.text
    assert 'value="赵敏"' in response.text and 'value="zhao.min@example.com"' in response.text
    assert user_count(container) == before


def test_a_taken_username_is_named_beside_its_field(admin, container):
    page = post_form(admin, "/admin/users/new", **new_user_fields(container, username="Wang.Fang")).text
    assert page.index('name="username"') < page.index("&#39;wang.fang&#39; is already taken") \
        < page.index('name="display_name"')


def test_a_missing_unit_field_is_named_too(admin, container):
    fields = new_user_fields(container)
    del fields["org_unit_id"]
    response = post_form(admin, "/admin/users/new", **fields)
    assert response.status_code == 400 and "Choose an org unit." in response.text
    assert user_row(container, "zhao.min") is None


# --- editing ----------------------------------------------------------------------------


def edit_fields(admin: FlaskClient, container: bootstrap.Container, username: str,
                **changes: object) -> dict[str, object]:
    """The edit form as the page fills it in for ``username``, with some fields changed."""
    user = user_row(container, username)
    return {
        "csrf_token": csrf_token(admin.get(f"/admin/users/{user.id}").text),
        "display_name": user.display_name, "email": user.email, "org_unit_id": str(user.org_unit_id),
        "manager_id": str(user.manager_id or ""), "roles": user.roles, "locale": user.locale,
        "timezone": user.timezone,
    } | changes


@pytest.mark.usefixtures("qualify_task")  # wang.fang owns an open task on ACME
def test_moving_a_user_changes_their_unit_and_manager_and_who_sees_their_work(admin, container, login):
    wang = user_id(container, "wang.fang")
    team3, xu = unit_id(container, "Team 3"), user_id(container, "xu.tao")
    assert "ACME" in login("liu.yang").get("/tasks?tab=visible").text
    response = admin.post(f"/admin/users/{wang}", data=edit_fields(
        admin, container, "wang.fang", org_unit_id=str(team3), manager_id=str(xu)))
    assert response.status_code == 302, response.text
    row = admin.get("/admin/users?q=wang.fang").text
    assert "销售三组 Team 3" in row and "徐涛" in row
    assert "ACME" not in login("liu.yang").get("/tasks?tab=visible").text  # the old manager
    assert "ACME" in login("xu.tao").get("/tasks?tab=visible").text  # the new one


def test_profile_and_password_changes_are_saved_and_the_new_password_works(app, admin, container):
    wang = user_id(container, "wang.fang")
    response = admin.post(f"/admin/users/{wang}", data=edit_fields(
        admin, container, "wang.fang", display_name="Fang Wang", email="fang@example.com", timezone="Europe/Berlin",
        password="brand-new-pass"))
    assert response.status_code == 302
    assert "Changes to wang.fang saved." in admin.get(response.headers["Location"]).text
    changed = user_row(container, "wang.fang")
    assert (changed.display_name, changed.email, changed.timezone) == ("Fang Wang", "fang@example.com",
                                                                       "Europe/Berlin")
    assert password_login(app, "wang.fang", "brand-new-pass").status_code == 302
    assert password_login(app, "wang.fang", DEMO_PASSWORD).status_code == 200


def test_setting_roles(admin, container):
    wang = user_id(container, "wang.fang")
    admin.post(f"/admin/users/{wang}", data=edit_fields(admin, container, "wang.fang", roles=["sales_manager", "finance"]))
    assert user_row(container, "wang.fang").roles == ["finance", "sales_manager"]
    assert ">wang.fang<" in admin.get("/admin/users?role=finance").text
    admin.post(f"/admin/users/{wang}", data=edit_fields(admin, container, "wang.fang", roles=[]))
    assert user_row(container, "wang.fang").roles == []


def test_an_edit_is_all_or_nothing(admin, container):
    """A reporting cycle refuses the move, and the name change in the same form is not saved."""
    liu = user_id(container, "liu.yang")
    response = admin.post(f"/admin/users/{liu}", data=edit_fields(
        admin, container, "liu.yang", display_name="Renamed", manager_id=str(user_id(container, "wang.fang"))))
    assert response.status_code == 400 and "wang.fang already reports to this user" in response.text
    assert 'value="Renamed"' in response.text  # the input is kept
    assert user_row(container, "liu.yang").display_name == "刘洋"


def test_a_manager_deactivated_since_does_not_block_an_unrelated_edit(admin, container):
    liu = user_id(container, "liu.yang")
    admin.post(f"/admin/users/{liu}/deactivate", data={"csrf_token": csrf_token(admin.get("/admin/users").text)})
    page = admin.get(f"/admin/users/{user_id(container, 'wang.fang')}").text
    assert "刘洋 (liu.yang), deactivated" in page  # still shown as the current manager
    wang = user_id(container, "wang.fang")
    response = admin.post(f"/admin/users/{wang}", data=edit_fields(admin, container, "wang.fang", display_name="Fang"))
    assert response.status_code == 302 and user_row(container, "wang.fang").manager_id == liu


def test_the_admin_pages_work_in_chinese(admin, container):
    admin.post("/language/zh_CN", data={"csrf_token": csrf_token(admin.get("/tasks").text)})
    for page in ("/admin/users", "/admin/users/new", f"/admin/users/{user_id(container, 'li.na')}", "/admin/units"):
        response = admin.get(page)
        assert response.status_code == 200 and '<html lang="zh-CN"' in response.text
    assert "李娜" in admin.get("/admin/users?q=li.na").text


def test_a_chinese_reading_admin_reads_the_services_problems_in_chinese(admin, container):
    admin.post("/language/zh_CN", data={"csrf_token": csrf_token(admin.get("/tasks").text)})
    page = post_form(admin, "/admin/users/new", **new_user_fields(container, username="Wang.Fang")).text
    assert page.index('name="username"') < page.index("“wang.fang”已被占用") < page.index('name="display_name"')
    team1 = str(unit_id(container, "Team 1"))
    response = post_form(admin, "/admin/units", name="Sub", kind="team", parent_id=team1)
    assert response.status_code == 400 and "小组不能设在小组之下" in response.text  # the kinds translated too
    me = user_id(container, "admin")
    response = admin.post(f"/admin/users/{me}/deactivate", data={"csrf_token": csrf_token(page)},
                          follow_redirects=True)
    assert "不能停用自己的账号" in response.text  # flashed above the page


def test_a_page_past_the_end_still_offers_the_pages(admin):
    page = admin.get("/admin/users?page=9").text
    assert "No user matches." not in page and 'href="/admin/users?page=1"' in page


def test_an_admin_cannot_drop_their_own_admin_role(admin, container):
    me = user_id(container, "admin")
    response = admin.post(f"/admin/users/{me}", data=edit_fields(admin, container, "admin", roles=["finance"]))
    assert response.status_code == 400 and "you cannot remove your own admin role" in response.text
    assert user_row(container, "admin").roles == ["admin"]


def test_an_unknown_user_is_a_404_page(admin):
    assert admin.get("/admin/users/999999").status_code == 404


# --- deactivating -----------------------------------------------------------------------


@pytest.mark.usefixtures("qualify_task")  # wang.fang owns an open task on ACME
def test_deactivating_stops_logins_and_keeps_the_records(app, admin, container, login):
    wang_session = login("wang.fang")
    wang = user_id(container, "wang.fang")
    page = admin.get(f"/admin/users/{wang}").text
    assert f'action="/admin/users/{wang}/deactivate"' in page
    response = admin.post(f"/admin/users/{wang}/deactivate", data={"csrf_token": csrf_token(page)},
                          follow_redirects=True)
    assert "wang.fang is deactivated and can no longer log in" in response.text
    assert wang_session.get("/tasks").status_code == 302  # the open session ends
    refused = password_login(app, "wang.fang", DEMO_PASSWORD)
    assert refused.status_code == 200 and "the account is deactivated" in refused.text
    assert "ACME" in admin.get("/tasks?tab=visible").text  # the task stays
    assert ">wang.fang<" in admin.get("/admin/users?status=inactive").text
    admin.post(f"/admin/users/{wang}/reactivate", data={"csrf_token": csrf_token(page)})
    assert password_login(app, "wang.fang", DEMO_PASSWORD).status_code == 302


def test_an_admin_cannot_deactivate_themselves(admin, container):
    me = user_id(container, "admin")
    page = admin.get(f"/admin/users/{me}").text
    assert 'form="deactivate"' not in page
    response = admin.post(f"/admin/users/{me}/deactivate", data={"csrf_token": csrf_token(page)},
                          follow_redirects=True)
    assert "you cannot deactivate your own account" in response.text
    assert user_row(container, "admin").active


def test_forms_without_the_csrf_token_are_refused(admin, container):
    wang = user_id(container, "wang.fang")
    assert admin.post(f"/admin/users/{wang}/deactivate").status_code == 400
    fields = new_user_fields(container)
    assert admin.post("/admin/users/new", data=fields).status_code == 400
    assert admin.post("/admin/units", data={"name": "X", "kind": "team", "parent_id": ""}).status_code == 400
    assert user_row(container, "wang.fang").active and user_row(container, "zhao.min") is None


# --- org units --------------------------------------------------------------------------


def test_the_org_tree_is_indented_with_member_counts(admin):
    page = admin.get("/admin/units").text
    company = page.index("East China Smart Equipment Co.")
    team1 = page.index("销售一组 Team 1")
    assert company < page.index("上海分公司 Shanghai branch") < page.index("华东销售部") < team1
    assert "padding-left: 0.6rem" in page and "padding-left: 5.1rem" in page  # company, team
    row = page[team1:].split("</tr>")[0]
    assert "<td>4</td>" in row and ">4</a>" in row and "Team" in row


def test_adding_a_unit_under_a_parent(admin, container):
    sales = unit_id(container, "East China sales")
    response = post_form(admin, "/admin/units", name="销售五组 Team 5", kind="team", parent_id=str(sales))
    assert response.status_code == 302
    page = admin.get("/admin/units").text
    assert "Org unit 销售五组 Team 5 added." in page and "销售五组 Team 5" in page.split("</table>")[0]
    assert "销售五组 Team 5" in admin.get("/admin/users/new").text  # now a place for people


@pytest.mark.parametrize(("fields", "message"), [
    ({"name": "Sub", "kind": "team", "parent": "Team 1"}, "a team cannot sit under a team"),
    ({"name": "Sub", "kind": "branch", "parent": None}, "a branch needs a parent unit"),
    ({"name": "", "kind": "team", "parent": "Team 1"}, "This field is required."),
])
def test_a_bad_unit_answers_400_with_the_message_and_adds_nothing(admin, container, fields, message):
    parent = str(unit_id(container, fields["parent"])) if fields["parent"] else ""
    response = post_form(admin, "/admin/units", name=fields["name"], kind=fields["kind"], parent_id=parent)
    assert response.status_code == 400 and message in response.text
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(OrgUnit)) == 10


def test_an_admin_hands_a_leavers_records_over_after_seeing_the_counts(login, container):
    with container.uow() as uow:
        ids = dict(uow.session.execute(select(User.username, User.id)).all())
        now = container.engine.clock.now()
        uow.session.add(Account(name="ACME", owner="wang.fang", created_at=now, updated_at=now))
        uow.commit()
    admin = login("admin")
    page = admin.get(f"/admin/users/{ids['wang.fang']}/handover")
    assert page.status_code == 200 and "<dt>Accounts</dt><dd>1</dd>" in page.text  # admin reads English
    response = admin.post(f"/admin/users/{ids['wang.fang']}/handover",
                          data={"csrf_token": csrf_token(page.text), "successor_id": str(ids["wang.fang"])})
    assert response.status_code == 400 and "must be another active user" in response.text
    response = admin.post(f"/admin/users/{ids['wang.fang']}/handover",
                          data={"csrf_token": csrf_token(page.text), "successor_id": str(ids["li.na"])})
    assert response.status_code == 302
    with container.session_factory() as session:
        assert session.scalars(select(Account.owner).where(Account.name == "ACME")).one() == "li.na"
    assert login("liu.yang").get(f"/admin/users/{ids['wang.fang']}/handover").status_code == 403  # admins only
