"""The team calendar (a day, a week or a month of visits, meetings, reminders and due tasks,
in the reader's time zone) and each person's private iCalendar feed: created, regenerated
and revoked here, fetched without a login by the address alone."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from core.errors import InvalidInput
from workflows.calendar.events import Event, calendar_events
from workflows.calendar.feeds import feed_owner, issue_feed, live_feed, revoke_feed
from workflows.calendar.ical import FeedWords, feed_calendar
from workflows.calendar.spans import span_of
from workflows.org.models import User
from workflows.org.recipients import display_names
from workflows.org.visibility import Viewer

from .choices import people_choices
from .context import container
from .forms import field_messages
from .visits import STATUS_LABELS

bp = Blueprint("calendar", __name__)
VIEW_LABELS = {"day": _l("Day"), "week": _l("Week"), "month": _l("Month")}
EVENT_LABELS = {"visit": _l("Visit"), "meeting": _l("Meeting"), "reminder": _l("Reminder"), "task": _l("Due")}
MONTH_CELL_EVENTS = 4  # a month's day shows this many, then "n more" leading to the day


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"view_labels": VIEW_LABELS, "event_labels": EVENT_LABELS}


@bp.get("/calendar")
def index() -> Any:
    viewer: Viewer = current_user.viewer
    args = {name: request.args.get(name, "") for name in ("view", "date", "person")}
    now, zone = _now(), current_user.timezone
    errors: dict[str, str] = {}
    try:
        span = span_of(args["view"], args["date"], zone, now)
    except InvalidInput as exc:  # said beside the field; the week of today is shown meanwhile
        errors = field_messages(exc)
        span = span_of("week", "", zone, now)
    with container().session_factory() as session:
        begins, ends = span.bounds()
        events = calendar_events(session, viewer, begins, ends, now, args["person"])
        people = people_choices(session, viewer)
        names = display_names(session, {e.person for e in events.items})
        feed = live_feed(session, current_user.id)
    page = render_template("calendar/index.html", span=span, days=_by_day(events.items, zone),
                           truncated=events.truncated, person=args["person"], people=people, names=names,
                           today=now.astimezone(ZoneInfo(zone)).date(), errors=errors, feed=feed,
                           month_cell_events=MONTH_CELL_EVENTS, status_labels=STATUS_LABELS)
    return page, 400 if errors else 200


@bp.post("/calendar/feed")
def new_feed() -> Any:
    """A new feed address (the old one stops working), shown this once."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    c = container()
    with c.uow() as uow:
        secret = issue_feed(uow.session, current_user.id, _now())
        uow.commit()
    address = url_for("calendar.feed", secret=secret, _external=True)
    response = Response(render_template("calendar/feed.html", address=address,
                                        subscribe=address.replace("https://", "webcal://", 1)
                                        .replace("http://", "webcal://", 1)))
    response.headers["Cache-Control"] = "no-store"  # the page holds the secret
    return response


@bp.post("/calendar/feed/revoke")
def revoke() -> Response:
    if not FlaskForm().validate_on_submit():
        abort(400)
    with container().uow() as uow:
        revoked = revoke_feed(uow.session, current_user.id, _now())
        uow.commit()
    if revoked:
        flash(_("Your calendar feed address is revoked: calendars subscribed to it get nothing more."))
    return redirect(url_for("calendar.index"))


@bp.get("/calendar/feed/<secret>.ics")
def feed(secret: str) -> Response:
    """The feed itself: no login, the unguessable address is the key; a revoked one is 404."""
    c = container()
    with c.session_factory() as session:
        user = feed_owner(session, secret)
        if user is None:
            abort(404)
        with force_locale(user.locale):
            body = feed_calendar(session, user, _words(user), c.settings.base_url, _now())
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _words(user: User) -> FeedWords:
    return FeedWords(calendar_name=_("Dealflow: %(name)s", name=user.display_name),
                     kinds={kind: str(label) for kind, label in EVENT_LABELS.items()},
                     statuses={status: str(label) for status, label in STATUS_LABELS.items()})


def _by_day(events: list[Event], time_zone: str) -> dict[date, list[Event]]:
    """The events of each day they start on, on the reader's clock."""
    days: dict[date, list[Event]] = defaultdict(list)
    zone = ZoneInfo(time_zone)
    for event in events:
        days[event.starts_at.astimezone(zone).date()].append(event)
    return days


def _now() -> datetime:
    return container().engine.clock.now()

