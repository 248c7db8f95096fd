"""Handing a leaver's records over (admins): the counts first, then one audited act."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField

from workflows import handover
from workflows.leads.pools import pools_of
from workflows.org.service import get_user, list_active_users
from workflows.org.visibility import Viewer

from .choices import choices
from .context import container
from .forms import save

bp = Blueprint("handover", __name__, url_prefix="/admin")


class HandoverForm(FlaskForm):  # type: ignore[misc]
    successor_id = SelectField(_l("Successor"), validate_choice=False, description=_l(
        "Gets the accounts, contacts, opportunities, contracts and open tasks."))
    pool_id = SelectField(_l("Open leads"), validate_choice=False,
                          description=_l("Leads still being worked go to the successor, or back to a pool."))


@bp.route("/users/<int:user_id>/handover", methods=["GET", "POST"])
def hand_over(user_id: int) -> Any:
    viewer: Viewer = current_user.viewer
    with container().session_factory() as session:
        leaver = get_user(session, viewer, user_id)
        preview = handover.preview_handover(session, viewer, user_id)
        form = HandoverForm()
        others = [u for u in list_active_users(session, viewer) if u.id != user_id]
        form.successor_id.choices = choices(((str(u.id), f"{u.display_name} ({u.username})") for u in others),
                                            blank="—")
        form.pool_id.choices = choices(((str(p.id), p.name) for p in pools_of(session, viewer)),
                                       blank=_("To the successor"))
    if form.validate_on_submit():
        engine = container().engine
        successor, pool = form.successor_id.data or "", form.pool_id.data or ""
        done = save(form, lambda session: handover.hand_over(session, engine, viewer, str(user_id), successor,
                                                             pool, _now()))
        if done is not None:
            flash(_("Handed over: %(leads)s leads, %(accounts)s accounts, %(opportunities)s opportunities, "
                    "%(tasks)s open tasks.", leads=done.leads, accounts=done.accounts,
                    opportunities=done.opportunities, tasks=done.tasks))
            return redirect(url_for("admin.edit_user", user_id=user_id))
    return render_template("admin/handover.html", form=form, leaver=leaver, preview=preview), \
        400 if form.is_submitted() else 200


def _now() -> datetime:
    return container().engine.clock.now()
