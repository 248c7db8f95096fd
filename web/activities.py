"""Logging an activity from a record's page; the record's page lists them."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField, TextAreaField

from core.errors import InvalidInput
from workflows.activities.models import KINDS, SUBJECTS
from workflows.activities.service import ActivityInput, log_activity

from .choices import choices
from .context import container
from .forms import field_messages, typed

bp = Blueprint("activities", __name__)
KIND_LABELS = {"call": _l("Call"), "visit": _l("Visit"), "meeting": _l("Meeting"), "email": _l("Email"),
               "sms": _l("Text message"), "note": _l("Note")}
PAGES = {"lead": ("leads.show", "lead_id"), "account": ("accounts.show", "account_id")}


class ActivityForm(FlaskForm):  # type: ignore[misc]
    kind = SelectField(_l("What"), validate_choice=False, choices=choices((k, KIND_LABELS[k]) for k in KINDS))
    happened_on = StringField(_l("When"), description=_l("YYYY-MM-DD; empty is today."))
    outcome = TextAreaField(_l("What happened"))
    next_step = StringField(_l("Next step"))


@bp.app_context_processor
def _labels() -> dict[str, object]:
    return {"activity_kind_labels": KIND_LABELS}


@bp.post("/<any(lead, account):subject>/<int:subject_id>/activities")
def log(subject: str, subject_id: int) -> Response:
    """Log against the record, then back to its page; a bad field is said there."""
    if subject not in SUBJECTS or subject not in PAGES:
        abort(404)
    form = ActivityForm()
    if not form.validate_on_submit():
        abort(400)
    viewer = current_user.viewer
    with container().uow() as uow:
        try:
            data = ActivityInput(**typed(form, ActivityInput))
            log_activity(uow.session, viewer, subject, subject_id, data, current_user.timezone, _now())
            uow.commit()
            flash(_("Activity logged."))
        except InvalidInput as exc:
            for field, message in field_messages(exc).items():
                flash(f"{form[field].label.text}: {message}" if field in form else message, "error")
    endpoint, argument = PAGES[subject]
    return redirect(url_for(endpoint, **{argument: subject_id}))


def _now() -> datetime:
    return container().engine.clock.now()
