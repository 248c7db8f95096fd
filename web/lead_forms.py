"""Admin pages for Web-to-Lead forms: which fields a form takes, which are required, the pool
its leads land in, the source recorded, the thank-you address, and the public address and
embed code to hand to the customer's web developer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.widgets import CheckboxInput, ListWidget

from core.errors import PermissionDenied
from workflows.leads.capture import FORM_FIELDS, WebFormInput, get_web_form, list_web_forms, save_web_form
from workflows.leads.models import SOURCES
from workflows.leads.pools import pools_of
from workflows.org.visibility import Viewer

from .context import container
from .forms import save
from .leads import SOURCE_LABELS

bp = Blueprint("lead_forms", __name__, url_prefix="/admin/lead-forms")
FIELD_LABELS = {
    "name": _l("Name"), "company": _l("Company"), "title": _l("Job title"), "phone": _l("Phone"),
    "email": _l("Email"), "address": _l("Address"), "region": _l("Region"), "industry": _l("Industry"),
    "size": _l("Company size"), "source": _l("Source"), "rating": _l("Rating"), "note": _l("Note"),
}


class Checkboxes(SelectMultipleField):  # type: ignore[misc]
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WebFormForm(FlaskForm):  # type: ignore[misc]
    """Field names match ``WebFormInput``; the use case checks every value."""

    name = StringField(_l("Name"))
    fields = Checkboxes(_l("Fields the form asks for"), validate_choice=False,
                        choices=[SelectChoice(f, FIELD_LABELS[f]) for f in FORM_FIELDS])
    required = Checkboxes(_l("Required fields"), validate_choice=False,
                          choices=[SelectChoice(f, FIELD_LABELS[f]) for f in FORM_FIELDS])
    pool_id = SelectField(_l("Pool new leads land in"), validate_choice=False)
    source = SelectField(_l("Source recorded"), validate_choice=False, default="website")
    thank_you_url = StringField(_l("Thank-you page"), description=_l(
        "An http:// or https:// address; empty shows our own thank-you."))
    active = BooleanField(_l("Active"), default=True)


@bp.before_request
def _admins_only() -> None:
    if not current_user.viewer.is_admin:
        raise PermissionDenied(_("Only administrators may open the admin pages."))


@bp.get("")
def index() -> str:
    with container().session_factory() as session:
        forms = list_web_forms(session, current_user.viewer)
    return render_template("admin/lead_forms.html", forms=forms, field_labels=FIELD_LABELS)


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    return _edit(None)


@bp.route("/<int:form_id>", methods=["GET", "POST"])
def edit(form_id: int) -> Any:
    return _edit(form_id)


def _edit(form_id: int | None) -> Any:
    viewer: Viewer = current_user.viewer
    with container().session_factory() as session:
        existing = get_web_form(session, viewer, form_id) if form_id is not None else None
        pools = pools_of(session, viewer)
    defaults = {"fields": ["name", "company", "phone", "email"], "required": ["name"]}
    defaults = defaults if existing is None else {}
    form = WebFormForm(obj=existing, **defaults)
    form.pool_id.choices = [SelectChoice(str(p.id), p.name) for p in pools]
    form.source.choices = [SelectChoice(s, SOURCE_LABELS[s]) for s in SOURCES]
    if existing is not None and not form.is_submitted():
        form.pool_id.data = str(existing.pool_id)
    if form.validate_on_submit():
        saved = save(form, lambda session: save_web_form(session, viewer, _input(form), _now(), form_id).id)
        if saved is not None:
            flash(_("Form saved."))
            return redirect(url_for("lead_forms.edit", form_id=saved))
    return render_template("admin/lead_forms_edit.html", form=form, existing=existing), (
        400 if form.is_submitted() else 200)


def _input(form: WebFormForm) -> WebFormInput:
    return WebFormInput(name=form.name.data or "", fields=tuple(form.fields.data or ()),
                        required=tuple(form.required.data or ()), pool_id=str(form.pool_id.data or ""),
                        source=str(form.source.data or ""), thank_you_url=form.thank_you_url.data or "",
                        active=bool(form.active.data))


def _now() -> datetime:
    return container().engine.clock.now()
