"""Admins' view of delivery: the delivery log (queued, sent, failed with the reason and
the attempts), sending a failed one again, and the outbox of emails kept unsent.

Everyone else is refused with 403 before any lookup.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from core.errors import PermissionDenied
from notifications.log import delivery_log, outbox, outbox_email, retry_delivery
from notifications.models import STATUSES

from ..context import container
from .common import CHANNEL_LABELS, KIND_LABELS, STATUS_LABELS, page_number

bp = Blueprint("notification_admin", __name__, url_prefix="/admin/notifications")
# The stored HTML part is shown as the mail client would: no scripts, no requests out, no forms.
SANDBOX = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@bp.before_request
def _admins_only() -> None:
    if not current_user.viewer.is_admin:
        raise PermissionDenied(_("Only administrators may see the delivery log and the outbox."))


@bp.get("/deliveries")
def deliveries() -> str:
    status = request.args.get("status") or None
    with container().session_factory() as session:
        page = delivery_log(session, page_number(), status)
    return render_template("notifications/deliveries.html", page=page, status=status, statuses=STATUSES,
                           status_labels=STATUS_LABELS, kind_labels=KIND_LABELS,
                           channel_labels=CHANNEL_LABELS)


@bp.post("/deliveries/<int:delivery_id>/retry")
def retry(delivery_id: int) -> Response:
    c = container()
    with c.uow() as uow:
        queued = retry_delivery(uow.session, delivery_id, c.engine.clock.now())
        uow.commit()
    flash(_("The delivery is queued again.") if queued else _("Only a failed delivery can be sent again."))
    return redirect(url_for("notification_admin.deliveries", status=request.args.get("status") or None))


@bp.get("/outbox")
def outbox_index() -> str:
    with container().session_factory() as session:
        page = outbox(session, page_number())
    return render_template("notifications/outbox.html", page=page,
                           smtp=bool(container().settings.smtp_url))


@bp.get("/outbox/<int:email_id>")
def outbox_show(email_id: int) -> str:
    with container().session_factory() as session:
        email = outbox_email(session, email_id)
    return render_template("notifications/outbox_email.html", email=email)


@bp.get("/outbox/<int:email_id>/html")
def outbox_html(email_id: int) -> Response:
    with container().session_factory() as session:
        email = outbox_email(session, email_id)
    response = Response(email.html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = SANDBOX
    return response
