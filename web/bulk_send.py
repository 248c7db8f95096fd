"""Sending a template: pick it for one record (from its page) or many (ticked in a list),
preview it on a record of the selection, send, then watch the send and read each result.

Recipients are the records ticked in a list, or whoever a saved lead view shows when the
send is queued. The send runs after the "send" click commits: as a Celery job when a
broker is set, else on a thread of this process, as lead imports do (``background``). The
progress page refreshes itself with a meta refresh: the CSP allows no inline scripts and
htmx is not among the bundled assets.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from core.errors import Conflict, InvalidInput, NotFound
from core.phrases import Phrase
from workflows.inputs import parse_id
from workflows.messaging.models import OUTCOMES
from workflows.messaging.running import SEND_TASK, outlets, run_send
from workflows.messaging.sends import (
    MAX_RECIPIENTS,
    Preview,
    create_send,
    get_send,
    list_sends,
    preview,
    recipients,
    start_again,
    visible_names,
)
from workflows.messaging.templates import template_choices
from workflows.org.visibility import Viewer
from workflows.saved_views import SavedView, get_view, view_record_ids

from . import background
from .context import container
from .forms import field_messages
from .i18n import message_of

bp = Blueprint("bulk_send", __name__)
SHOWN = 50  # recipients named on the page; the rest are counted
LAUNCHER = "dealflow.message_send_launcher"
STATUS_LABELS = {"queued": _l("Waiting to start"), "running": _l("Sending"), "done": _l("Finished"),
                 "failed": _l("Stopped")}
OUTCOME_LABELS = {"sent": _l("Sent"), "opted_out": _l("Skipped: opted out"), "failed": _l("Failed"),
                  "sending": _l("Sending")}
NO_ADDRESS_LABELS = {"email": _l("Skipped: no email address"), "sms": _l("Skipped: no phone number")}
FIELD_LABELS = {"subject": _l("Subject"), "body": _l("Message"), "ids": _l("Recipients")}


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"status_labels": STATUS_LABELS, "outcome_labels": OUTCOME_LABELS, "outcomes": OUTCOMES,
            "no_address_labels": NO_ADDRESS_LABELS, "field_labels": FIELD_LABELS,
            "reason_text": reason_text}


def reason_text(reason: str) -> str:
    """What became of a recipient, in the reader's language when it is one of the run's own
    phrases (kept as its msgid), else as the mail server said it. Not through the templates'
    ``_``, which %-formats what it is given and fails on a reply such as "100% full"."""
    return _(reason) if reason else ""


def init_app(app: Flask) -> None:
    background.install(app, LAUNCHER, SEND_TASK, lambda c, send_id: run_send(
        c.session_factory, send_id, c.engine.clock, outlets(c.settings, c.notifications.postman.senders)))
    app.register_blueprint(bp)


@bp.post("/messages/send/<any(lead, contact):kind>/selected")
def selected(kind: str) -> Response:
    """The records ticked in a list, on to the send page (a GET, so preview can reload it)."""
    return redirect(url_for("bulk_send.compose", kind=kind, ids=_ids(request.form, kind)))


@bp.route("/messages/send/<any(lead, contact):kind>", methods=["GET", "POST"])
def compose(kind: str) -> Any:
    """Pick a template, preview it on one of the records, and send it to them all: the
    records ticked in a list (``ids``) or those a saved lead view shows at sending time."""
    viewer: Viewer = current_user.viewer
    template_id = parse_id(request.values.get("template_id", ""))
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            return _send(viewer, kind, template_id)
        except InvalidInput as exc:
            errors = field_messages(exc)
    with container().session_factory() as session:
        ids, view = _recipients(session, viewer, kind)
        names = visible_names(session, viewer, kind, ids[:SHOWN])
        preview_id = parse_id(request.values.get("preview_id", "")) or (ids[0] if ids else None)
        templates = template_choices(session, viewer)
        shown: Preview | None = None
        if template_id is not None and preview_id is not None and not errors:
            if preview_id not in names:
                raise NotFound(Phrase("This record does not exist"))
            try:
                shown = preview(session, viewer, template_id, kind, preview_id)
            except InvalidInput as exc:
                errors = field_messages(exc)
    if not ids:
        errors.setdefault("ids", _("Nobody is in the view “%(name)s” right now.", name=view.name) if view
                          else _("Tick at least one record in the list first."))
    elif len(ids) > MAX_RECIPIENTS:
        errors.setdefault("ids", _("The view “%(name)s” shows more than %(num)d leads: narrow it first.",
                                   name=view.name if view else "", num=MAX_RECIPIENTS))
    return render_template("messaging/compose.html", kind=kind, names=names, total=len(ids), view=view,
                           ids=ids if view is None else [], templates=templates, template_id=template_id,
                           preview_id=preview_id, shown=shown, errors=errors, form=FlaskForm()), \
        400 if errors else 200


@bp.get("/messages/sends")
def sends() -> str:
    with container().session_factory() as session:
        page = list_sends(session, current_user.viewer, max(1, request.args.get("page", 1, type=int)))
    return render_template("messaging/sends.html", page=page)


@bp.get("/messages/sends/<int:send_id>")
def progress(send_id: int) -> str:
    """How far the send is, and what became of each recipient (filter by outcome)."""
    outcome = request.args.get("outcome", "")
    outcome = outcome if outcome in OUTCOMES else ""
    number = max(1, request.args.get("page", 1, type=int))
    with container().session_factory() as session:
        send = get_send(session, current_user.viewer, send_id)
        page = recipients(session, current_user.viewer, send_id, number, outcome)
    settings = container().settings
    unconfigured = not (settings.smtp_url if send.channel == "email" else settings.sms_url)
    return render_template("messaging/send.html", send=send, page=page, outcome=outcome,
                           unconfigured=unconfigured, form=FlaskForm())


@bp.post("/messages/sends/<int:send_id>/restart")
def restart(send_id: int) -> Response:
    try:
        with container().uow() as uow:
            start_again(uow.session, current_user.viewer, send_id, _now())
            uow.after_commit(lambda: background.launch(LAUNCHER, send_id))
            uow.commit()
    except Conflict as exc:
        flash(message_of(exc), "error")
    return redirect(url_for("bulk_send.progress", send_id=send_id))


def _send(viewer: Viewer, kind: str, template_id: int | None) -> Response:
    """Queue the send and launch it once that commits; one recipient makes a personal email,
    without the unsubscribe link bulk email carries."""
    with container().uow() as uow:
        ids = _recipients(uow.session, viewer, kind)[0]
        send = create_send(uow.session, viewer, template_id or 0, kind, ids, _now(), bulk=len(ids) > 1)
        send_id = send.id
        uow.after_commit(lambda: background.launch(LAUNCHER, send_id))
        uow.commit()
    flash(ngettext("Sending to %(num)d recipient.", "Sending to %(num)d recipients.", len(ids)))
    return redirect(url_for("bulk_send.progress", send_id=send_id))


def _recipients(session: Session, viewer: Viewer, kind: str) -> tuple[list[int], SavedView | None]:
    """Whom the request names: a saved view's records as of now (one more than a send takes,
    so an oversized view is told), else the ticked ids."""
    view_id = parse_id(request.values.get("view_id", ""))
    if view_id is None:
        return _ids(request.values, kind), None
    view = get_view(session, viewer, kind, view_id)
    return view_record_ids(session, viewer, view, _now(), MAX_RECIPIENTS + 1), view


def _ids(values: MultiDict[str, str], kind: str) -> list[int]:
    """The record ids a form or link names (``ids``, or a list's ``lead_ids``), once each, in order."""
    raw = values.getlist("ids") or values.getlist(f"{kind}_ids")
    return list(dict.fromkeys(i for value in raw if (i := parse_id(value)) is not None))


def _now() -> datetime:
    return container().engine.clock.now()
