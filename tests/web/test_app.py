"""The Flask app: catalogue page, health check, friendly errors and the CLI commands."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

import bootstrap
from web import create_app


@pytest.fixture(params=["sqlite"])
def database_url(request, tmp_path, sqlite_template) -> Iterator[str]:
    """The web tests need one backend; the engine is covered on both elsewhere."""
    import shutil

    shutil.copy(sqlite_template, tmp_path / "web.db")
    yield f"sqlite:///{tmp_path / 'web.db'}"


@pytest.fixture
def app(container: bootstrap.Container) -> Flask:
    return create_app(container=container)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_the_start_page_lists_the_deployed_processes(app: Flask, client: FlaskClient):
    assert "No process is deployed yet." in client.get("/").text
    result = app.test_cli_runner().invoke(args=["deploy-shipped"])
    assert result.exit_code == 0 and "deployed standard_sale v1" in result.output
    page = client.get("/").text
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


def test_pages_follow_the_browser_language_and_the_switch(app: Flask, client: FlaskClient):
    assert "Deployed processes" in client.get("/").text
    chinese = app.test_client().get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    assert "已部署的流程" in chinese and 'lang="zh-CN"' in chinese
    token = client.get("/").text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/language/zh_CN", data={"csrf_token": token})
    assert "尚未部署任何流程。" in client.get("/").text


def test_forms_without_a_csrf_token_are_refused(client: FlaskClient):
    response = client.post("/language/zh_CN")
    assert response.status_code == 400 and "Traceback" not in response.text


def test_responses_carry_security_headers(client: FlaskClient):
    headers = client.get("/").headers
    assert headers["X-Frame-Options"] == "DENY" and "default-src 'self'" in headers["Content-Security-Policy"]


def test_health_check(client: FlaskClient):
    assert client.get("/healthz").json == {"status": "ok"}
