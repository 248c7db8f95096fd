"""The public Web-to-Lead endpoint: a customer's website posts leads into a pool, without a
login or a CSRF token, held off by a honeypot, a rate limit and size limits."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import bootstrap
from tests.web.conftest import csrf_token
from web.web_to_lead import LIMITER
from workflows.leads.capture import WebFormInput, save_web_form
from workflows.leads.capture_models import WebForm
from workflows.leads.demo import load_demo_leads
from workflows.leads.models import Lead, Pool
from workflows.leads.throttle import MemoryLimiter
from workflows.org.models import User
from workflows.org.visibility import viewer_for

THANKS = "https://www.customer.example/thanks"


def make_form(container: bootstrap.Container, **changes) -> WebForm:
    bootstrap.deploy_shipped(container)  # the lead intake places what arrives
    with container.uow() as uow:
        load_demo_leads(uow.session, container.engine.clock.now())
        admin_id = uow.session.scalars(select(User.id).where(User.username == "admin")).one()
        admin = viewer_for(uow.session, admin_id)
        pool = uow.session.scalars(select(Pool).order_by(Pool.id)).first()
        settings = {"name": "Contact us", "fields": ("name", "company", "phone", "email", "note"),
                    "required": ("name", "phone"), "pool_id": str(pool.id), "thank_you_url": THANKS,
                    **changes}
        form = save_web_form(uow.session, admin, WebFormInput(**settings), container.engine.clock.now())
        uow.commit()
        return form


def website_leads(container: bootstrap.Container) -> list[Lead]:
    with container.session_factory() as session:
        return list(session.scalars(select(Lead).where(Lead.source != "manual", Lead.created_by.is_(None),
                                                       Lead.name.like("W2L%"))))


@pytest.fixture
def form(app, container) -> WebForm:
    return make_form(container)


def test_a_post_lands_in_the_pool_and_redirects_to_the_thank_you_page(app, container, form):
    visitor = app.test_client()
    response = visitor.post(f"/w2l/{form.public_key}", data={
        "name": "W2L 李娜", "company": "上海测试有限公司", "phone": "13812345678", "rating": "hot",
        "source": "referral", "owner": "wang.fang"})
    assert response.status_code == 303 and response.headers["Location"] == THANKS
    [lead] = website_leads(container)
    assert (lead.pool_id, lead.owner, lead.source, lead.rating, lead.status) == (
        form.pool_id, None, "website", "warm", "pooled")  # the sender chooses none of these
    assert lead.phone_e164 == "+8613812345678"


def test_a_lead_from_shanghai_is_assigned_to_the_shanghai_team_by_the_assignment_table(app, container):
    form = make_form(container, fields=("name", "phone", "region"))
    response = app.test_client().post(f"/w2l/{form.public_key}", data={
        "name": "W2L 王五", "phone": "13812345679", "region": "上海"})
    assert response.status_code == 303
    [lead] = website_leads(container)
    assert lead.owner in {"zhang.wei", "li.na", "wang.fang"} and (lead.pool_id, lead.status) == (form.pool_id, "new")


def test_a_json_post_answers_201(app, container, form):
    response = app.test_client().post(f"/w2l/{form.public_key}", json={
        "name": "W2L Json", "phone": 13912345678, "email": "json@example.com"})
    assert response.status_code == 201 and response.json == {"status": "accepted"}
    assert [lead.phone for lead in website_leads(container)] == ["13912345678"]


def test_required_fields_and_bad_values_are_named_and_nothing_is_kept(app, container, form):
    visitor = app.test_client()
    response = visitor.post(f"/w2l/{form.public_key}", json={"name": "", "email": "not-an-email",
                                                             "company": ["nested"]})
    assert response.status_code == 400 and set(response.json["fields"]) == {"company"}
    response = visitor.post(f"/w2l/{form.public_key}", json={"name": "", "email": "not-an-email"})
    assert response.status_code == 400
    assert set(response.json["fields"]) == {"name", "phone", "email"}
    page = visitor.post(f"/w2l/{form.public_key}", data={"name": "W2L x" * 100, "phone": "12"},
                        headers={"Accept-Language": "en"})
    assert page.status_code == 400 and "must be at most 120 characters" in page.text
    assert "is not a valid phone number" in page.text and 'value="12"' in page.text
    assert website_leads(container) == []


def test_a_filled_honeypot_is_answered_as_accepted_and_kept_nowhere(app, container, form):
    response = app.test_client().post(f"/w2l/{form.public_key}", data={
        "name": "W2L Bot", "phone": "13812345678", "homepage": "http://spam.example"})
    assert response.status_code == 303 and response.headers["Location"] == THANKS
    assert website_leads(container) == []


def test_an_oversized_body_is_refused(app, container, form):
    response = app.test_client().post(f"/w2l/{form.public_key}", data={
        "name": "W2L Big", "phone": "13812345678", "note": "x" * 21_000})
    assert response.status_code == 413
    assert website_leads(container) == []


def test_more_than_ten_posts_a_minute_from_one_address_get_429(app, container, form):
    app.extensions[LIMITER] = MemoryLimiter(10)
    visitor = app.test_client()
    answers = [visitor.post(f"/w2l/{form.public_key}", data={"name": f"W2L {i}", "phone": f"1381234{i:04d}"},
                            environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code for i in range(12)]
    assert answers == [303] * 10 + [429, 429]
    refused = visitor.post(f"/w2l/{form.public_key}", json={"name": "W2L late", "phone": "13800000000"},
                           environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    other = visitor.post(f"/w2l/{form.public_key}", data={"name": "W2L other", "phone": "13800000001"},
                         environ_base={"REMOTE_ADDR": "203.0.113.10"})
    assert other.status_code == 303
    assert len(website_leads(container)) == 11


def test_an_inactive_or_unknown_form_is_404(app, container):
    inactive = make_form(container, active=False)
    visitor = app.test_client()
    assert visitor.post(f"/w2l/{inactive.public_key}", data={"name": "W2L", "phone": "13812345678"}
                        ).status_code == 404
    assert visitor.get(f"/w2l/{inactive.public_key}").status_code == 404
    assert visitor.post("/w2l/" + "x" * 500, json={"name": "W2L"}).status_code == 404
    assert website_leads(container) == []


def test_the_embeddable_form_speaks_the_browser_language_and_may_be_framed(app, form):
    visitor = app.test_client()
    english = visitor.get(f"/w2l/{form.public_key}", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert english.status_code == 200 and "Phone" in english.text and 'name="homepage"' in english.text
    # An HTML page: with nosniff, browsers showed the form's source as text (found by a browser test).
    assert english.mimetype == "text/html"
    assert "X-Frame-Options" not in english.headers
    policy = english.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in policy and "form-action 'self' https://www.customer.example" in policy
    assert "script-src 'self'" in policy and "<script" not in english.text
    chinese = visitor.get(f"/w2l/{form.public_key}", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert "电话" in chinese.text and "提交" in chinese.text and 'lang="zh-CN"' in chinese.text


def test_the_login_pages_keep_their_frame_protection(app):
    assert app.test_client().get("/login").headers["X-Frame-Options"] == "DENY"


def test_an_admin_defines_a_form_and_a_rep_may_not(login, container):
    make_form(container)  # the demo pools
    admin = login("admin")
    page = admin.get("/admin/lead-forms/new")
    assert page.status_code == 200
    with container.session_factory() as session:
        pool_id = session.scalars(select(Pool.id).order_by(Pool.id)).first()
    bad = admin.post("/admin/lead-forms/new", data={
        "csrf_token": csrf_token(page.text), "name": "Expo", "fields": ["name", "title"], "required": ["email"],
        "pool_id": str(pool_id), "source": "event", "thank_you_url": "javascript:alert(1)", "active": "y"})
    assert bad.status_code == 400
    for message in ("must include a phone number", "may only name fields", "must be an http"):
        assert message in bad.text
    saved = admin.post("/admin/lead-forms/new", data={
        "csrf_token": csrf_token(page.text), "name": "Expo", "fields": ["name", "email"], "required": ["email"],
        "pool_id": str(pool_id), "source": "event", "thank_you_url": "", "active": "y"})
    assert saved.status_code == 302
    with container.session_factory() as session:
        expo = session.scalars(select(WebForm).where(WebForm.name == "Expo")).one()
        assert (expo.fields, expo.required, expo.source) == (["name", "email"], ["name", "email"], "event")
        assert len(expo.public_key) >= 32
    assert expo.public_key in admin.get(f"/admin/lead-forms/{expo.id}").text
    thanks = app_post(login, expo.public_key, {"name": "W2L Expo", "email": "expo@example.com"})
    assert thanks.status_code == 200 and "Thank you" in thanks.text and thanks.mimetype == "text/html"
    assert login("wang.fang").get("/admin/lead-forms").status_code == 403
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(WebForm)) == 2


def app_post(login, key: str, data: dict[str, str]):
    anonymous = login("wang.fang").application.test_client()
    return anonymous.post(f"/w2l/{key}", data=data, headers={"Accept-Language": "en"})
