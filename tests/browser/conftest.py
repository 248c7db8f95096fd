"""A live server on a free port and the system's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from werkzeug.serving import make_server

import bootstrap
from web import create_app
from workflows.org.demo import DEMO_PASSWORD, load_demo

CHROMIUM = "/usr/bin/chromium"
# Werkzeug's development server leaves a static file unclosed when the browser drops the
# connection half-way (a page left while its favicon loads): the test server's leak, not
# the app's, and harmless. Those warnings are let through in browser tests only (a filter's
# message cannot name the file: it may not contain a colon).
DROPPED_STATIC_FILE = (
    "ignore:Exception ignored in:pytest.PytestUnraisableExceptionWarning",
    "ignore:unclosed file <_io.BufferedReader name='.*/web/static/:ResourceWarning",
)
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    shutil.copy(sqlite_template, tmp_path / "browser.db")
    yield f"sqlite:///{tmp_path / 'browser.db'}"


@pytest.fixture
def live_server(container: bootstrap.Container) -> Iterator[str]:
    with container.uow() as uow:
        load_demo(uow.session, container.engine.clock.now())
        uow.commit()
    app = create_app(container=replace(container, settings=replace(container.settings, demo=True)))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing; .ci/run must install it")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def log_in(browser, live_server: str):  # type: ignore[no-untyped-def]
    """Open a page logged in as ``username`` (their own language)."""
    contexts = []

    def open_as(username: str):  # type: ignore[no-untyped-def]
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("form.stacked button[type=submit]")
        return page

    yield open_as
    for context in contexts:
        context.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            for rule in DROPPED_STATIC_FILE:
                item.add_marker(pytest.mark.filterwarnings(rule))
