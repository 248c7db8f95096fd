"""Opting out: the flags on a lead's or contact's page, and the public unsubscribe page the
link in every bulk email opens, without a login.

The link only shows a confirmation; the click on it (a POST) unsubscribes, so a mail
scanner that follows every link in an email unsubscribes nobody.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from workflows.messaging.opt_out import UNSUBSCRIBE_PATH, recipient_of, set_opt_outs, unsubscribe

from .context import container
from .record_pages import record_url

bp = Blueprint("opt_outs", __name__)
@bp.post("/<any(lead, contact):kind>/<int:record_id>/opt-outs")
def save(kind: str, record_id: int) -> Response:
    """Whether the record may be emailed and texted, from the box on its page."""
    with container().uow() as uow:
        set_opt_outs(uow.session, current_user.viewer, kind, record_id, "email_opt_out" in request.form,
                     "sms_opt_out" in request.form, _now())
        uow.commit()
    flash(_("Contact preferences saved."))
    return redirect(record_url(kind, record_id))


@bp.route(UNSUBSCRIBE_PATH + "<token>", methods=["GET", "POST"])
def unsubscribe_page(token: str) -> str:
    """Confirm, then stop bulk email to that address; a bad link answers 404."""
    form = FlaskForm()
    secret = container().settings.secret_key
    if form.validate_on_submit():
        with container().uow() as uow:
            who = unsubscribe(uow.session, secret, token, _now())
            uow.commit()
        return render_template("messaging/unsubscribe.html", who=who, done=True, form=form)
    with container().session_factory() as session:
        who = recipient_of(session, secret, token)
    return render_template("messaging/unsubscribe.html", who=who, done=False, form=form)


def _now() -> datetime:
    return container().engine.clock.now()
