"""Activities: logging one from a record's page (which lists them with their comment threads),
commenting, the list of what the people a viewer may see logged, and visit statistics."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, SelectField, StringField, TextAreaField

from core.errors import InvalidInput
from workflows.accounts.cadence import follow_up_customer
from workflows.activities.comments import add_comment, thread_of
from workflows.activities.lists import MAX_PER_PAGE, activity_page, parse_filter, people
from workflows.activities.models import KINDS
from workflows.activities.service import ActivityInput, log_activity
from workflows.activities.statistics import UNITS, parse_statistics, visit_statistics
from workflows.leads.cadence import follow_up_now
from workflows.org.visibility import Viewer

from .choices import choices
from .context import container
from .forms import field_messages, typed
from .record_pages import record_url

bp = Blueprint("activities", __name__)
KIND_LABELS = {"call": _l("Call"), "visit": _l("Visit"), "meeting": _l("Meeting"), "email": _l("Email"),
               "sms": _l("Text message"), "note": _l("Note")}
RECORD_LABELS = {"lead": _l("Lead"), "account": _l("Account"), "contact": _l("Contact"),
                 "opportunity": _l("Opportunity")}
UNIT_LABELS = {"day": _l("By day"), "week": _l("By week"), "month": _l("By month"),
               "period": _l("Whole period")}
FILTER_LABELS = {"person": _l("Person"), "kind": _l("What"), "record": _l("Kind of record"),
                 "since": _l("First day"), "until": _l("Last day"), "unit": _l("Grouping")}
# Each kind of record's page: where a logged activity or a comment returns to.


class ActivityForm(FlaskForm):  # type: ignore[misc]
    kind = SelectField(_l("What"), validate_choice=False, choices=choices((k, KIND_LABELS[k]) for k in KINDS))
    happened_on = StringField(_l("When"), description=_l("YYYY-MM-DD; empty is today."))
    outcome = TextAreaField(_l("What happened"))
    next_step = StringField(_l("Next step"))


class CommentForm(FlaskForm):  # type: ignore[misc]
    body = TextAreaField(_l("Comment"))
    back = HiddenField()  # "activity": back to the activity's page; else to the record's


@bp.app_context_processor
def _labels() -> dict[str, object]:
    return {"activity_kind_labels": KIND_LABELS, "record_labels": RECORD_LABELS}


@bp.post("/<any(lead, account, contact, opportunity):subject>/<int:subject_id>/activities")
def log(subject: str, subject_id: int) -> Response:
    """Log against the record, then back to its page; a bad field is said there."""
    form = ActivityForm()
    if not form.validate_on_submit():
        abort(400)
    viewer = current_user.viewer
    with container().uow() as uow:
        try:
            data = ActivityInput(**typed(form, ActivityInput))
            log_activity(uow.session, viewer, subject, subject_id, data, current_user.timezone, _now())
            if subject == "lead":  # a contact moves its follow-up on, and the page shows it
                follow_up_now(uow.session, container().engine, [subject_id], _now())
            elif subject in ("account", "contact"):  # so does one with a customer or its people
                follow_up_customer(uow.session, container().engine, subject, subject_id, _now())
            uow.commit()
            flash(_("Activity logged."))
        except InvalidInput as exc:
            _flash_problems(form, exc)
    return redirect(record_url(subject, subject_id))


@bp.post("/activities/<int:activity_id>/comments")
def comment(activity_id: int) -> Response:
    """Comment, then back where the thread was read; an empty comment is said there."""
    form = CommentForm()
    if not form.validate_on_submit():
        abort(400)
    viewer = current_user.viewer
    with container().uow() as uow:
        thread = thread_of(uow.session, viewer, activity_id)
        activity = thread.activity
        back = url_for("activities.show", activity_id=activity_id) \
            if form.back.data == "activity" or not thread.record_visible \
            else record_url(activity.subject_type, activity.subject_id, f"activity-{activity_id}")
        try:
            add_comment(uow.session, viewer, activity_id, form.body.data or "", _now())
            uow.commit()
            flash(_("Comment added."))
        except InvalidInput as exc:
            _flash_problems(form, exc)
    return redirect(back)


@bp.get("/activities")
def index() -> str:
    """What the people the viewer may see logged, newest first; unusable filters are named."""
    viewer: Viewer = current_user.viewer
    with container().session_factory() as session:
        found, problems = parse_filter(session, viewer, request.args)
        page = activity_page(session, viewer, found, current_user.timezone)
        choices = people(session, viewer)
    return render_template("activities/index.html", filter=found, params=found.params(), problems=problems,
                           page=page, people=choices, labels=FILTER_LABELS, max_per_page=MAX_PER_PAGE)


@bp.get("/activities/statistics")
def statistics() -> str:
    """Visits, calls and meetings per rep and day, week, month or the whole period."""
    viewer: Viewer = current_user.viewer
    today = _now().astimezone(ZoneInfo(current_user.timezone)).date()
    with container().session_factory() as session:
        found, problems = parse_statistics(session, viewer, request.args, today)
        rows = visit_statistics(session, viewer, found, current_user.timezone)
        choices = people(session, viewer)
    totals = {name: sum(getattr(row, name) for row in rows)
              for name in ("visits", "calls", "meetings", "total")}
    return render_template("activities/statistics.html", filter=found, problems=problems, rows=rows,
                           totals=totals, people=choices, labels=FILTER_LABELS, units=UNITS,
                           unit_labels=UNIT_LABELS)


@bp.get("/activities/<int:activity_id>")
def show(activity_id: int) -> str:
    """One activity with its comments, for its author or anyone who sees its record."""
    with container().session_factory() as session:
        thread = thread_of(session, current_user.viewer, activity_id)
    activity = thread.activity
    link = record_url(activity.subject_type, activity.subject_id) if thread.record_visible else None
    return render_template("activities/show.html", thread=thread, activity=activity, record_link=link)


def _flash_problems(form: FlaskForm, exc: InvalidInput) -> None:
    for field, message in field_messages(exc).items():
        flash(f"{form[field].label.text}: {message}" if field in form else message, "error")


def _now() -> datetime:
    return container().engine.clock.now()

