"""Fixtures for use-case tests: the demo organisation and its people as viewers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bootstrap import Container
from core.clock import ManualClock
from workflows.org.demo import load_demo
from workflows.org.models import User
from workflows.org.visibility import Viewer, viewer_for


@pytest.fixture
def demo(container: Container, clock: ManualClock) -> dict[str, int]:
    """The demo organisation, as username → user id."""
    with container.uow() as uow:
        load_demo(uow.session, clock.now())
        uow.commit()
    with container.session_factory() as session:
        return dict(session.execute(select(User.username, User.id)).all())


@pytest.fixture
def as_(container: Container, demo: dict[str, int]):
    def viewer(username: str) -> Viewer:
        with container.session_factory() as session:
            found = viewer_for(session, demo[username])
        assert found is not None
        return found
    return viewer
