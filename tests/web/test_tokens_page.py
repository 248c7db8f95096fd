"""The API tokens page: create one (its secret shown once), see the list, revoke."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

import bootstrap
from tests.web.api_client import ApiClient
from tests.web.conftest import csrf_token
from workflows.org.models import ApiToken


def create(client, name: str):
    token = csrf_token(client.get("/account/tokens").text)
    return client.post("/account/tokens", data={"csrf_token": token, "name": name})


def test_a_new_token_is_shown_once_and_works(app: Flask, client):
    assert 'href="/account/tokens"' in client.get("/tasks").text  # linked from every page
    page = create(client, "Nightly export")
    [secret] = re.findall(r"<code>(dfk_[\w-]+)</code>", page.text)
    assert page.headers["Cache-Control"] == "no-store" and "Nightly export" in page.text
    assert secret not in client.get("/account/tokens").text
    assert ApiClient(app, secret).get("/tasks").status_code == 200


def test_only_a_hash_of_the_secret_is_stored(client, container: bootstrap.Container):
    [secret] = re.findall(r"<code>(dfk_[\w-]+)</code>", create(client, "ERP sync").text)
    with container.session_factory() as session:
        stored = session.scalars(select(ApiToken)).one()
    assert stored.name == "ERP sync" and secret not in repr(vars(stored)) and len(stored.secret_hash) == 64


def test_revoking_stops_the_token(app: Flask, client):
    [secret] = re.findall(r"<code>(dfk_[\w-]+)</code>", create(client, "Old laptop").text)
    page = client.get("/account/tokens").text
    [action] = re.findall(r'action="(/account/tokens/\d+/revoke)"', page)
    after = client.post(action, data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert "The token is revoked" in after.text and "revoked" in after.text and action not in after.text
    assert ApiClient(app, secret).get("/tasks").status_code == 401


def test_no_one_revokes_someone_elses_token(login, client):
    create(client, "Mine")
    [action] = re.findall(r'action="(/account/tokens/\d+/revoke)"', client.get("/account/tokens").text)
    other = login("zhang.wei")
    response = other.post(action, data={"csrf_token": csrf_token(other.get("/account/tokens").text)})
    assert response.status_code == 404
    assert action in client.get("/account/tokens").text  # still live


def test_a_token_needs_a_name(client, container: bootstrap.Container):
    page = create(client, "   ")
    assert "<code>dfk_" not in page.text and 'class="error"' in page.text
    with container.session_factory() as session:
        assert session.scalars(select(ApiToken)).all() == []
