"""Admin pages for business types (which pipeline each kind of deal runs)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, SelectField, StringField

from core.errors import NotFound, PermissionDenied
from engine import ProcessDefinition
from workflows.opportunities.business_types import business_type_usage, save_business_type
from workflows.opportunities.models import BusinessType

from .context import container
from .forms import save

bp = Blueprint("business_types", __name__, url_prefix="/admin/business-types")


class BusinessTypeForm(FlaskForm):  # type: ignore[misc]
    name = StringField(_l("Name"))
    process_key = SelectField(_l("Pipeline process"), validate_choice=False)
    active = BooleanField(_l("Active: new opportunities may use it"), default=True)


@bp.before_request
def _admins_only() -> None:
    if not current_user.viewer.is_admin:
        raise PermissionDenied(_("Only administrators may manage business types"))


@bp.route("", methods=["GET", "POST"])
def index() -> Any:
    return _form_page(None)


@bp.route("/<int:type_id>", methods=["GET", "POST"])
def edit(type_id: int) -> Any:
    return _form_page(type_id)


def _form_page(type_id: int | None) -> Any:
    """The list with the form to add (``type_id`` None) or edit one; a refusal answers 400."""
    with container().session_factory() as session:
        editing = session.get(BusinessType, type_id) if type_id is not None else None
        if type_id is not None and editing is None:
            raise NotFound(_("This business type does not exist"))
        usage = business_type_usage(session)
    form = _form(obj=editing)
    status = 200
    if form.validate_on_submit():
        if _saved(form, type_id):
            return redirect(url_for("business_types.index"))
        status = 400
    return render_template("business_types.html", form=form, usage=usage, editing=editing), status


def _form(**kwargs: Any) -> BusinessTypeForm:
    form = BusinessTypeForm(**kwargs)
    with container().session_factory() as session:
        keys = session.scalars(select(ProcessDefinition.key).distinct().order_by(ProcessDefinition.key))
        form.process_key.choices = [(key, key) for key in keys]
    return form


def _saved(form: BusinessTypeForm, type_id: int | None) -> bool:
    saved = save(form, lambda session: save_business_type(
        session, current_user.viewer, type_id, form.name.data or "", form.process_key.data or "",
        bool(form.active.data)).name)
    if saved is not None:
        flash(_("Business type %(name)s saved.", name=saved))
    return saved is not None
