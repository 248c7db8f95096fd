"""Comments on activities on SQLite and PostgreSQL: whoever sees the record comments, the
activity's author hears of it with a link to the record, and nobody else reads the thread."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bootstrap import Container
from core.errors import NotFound
from notifications import channels_for, preferences_of, set_preferences
from notifications.models import Notification
from tests.usecases import refused, run
from workflows.accounts.models import Account
from workflows.activities.comments import add_comment, thread_of
from workflows.activities.models import ActivityComment
from workflows.activities.service import ActivityInput, log_activity


@pytest.fixture
def visit(container: Container, as_, demo, clock) -> dict[str, int]:
    """wang.fang's visit to her account ACME."""
    now = clock.now()
    with container.uow() as uow:
        acme = Account(name="ACME", owner="wang.fang", created_at=now, updated_at=now)
        uow.session.add(acme)
        uow.commit()
    activity = run(container, log_activity, as_("wang.fang"), "account", acme.id,
                   ActivityInput("visit", outcome="Toured the warehouse"), "Asia/Shanghai", now)
    return {"account": acme.id, "activity": activity.id}


def told(container: Container, username: str) -> list[Notification]:
    with container.session_factory() as session:
        return list(session.scalars(select(Notification).where(Notification.username == username)
                                    .order_by(Notification.id)))


def test_a_manager_comments_and_the_rep_is_told_with_a_link_to_the_record(container, as_, visit, clock):
    comment = run(container, add_comment, as_("liu.yang"), visit["activity"], "  Ask about the budget next time ",
                  clock.now())
    assert (comment.author, comment.body) == ("liu.yang", "Ask about the budget next time")
    [notice] = told(container, "wang.fang")
    assert (notice.kind, notice.template) == ("activity_comment", "activity_comment")
    assert notice.link == f"/accounts/{visit['account']}#activity-{visit['activity']}"
    assert notice.subject == "刘洋 commented on your visit: ACME"  # wang.fang reads English
    assert "Ask about the budget next time" in notice.body
    clock.advance(minutes=5)
    run(container, add_comment, as_("wang.fang"), visit["activity"], "Will do", clock.now())
    assert len(told(container, "wang.fang")) == 1  # her own reply tells nobody
    assert told(container, "liu.yang") == []
    with container.session_factory() as session:
        thread = thread_of(session, as_("wang.fang"), visit["activity"])
        assert [(c.author, c.body) for c in thread.activity.comments] == [
            ("liu.yang", "Ask about the budget next time"), ("wang.fang", "Will do")]
        assert (thread.record, thread.record_visible) == ("ACME", True)


def test_a_rep_who_wants_no_comment_notices_still_gets_reminders(container, as_, visit, clock):
    rep = as_("wang.fang")
    with container.uow() as uow:
        set_preferences(uow.session, rep.user_id, {"activity_comment": []})
        uow.commit()
    run(container, add_comment, as_("liu.yang"), visit["activity"], "Ask about the budget", clock.now())
    assert told(container, "wang.fang") == []
    with container.session_factory() as session:
        assert channels_for(session, rep.user_id, "reminder") == preferences_of(session, rep.user_id)["reminder"] != set()


def test_nobody_out_of_sight_of_the_record_reads_or_comments(container, as_, visit, clock):
    for outsider in ("zhang.wei", "xu.tao", "sun.li"):  # a teammate, another team's manager, its rep
        viewer = as_(outsider)
        with pytest.raises(NotFound), container.session_factory() as session:
            thread_of(session, viewer, visit["activity"])
        with pytest.raises(NotFound):
            run(container, add_comment, viewer, visit["activity"], "Nice", clock.now())
    with pytest.raises(NotFound):
        run(container, add_comment, as_("liu.yang"), 999999, "Nice", clock.now())
    with container.session_factory() as session:
        assert session.scalars(select(ActivityComment)).all() == []
    assert told(container, "wang.fang") == []


def test_an_empty_or_overlong_comment_is_refused_and_saves_nothing(container, as_, visit, clock):
    manager = as_("liu.yang")
    assert set(refused(container, add_comment, manager, visit["activity"], "   ", clock.now())) == {"body"}
    assert set(refused(container, add_comment, manager, visit["activity"], "x" * 2001, clock.now())) == {"body"}
    with container.session_factory() as session:
        assert session.scalars(select(ActivityComment)).all() == []
    assert told(container, "wang.fang") == []


def test_the_author_reads_the_thread_after_the_record_leaves_them(container, as_, visit, clock):
    with container.uow() as uow:
        uow.session.get_one(Account, visit["account"]).owner = "li.na"  # handed to a teammate
        uow.commit()
    run(container, add_comment, as_("liu.yang"), visit["activity"], "li.na takes over from here", clock.now())
    [notice] = told(container, "wang.fang")
    assert notice.link == f"/activities/{visit['activity']}"  # the record would answer 404 for her
    author = as_("wang.fang")
    with container.session_factory() as session:
        thread = thread_of(session, author, visit["activity"])
    assert thread.record_visible is False and [c.body for c in thread.activity.comments] == [
        "li.na takes over from here"]
    with pytest.raises(NotFound):
        run(container, add_comment, author, visit["activity"], "Thanks", clock.now())
