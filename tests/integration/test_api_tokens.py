"""API token use cases on SQLite and PostgreSQL: issue, list, revoke, authenticate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from bootstrap import Container
from core.clock import ManualClock
from core.errors import InvalidInput, NotFound
from workflows.org import service, tokens, units
from workflows.org.models import ApiToken, User
from workflows.org.visibility import Viewer


@pytest.fixture
def users(container: Container, clock: ManualClock) -> dict[str, int]:
    """Two reps of one team."""
    with container.uow() as uow:
        team = units.insert_unit(uow.session, "Team 1", "team", None)
        ids = {name: service.insert_user(
            uow.session, username=name, display_name=name.title(), email="", password_hash="x",
            org_unit_id=team.id, manager_id=None, roles=["sales_rep"], locale="en",
            timezone="Asia/Shanghai", now=clock.now()).id for name in ("rep", "other")}
        uow.commit()
    return ids


def issue(container: Container, clock: ManualClock, user_id: int, name: str = "script") -> str:
    with container.uow() as uow:
        secret = tokens.issue_token(uow.session, user_id, name, clock.now()).secret
        uow.commit()
    return secret


def authenticate(container: Container, clock: ManualClock, secret: str) -> Viewer | None:
    with container.uow() as uow:
        viewer = tokens.authenticate_token(uow.session, secret, clock.now())
        uow.commit()
    return viewer


def stored(container: Container) -> list[ApiToken]:
    with container.session_factory() as session:
        return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def test_a_token_authenticates_its_user_and_only_its_hash_is_stored(container, clock, users):
    secret = issue(container, clock, users["rep"])
    assert secret.startswith("dfk_") and len(secret) > 40
    viewer = authenticate(container, clock, secret)
    assert viewer is not None and (viewer.username, viewer.roles) == ("rep", frozenset({"sales_rep"}))
    with container.db.connect() as connection:
        rows = connection.execute(text("SELECT * FROM api_token")).all()
    assert secret not in repr(rows) and [t.secret_hash for t in stored(container)] == [tokens.hash_secret(secret)]
    assert authenticate(container, clock, secret + "x") is None


def test_last_use_is_recorded_at_most_once_a_minute(container, clock, users):
    secret = issue(container, clock, users["rep"])
    assert stored(container)[0].last_used_at is None
    first = clock.now()
    authenticate(container, clock, secret)
    clock.advance(seconds=30)
    authenticate(container, clock, secret)
    assert stored(container)[0].last_used_at == first
    clock.advance(seconds=31)
    authenticate(container, clock, secret)
    assert stored(container)[0].last_used_at == first + timedelta(seconds=61)


def test_a_revoked_token_no_longer_authenticates(container, clock, users):
    keep, drop = issue(container, clock, users["rep"], "keep"), issue(container, clock, users["rep"], "drop")
    with container.uow() as uow:
        [dropped] = [t for t in tokens.list_tokens(uow.session, users["rep"]) if t.name == "drop"]
        tokens.revoke_token(uow.session, users["rep"], dropped.id, clock.now())
        uow.commit()
    assert authenticate(container, clock, drop) is None and authenticate(container, clock, keep) is not None
    with container.session_factory() as session:
        listed = tokens.list_tokens(session, users["rep"])
    assert [(t.name, t.revoked_at is not None) for t in listed] == [("drop", True), ("keep", False)]


def test_a_deactivated_users_tokens_stop_working(container, clock, users):
    secret = issue(container, clock, users["rep"])
    with container.uow() as uow:
        uow.session.get_one(User, users["rep"]).active = False
        uow.commit()
    assert authenticate(container, clock, secret) is None
    with container.uow() as uow, pytest.raises(NotFound):
        tokens.issue_token(uow.session, users["rep"], "another", clock.now())


def test_no_one_revokes_or_lists_someone_elses_token(container, clock, users):
    secret = issue(container, clock, users["rep"])
    token_id = stored(container)[0].id
    with container.uow() as uow, pytest.raises(NotFound):
        tokens.revoke_token(uow.session, users["other"], token_id, clock.now())
    with container.session_factory() as session:
        assert tokens.list_tokens(session, users["other"]) == []
    assert authenticate(container, clock, secret) is not None


@pytest.mark.parametrize(("name", "problem"), [("  ", "name: is required"),
                                               ("x" * 101, "name: must be at most 100 characters")])
def test_a_token_needs_a_short_name(container, clock, users, name, problem):
    with container.uow() as uow, pytest.raises(InvalidInput) as refused:
        tokens.issue_token(uow.session, users["rep"], name, clock.now())
    assert refused.value.problems == [problem]
