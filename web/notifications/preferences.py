"""Each person chooses, per kind of notification, the channels it reaches them on."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import SelectChoice, SelectMultipleField

from notifications import CHANNELS, KINDS, PREFERENCES_PATH, preferences_of, set_preferences

from ..context import container
from ..forms import save
from .common import CHANNEL_LABELS, KIND_LABELS

bp = Blueprint("notification_settings", __name__)


class PreferencesForm(FlaskForm):  # type: ignore[misc]
    """One multiple choice per kind, named after it: an unknown channel is refused as that
    kind's field, and a kind left with no box ticked means "do not tell me"."""


for _kind in KINDS:
    setattr(PreferencesForm, _kind, SelectMultipleField(
        KIND_LABELS[_kind], choices=[SelectChoice(channel, CHANNEL_LABELS[channel]) for channel in CHANNELS]))


@bp.route(PREFERENCES_PATH, methods=["GET", "POST"])
def edit() -> Any:
    form = PreferencesForm()
    if form.validate_on_submit() and save(form, lambda session: _save(session, form)):
        flash(_("Your notification settings are saved."))
        return redirect(url_for("notification_settings.edit"))
    if not form.is_submitted():
        with container().session_factory() as session:
            chosen = preferences_of(session, current_user.id)
        form = PreferencesForm(data={kind: sorted(chosen[kind]) for kind in KINDS})
    status = 400 if form.is_submitted() else 200
    return render_template("notifications/preferences.html", form=form, kinds=KINDS, channels=CHANNELS,
                           channel_labels=CHANNEL_LABELS), status


def _save(session: Session, form: PreferencesForm) -> bool:
    set_preferences(session, current_user.id, {kind: form[kind].data or [] for kind in KINDS})
    return True
