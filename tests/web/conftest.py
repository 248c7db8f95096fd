"""Web tests run against SQLite with the demo organisation loaded."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import bootstrap
from engine import HumanTask
from tests import diagrams
from tests.web.api_client import ApiClient
from web import create_app
from workflows.org.demo import DEMO_PASSWORD, load_demo
from workflows.org.models import User
from workflows.org.tokens import issue_token

Api = Callable[[str], ApiClient]


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """One backend is enough here; the engine and services are tested on both."""
    shutil.copy(sqlite_template, tmp_path / "web.db")
    yield f"sqlite:///{tmp_path / 'web.db'}"


@pytest.fixture
def app(container: bootstrap.Container) -> Flask:
    with container.uow() as uow:
        load_demo(uow.session, container.engine.clock.now())
        uow.commit()
    demo_mode = replace(container, settings=replace(container.settings, demo=True))
    return create_app(container=demo_mode)


def csrf_token(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


@pytest.fixture
def login(app: Flask) -> Callable[..., FlaskClient]:
    """A client logged in as ``username``; pages come in that user's language."""

    def log_in(username: str = "wang.fang") -> FlaskClient:  # wang.fang reads English
        client = app.test_client()
        token = csrf_token(client.get("/login").text)
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                               "csrf_token": token})
        assert response.status_code == 302, response.text
        return client

    return log_in


@pytest.fixture
def client(login: Callable[..., FlaskClient]) -> FlaskClient:
    return login()


def issue(container: bootstrap.Container, username: str) -> str:
    """A new API token's secret for a demo user."""
    with container.uow() as uow:
        user_id = uow.session.scalars(select(User.id).where(User.username == username)).one()
        secret = issue_token(uow.session, user_id, "tests", container.engine.clock.now()).secret
        uow.commit()
    return secret


@pytest.fixture
def qualify_task(app: Flask, container: bootstrap.Container) -> str:
    """wang.fang's Qualify task on ACME (120,000), in a two-stage process."""
    with container.uow() as uow:
        container.engine.deploy(uow.session, {"p.bpmn": diagrams.two_stages()}, "designer")
        container.engine.start(uow.session, "p", "opportunity:1",
                               {"owner": "wang.fang", "title": "ACME", "amount": "120000"}, "wang.fang")
        uow.commit()
    with container.session_factory() as session:
        return session.scalars(select(HumanTask.id)).one()


@pytest.fixture
def api(app: Flask, container: bootstrap.Container) -> Api:
    """A JSON API client calling as ``username`` with a fresh token of theirs."""
    return lambda username: ApiClient(app, issue(container, username))
