"""Out of office: the logged-in user's current and coming periods away, ending or cancelling
one, and adding one with the delegate who gets their approval tasks meanwhile.

Periods are typed and shown as first and last day in the user's own time zone; the use
case stores the moments they start and end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField

from workflows.approvals.absence import (
    AbsenceInput,
    AbsenceRow,
    absences_of,
    delegate_choices,
    end_out_of_office,
    set_out_of_office,
)

from .choices import choices
from .context import container
from .forms import save

bp = Blueprint("out_of_office", __name__)
NOTE_MAX = 300


class AbsenceForm(FlaskForm):  # type: ignore[misc]
    """Field names match ``AbsenceInput``; the use case checks every value."""

    first_day = StringField(_l("First day away"), description=_l("YYYY-MM-DD"))
    last_day = StringField(_l("Last day away"), description=_l("YYYY-MM-DD"))
    delegate_id = SelectField(_l("Delegate"), validate_choice=False,
                              description=_l("Approval tasks that reach you while you are away go to them."))
    note = StringField(_l("Note"))

    def absence_input(self) -> AbsenceInput:
        typed = {name: str(self[name].data or "") for name in AbsenceInput.__dataclass_fields__}
        return AbsenceInput(**typed)


@dataclass(frozen=True)
class Period:
    """A period away as its owner thinks of it: days in their time zone."""

    id: int
    first_day: date
    last_day: date
    delegate: str
    note: str
    under_way: bool


@bp.route("/account/out-of-office", methods=["GET", "POST"])
def index() -> Any:
    """The periods and the form; a refusal keeps the input and shows each problem by its field."""
    viewer, zone, now = current_user.viewer, current_user.timezone, _now()
    form = AbsenceForm()
    with container().session_factory() as session:
        people = delegate_choices(session, viewer)
    form.delegate_id.choices = choices(((str(i), label) for i, label in people), blank="")
    if form.validate_on_submit():
        data = form.absence_input()
        saved = save(form, lambda session: set_out_of_office(session, viewer, data, zone, now))
        if saved is not None:
            flash(_("Out-of-office period saved: approval tasks reaching you in it go to your delegate."))
            return redirect(url_for("out_of_office.index"))
    with container().session_factory() as session:
        periods = [_period(row, ZoneInfo(zone), now)
                   for row in absences_of(session, viewer.user_id, now)]
    page = render_template("out_of_office.html", form=form, periods=periods, note_max=NOTE_MAX)
    return page, 400 if form.is_submitted() else 200


@bp.post("/account/out-of-office/<int:absence_id>/end")
def end(absence_id: int) -> Response:
    """Back early (a period under way ends now) or plans changed (a coming one is cancelled)."""
    with container().uow() as uow:
        end_out_of_office(uow.session, current_user.viewer, absence_id, _now())
        uow.commit()
    flash(_("Out-of-office period ended."))
    return redirect(url_for("out_of_office.index"))


def _period(row: AbsenceRow, zone: ZoneInfo, now: datetime) -> Period:
    absence = row.absence
    # A period ends at midnight after its last day, or at the moment it was ended early.
    last_moment = absence.ends_at - timedelta(microseconds=1)
    return Period(absence.id, absence.starts_at.astimezone(zone).date(), last_moment.astimezone(zone).date(),
                  row.delegate_name, absence.note, absence.starts_at <= now)


def _now() -> datetime:
    return container().engine.clock.now()
