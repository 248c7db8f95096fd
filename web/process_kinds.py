"""Admin pages for kinds of record that each name a deployed process: business types (their
pipeline) and contract types (their approval). One set of pages, configured per kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import BooleanField, SelectField, StringField

from core.errors import NotFound, PermissionDenied
from workflows.org.visibility import Viewer
from workflows.process_kinds import deployed_keys

from .context import container
from .forms import save


@dataclass(frozen=True)
class Kind:
    """What differs between the kinds: their model, use cases and words."""

    model: type[Any]
    usage: Callable[[Session], list[tuple[Any, int]]]
    save_kind: Callable[[Session, Viewer, int | None, str, str, bool], Any]
    key_attribute: str  # the model's (and the use case's field) name for the process key
    words: dict[str, Any]  # title, intro, key, active, count, new, admins_only, missing, saved (%(name)s)


def kind_pages(bp: Blueprint, kind: Kind) -> None:
    """The list with a form to add a kind, and the same form to edit one; admins only. The
    form's fields are named as the use case names them, so its problems land beside them."""
    form_class = type(f"{bp.name}_form", (FlaskForm,), {
        "name": StringField(_l("Name")),
        kind.key_attribute: SelectField(kind.words["key"], validate_choice=False),
        "active": BooleanField(kind.words["active"], default=True)})

    @bp.before_request
    def _admins_only() -> None:
        if not current_user.viewer.is_admin:
            raise PermissionDenied(str(kind.words["admins_only"]))

    @bp.route("", methods=["GET", "POST"])
    def index() -> Any:
        return _form_page(bp.name, kind, form_class, None)

    @bp.route("/<int:type_id>", methods=["GET", "POST"])
    def edit(type_id: int) -> Any:
        return _form_page(bp.name, kind, form_class, type_id)


def _form_page(endpoint: str, kind: Kind, form_class: type[FlaskForm], type_id: int | None) -> Any:
    """A refusal answers 400 with each problem beside its field."""
    with container().session_factory() as session:
        editing = session.get(kind.model, type_id) if type_id is not None else None
        if type_id is not None and editing is None:
            raise NotFound(str(kind.words["missing"]))
        usage = kind.usage(session)
        keys = deployed_keys(session)
    form = form_class(obj=editing)
    key_field = form[kind.key_attribute]
    key_field.choices = [(key, key) for key in keys]
    status = 200
    if form.validate_on_submit():
        saved = save(form, lambda session: kind.save_kind(
            session, current_user.viewer, type_id, form.name.data or "", key_field.data or "",
            bool(form.active.data)).name)
        if saved is not None:
            flash(str(kind.words["saved"]) % {"name": saved})
            return redirect(url_for(f"{endpoint}.index"))
        status = 400
    return render_template("process_kinds.html", form=form, usage=usage, editing=editing, words=kind.words,
                           key_field=key_field, endpoint=endpoint), status

