"""A person's calendar as an iCalendar feed (RFC 5545) for their phone to subscribe to: their
visits and meetings, each planned one with an alarm at its reminder lead time, and the
tasks falling due for them, from three months back to a year ahead.

Times are written in UTC; the phone shows them in its own zone. Every event keeps the
same UID across fetches, so a moved visit moves on the phone instead of doubling, and one
cancelled or logged away simply drops out. The words (kinds, statuses, the calendar's
name) come in the reader's language from the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from icalendar import Alarm, Calendar
from icalendar import Event as CalendarEvent
from sqlalchemy.orm import Session

from workflows.org.models import User
from workflows.org.visibility import viewer_of

from .events import Event, merged, tasks_due_between, visits_between

PAST, AHEAD = timedelta(days=90), timedelta(days=365)
FEED_LIMIT = 1000  # events of each kind


@dataclass(frozen=True)
class FeedWords:
    """What the feed says in its reader's language."""

    calendar_name: str
    kinds: Mapping[str, str]  # "visit", "meeting", "task" → a label
    statuses: Mapping[str, str]  # a visit's status → a label


def feed_calendar(session: Session, user: User, words: FeedWords, base_url: str, now: datetime) -> bytes:
    """The user's feed as iCalendar bytes."""
    viewer, begins, ends = viewer_of(user), now - PAST, now + AHEAD
    events = merged([visits_between(session, viewer, begins, ends, now, user.username, FEED_LIMIT),
                     tasks_due_between(session, viewer, begins, ends, user.username, FEED_LIMIT)])
    calendar = Calendar()
    calendar.add("prodid", "-//Dealflow//Calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", words.calendar_name)
    for event in events.items:
        calendar.add_component(_component(event, words, base_url.rstrip("/"), now))
    return bytes(calendar.to_ical())


def _component(event: Event, words: FeedWords, base_url: str, now: datetime) -> CalendarEvent:
    component = CalendarEvent()
    component.add("dtstamp", now)
    component.add("dtstart", event.starts_at)
    if event.task_id is not None:
        component.add("uid", f"task-{event.task_id}@dealflow")
        about = f" · {event.title}" if event.title else ""
        component.add("summary", f"{words.kinds['task']}: {event.what}{about}")
        component.add("transp", "TRANSPARENT")
        component.add("url", f"{base_url}/tasks/{event.task_id}")
        return component
    component.add("uid", f"visit-{event.plan_id}@dealflow")
    component.add("dtend", event.ends_at)
    component.add("summary", f"{words.kinds[event.kind]}: {event.title}")
    component.add("description", f"{event.what}\n{words.statuses[event.status]}")
    if event.location:
        component.add("location", event.location)
    component.add("url", f"{base_url}/visits/{event.plan_id}")
    if event.status == "planned" and event.remind_minutes is not None:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", event.what)
        alarm.add("trigger", timedelta(minutes=-event.remind_minutes))
        component.add_component(alarm)
    return component
