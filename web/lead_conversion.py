"""Converting a lead (its owner, or a manager who sees it): which customer it belongs to,
and whether to open an opportunity now. The existing customers a duplicate rule
recognises are offered first, so a known company is not entered twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from workflows.leads.conversion import ConversionInput, convert_lead, matching_accounts
from workflows.leads.service import get_lead
from workflows.opportunities.service import business_types
from workflows.org.visibility import Viewer

from .choices import choices
from .context import container
from .forms import save, typed

bp = Blueprint("lead_conversion", __name__)


class ConversionForm(FlaskForm):  # type: ignore[misc]
    account_id = SelectField(_l("Customer"), validate_choice=False)
    account_name = StringField(_l("New account's name"),
                               description=_l("The lead's company when left empty."))
    business_type_id = SelectField(_l("Open an opportunity"), validate_choice=False)
    opportunity_name = StringField(_l("Opportunity name"))
    amount = StringField(_l("Expected amount"))


@bp.route("/leads/<int:lead_id>/convert", methods=["GET", "POST"])
def convert(lead_id: int) -> Any:
    viewer: Viewer = current_user.viewer
    with container().session_factory() as session:
        lead = get_lead(session, viewer, lead_id)
        matches = matching_accounts(session, viewer, lead_id)
        types = business_types(session)
    form = ConversionForm(account_name=lead.company)
    form.account_id.choices = choices(((str(m.record_id), m.label) for m in matches),
                                      blank=_("A new account"))
    form.business_type_id.choices = choices(((str(t.id), t.name) for t in types), blank=_("Not now"))
    if form.validate_on_submit():
        engine = container().engine
        data = ConversionInput(**typed(form, ConversionInput))
        done = save(form, lambda session: convert_lead(session, engine, viewer, lead_id, data, _now()))
        if done is not None:
            flash(_("The lead is converted."))
            return redirect(url_for("accounts.show", account_id=done.account_id))
    return render_template("leads/convert.html", form=form, lead=lead, matches=matches), \
        400 if form.is_submitted() else 200


def _now() -> datetime:
    return container().engine.clock.now()
