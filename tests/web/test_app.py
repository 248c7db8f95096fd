"""The Flask app: catalogue page, health check, friendly errors and the CLI commands."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.web.conftest import csrf_token


def test_the_start_page_lists_the_deployed_processes(app: Flask, client: FlaskClient):
    assert "No process is deployed yet." in client.get("/processes").text
    result = app.test_cli_runner().invoke(args=["deploy-shipped"])
    assert result.exit_code == 0 and "deployed standard_sale v1" in result.output
    page = client.get("/processes").text
    assert "standard_sale" in page and "Standard sale" in page and "v1" in page


def test_deploying_the_shipped_processes_again_keeps_their_versions(app: Flask):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["deploy-shipped"]).output
    again = runner.invoke(args=["deploy-shipped"]).output
    assert first == again and "v2" not in again


def test_unknown_pages_get_a_friendly_404(client: FlaskClient):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Traceback" not in response.text and "Back to the start page" in response.text


def test_pages_follow_the_browser_language_and_the_switch(login, client: FlaskClient):
    assert "Deployed processes" in client.get("/processes").text
    chinese = login("zhang.wei").get("/processes").text  # zhang.wei's account is set to Chinese
    assert "已部署的流程" in chinese and 'lang="zh-CN"' in chinese
    token = csrf_token(client.get("/processes").text)
    client.post("/language/zh_CN", data={"csrf_token": token})
    assert "尚未部署任何流程。" in client.get("/processes").text
    assert "尚未部署任何流程。" in login("wang.fang").get("/processes").text  # remembered for the next login


def test_forms_without_a_csrf_token_are_refused(client: FlaskClient):
    response = client.post("/language/zh_CN")
    assert response.status_code == 400 and "Traceback" not in response.text


def test_responses_carry_security_headers(client: FlaskClient):
    headers = client.get("/").headers
    assert headers["X-Frame-Options"] == "DENY" and "default-src 'self'" in headers["Content-Security-Policy"]


def test_pages_need_a_login_and_the_login_page_lists_demo_users(app: Flask):
    anonymous = app.test_client()
    response = anonymous.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = anonymous.get("/login", headers={"Accept-Language": "en"}).text
    assert "Demo logins" in page and "zhang.wei" in page and "demo1234" in page


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(app: Flask):
    anonymous = app.test_client()
    token = csrf_token(anonymous.get("/login").text)
    page = anonymous.post("/login", data={"username": "zhang.wei", "password": "nope", "csrf_token": token},
                          headers={"Accept-Language": "en"}).text
    assert "Wrong username or password, or the account is deactivated." in page


def test_logout_ends_the_session(client: FlaskClient):
    token = csrf_token(client.get("/processes").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert "/login" in client.get("/tasks").headers["Location"]


def test_everyone_starts_at_their_tasks(client: FlaskClient):
    assert client.get("/").headers["Location"] == "/tasks"


def test_health_check(client: FlaskClient):
    assert client.get("/healthz").json == {"status": "ok"}
