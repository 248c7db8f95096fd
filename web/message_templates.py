"""Message templates: the list, and one form to write or change an email or SMS template.

The use cases check every field, including each placeholder against the fields a message
may use; a problem is shown beside its field with the input kept, and nothing is saved.
Someone else's private template answers 404, a shared one a non-admin may not change 403.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from workflows.messaging.models import CHANNELS
from workflows.messaging.placeholders import OBJECTS, available
from workflows.messaging.templates import (
    TemplateInput,
    create_template,
    delete_template,
    editable_template,
    list_templates,
    may_edit,
    update_template,
)
from workflows.org.visibility import Viewer

from .choices import choices
from .context import container
from .forms import save, typed

bp = Blueprint("message_templates", __name__)
CHANNEL_LABELS = {"email": _l("Email"), "sms": _l("Text message")}
RECORD_LABELS = {"lead": _l("Leads"), "contact": _l("Contacts")}


class TemplateForm(FlaskForm):  # type: ignore[misc]
    """Field names match ``TemplateInput``."""

    name = StringField(_l("Name"))
    channel = SelectField(_l("Channel"), validate_choice=False,
                          choices=choices((c, CHANNEL_LABELS[c]) for c in CHANNELS))
    subject = StringField(_l("Subject"), description=_l("Email only."))
    body = TextAreaField(_l("Message"), description=_l("Plain text with placeholders: see the fields below."))
    shared = BooleanField(_l("Shared with everyone"), description=_l("Only admins share templates."))


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {"channel_labels": CHANNEL_LABELS}


@bp.get("/messages/templates")
def index() -> str:
    viewer: Viewer = current_user.viewer
    with container().session_factory() as session:
        page = list_templates(session, viewer, max(1, request.args.get("page", 1, type=int)))
    return render_template("messaging/templates.html", page=page, editable={
        t.id for t in page.items if may_edit(viewer, t)}, form=FlaskForm())


@bp.route("/messages/templates/new", methods=["GET", "POST"])
def new() -> Any:
    viewer: Viewer = current_user.viewer
    form = TemplateForm(channel=request.args.get("channel", "email"))
    if form.validate_on_submit():
        created = save(form, lambda session: create_template(
            session, viewer, TemplateInput(**typed(form, TemplateInput)), _now()).id)
        if created is not None:
            flash(_("Template saved."))
            return redirect(url_for("message_templates.index"))
    return _form_page(form, None)


@bp.route("/messages/templates/<int:template_id>/edit", methods=["GET", "POST"])
def edit(template_id: int) -> Any:
    viewer: Viewer = current_user.viewer
    with container().session_factory() as session:
        template = editable_template(session, viewer, template_id)
    form = TemplateForm(obj=template)
    if form.validate_on_submit():
        saved = save(form, lambda session: update_template(
            session, viewer, template_id, TemplateInput(**typed(form, TemplateInput)), _now()).id)
        if saved is not None:
            flash(_("Template saved."))
            return redirect(url_for("message_templates.index"))
    return _form_page(form, template_id)


@bp.post("/messages/templates/<int:template_id>/delete")
def delete(template_id: int) -> Response:
    with container().uow() as uow:
        delete_template(uow.session, current_user.viewer, template_id)
        uow.commit()
    flash(_("Template deleted."))
    return redirect(url_for("message_templates.index"))


def _form_page(form: TemplateForm, template_id: int | None) -> tuple[str, int]:
    """The form, with every placeholder listed by the records it works for."""
    fields = {kind: available(OBJECTS[kind]) for kind in OBJECTS}
    page = render_template("messaging/template_form.html", form=form, template_id=template_id,
                           fields=fields, record_labels=RECORD_LABELS,
                           may_share=current_user.viewer.is_admin)
    return page, 400 if form.is_submitted() else 200


def _now() -> datetime:
    return container().engine.clock.now()
