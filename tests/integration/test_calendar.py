"""The team calendar's events by the visibility rule, the spans a page shows, and the private
iCalendar feed: what it holds, and that a regenerated or revoked address opens nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import update

from bootstrap import Container
from core.errors import InvalidInput, NotFound
from engine import fire_due_timers
from tests.integration.test_visit_plans import TZ, planned, visit, wang_fangs_records
from tests.usecases import run
from workflows.calendar.events import calendar_events
from workflows.calendar.feeds import feed_owner, issue_feed, live_feed, revoke_feed
from workflows.calendar.ical import FeedWords, feed_calendar
from workflows.calendar.spans import span_of
from workflows.org.models import User
from workflows.visits.plans import cancel_visit

WORDS = FeedWords("Dealflow: 王芳", {"visit": "Visit", "meeting": "Meeting", "task": "Due"},
                  {"planned": "Planned", "overdue": "Not logged yet", "logged": "Logged"})
WEEK = (datetime(2026, 1, 4, 16, tzinfo=UTC), datetime(2026, 1, 11, 16, tzinfo=UTC))  # Mon-Sun in Shanghai


@pytest.fixture
def records(container: Container, demo, clock) -> dict[str, int]:
    return wang_fangs_records(container, clock)


def user_id(container: Container, username: str) -> int:
    with container.session_factory() as session:
        return session.query(User.id).filter(User.username == username).scalar()


def test_a_week_shows_visits_their_reminders_and_due_tasks_of_the_people_one_sees(container, as_, records, clock):
    tuesday = planned(container, as_, records)
    friday = planned(container, as_, records, visit("2026-01-09T15:00", "Contract talk", kind="meeting"),
                     subject="account")
    dropped = planned(container, as_, records, visit("2026-01-08T09:00", "Dropped"))
    run(container, cancel_visit, container.engine, as_("wang.fang"), dropped.id, clock.now())
    clock.set(tuesday.remind_at + timedelta(minutes=1))
    fire_due_timers(container.engine, container.session_factory)  # the reminder
    clock.set(tuesday.ends_at + timedelta(minutes=1))
    fire_due_timers(container.engine, container.session_factory)  # the log task, due a day later

    rep, manager, stranger = as_("wang.fang"), as_("liu.yang"), as_("sun.li")
    with container.session_factory() as session:
        mine = calendar_events(session, rep, *WEEK, clock.now())
        teams = calendar_events(session, manager, *WEEK, clock.now(), person="wang.fang")
        everyone = calendar_events(session, manager, *WEEK, clock.now())
        others = calendar_events(session, stranger, *WEEK, clock.now())
        with pytest.raises(NotFound):
            calendar_events(session, stranger, *WEEK, clock.now(), person="wang.fang")
        with pytest.raises(NotFound):
            calendar_events(session, rep, *WEEK, clock.now(), person="zhang.wei")  # a teammate
        capped = calendar_events(session, rep, *WEEK, clock.now(), limit=1)

    seen = [(e.kind, e.plan_id, e.status) for e in mine.items]
    assert seen == [("reminder", tuesday.id, "sent"), ("visit", tuesday.id, "overdue"), ("task", None, ""),
                    ("reminder", friday.id, ""), ("meeting", friday.id, "planned")]
    task = mine.items[2]
    assert (task.what, task.title, task.person, task.starts_at) == (
        "Log the visit", "Emily Zhou", "wang.fang", tuesday.ends_at + timedelta(days=1, minutes=1))
    assert not mine.truncated and capped.truncated
    assert teams.items == mine.items == everyone.items
    assert others.items == []


def test_a_span_is_a_day_a_week_or_a_month_laid_out_in_whole_weeks():
    now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    week = span_of("", "", TZ, now)
    assert (week.view, week.first, week.after_last, week.previous, week.next) == (
        "week", date(2026, 1, 5), date(2026, 1, 12), date(2025, 12, 29), date(2026, 1, 12))
    month = span_of("month", "2026-02-14", TZ, now)
    assert (month.anchor, month.first, month.after_last, month.next) == (
        date(2026, 2, 1), date(2026, 1, 26), date(2026, 3, 2), date(2026, 3, 1))
    assert len(month.days) == 35 and month.bounds()[0] == datetime(2026, 1, 25, 16, tzinfo=UTC)
    day = span_of("day", "2026-03-01", TZ, now)
    assert (day.first, day.after_last, day.previous) == (date(2026, 3, 1), date(2026, 3, 2), date(2026, 2, 28))
    with pytest.raises(InvalidInput) as caught:
        span_of("year", "31/12/2026", TZ, now)
    assert set(caught.value.fields) == {"view", "date"}
    for far in ("9999-12-31", "0001-01-01"):  # a week or a month further would not exist
        with pytest.raises(InvalidInput):
            span_of("month", far, TZ, now)


def test_the_feed_holds_ones_visits_with_alarms_and_due_tasks(container, as_, records, clock):
    tuesday = planned(container, as_, records, visit(location="Suzhou plant", remind_minutes="30"))
    later = planned(container, as_, records, visit("2026-01-20T09:00", "Follow-up"))
    clock.set(tuesday.ends_at + timedelta(minutes=5))
    fire_due_timers(container.engine, container.session_factory)
    secret = run(container, issue_feed, user_id(container, "wang.fang"), clock.now())
    with container.session_factory() as session:
        user = feed_owner(session, secret)
        assert user is not None and user.username == "wang.fang"
        body = feed_calendar(session, user, WORDS, "https://crm.example.com", clock.now())
    calendar = Calendar.from_ical(body)
    assert str(calendar["x-wr-calname"]) == "Dealflow: 王芳"
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    [task_uid] = [uid for uid in events if uid.startswith("task-")]
    assert set(events) == {f"visit-{tuesday.id}@dealflow", f"visit-{later.id}@dealflow", task_uid}
    over = events[f"visit-{tuesday.id}@dealflow"]
    assert (over.decoded("dtstart"), over.decoded("dtend")) == (tuesday.starts_at, tuesday.ends_at)
    assert (str(over["summary"]), str(over["location"])) == ("Visit: Emily Zhou", "Suzhou plant")
    assert "Not logged yet" in str(over["description"]) and over.walk("VALARM") == []
    coming = events[f"visit-{later.id}@dealflow"]
    [alarm] = coming.walk("VALARM")
    assert alarm.decoded("trigger") == -timedelta(minutes=60)
    assert str(coming["url"]) == f"https://crm.example.com/visits/{later.id}"
    assert str(events[task_uid]["summary"]) == "Due: Log the visit · Emily Zhou"


def test_a_new_address_retires_the_old_one_and_a_revoked_or_deactivated_one_opens_nothing(
        container, demo, clock):
    rep = user_id(container, "wang.fang")
    first = run(container, issue_feed, rep, clock.now())
    second = run(container, issue_feed, rep, clock.now())
    with container.session_factory() as session:
        assert feed_owner(session, first) is None
        assert feed_owner(session, second).username == "wang.fang"
        assert feed_owner(session, "dfc_guess") is None and feed_owner(session, "anything") is None
    assert run(container, revoke_feed, rep, clock.now()) is True
    assert run(container, revoke_feed, rep, clock.now()) is False
    with container.session_factory() as session:
        assert feed_owner(session, second) is None and live_feed(session, rep) is None

    third = run(container, issue_feed, rep, clock.now())
    with container.uow() as uow:
        uow.session.execute(update(User).where(User.id == rep).values(active=False))
        uow.commit()
    with container.session_factory() as session:
        assert feed_owner(session, third) is None
