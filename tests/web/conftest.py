"""Web tests run against SQLite with the demo organisation loaded."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

import bootstrap
from web import create_app
from workflows.org.demo import DEMO_PASSWORD, load_demo


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
