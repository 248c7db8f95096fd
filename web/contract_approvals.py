"""A contract's way through approval, from the owner's side: the preview of who will have
to approve and why, the submission (and resubmission after a revision), and withdrawal.

The use cases apply the visibility rule (a contract out of sight answers 404) and the
status rules; a refusal because the contract moved on meanwhile (submitted twice, say)
is said in a flash on the contract page, never as an error page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import TextAreaField

from core.errors import Conflict
from workflows.approvals.history import approval_history
from workflows.approvals.submission import NOTE_MAX, Preview, preview_submission, submit_contract
from workflows.approvals.submission import withdraw_contract as withdraw_use_case
from workflows.contracts.models import Contract
from workflows.contracts.service import get_contract
from workflows.org.recipients import display_names
from workflows.org.visibility import Viewer

from .admin import ROLE_LABELS
from .context import container
from .forms import save
from .i18n import message_of

bp = Blueprint("contract_approvals", __name__)

ROUND_OUTCOME_LABELS = {"pending": _l("Waiting for decisions"), "approved": _l("Approved"),
                        "rejected": _l("Sent back for revision"), "withdrawn": _l("Withdrawn")}
DECISION_LABELS = {"approve": _l("Approved"), "reject": _l("Rejected")}


class SubmitForm(FlaskForm):  # type: ignore[misc]
    note = TextAreaField(_l("Note to the approvers"), description=_l(
        "What the approvers should know, or what changed since the last round."))


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    """The contract page and the approval task page both show rounds and decisions."""
    return {"role_labels": ROLE_LABELS, "round_outcome_labels": ROUND_OUTCOME_LABELS,
            "decision_labels": DECISION_LABELS}


@bp.route("/contracts/<int:contract_id>/submit", methods=["GET", "POST"])
def submit(contract_id: int) -> Any:
    """Who will approve and which rules of the table said so; submitting starts the approval
    (or, after a rejection, the next round of it)."""
    form = SubmitForm()
    if form.validate_on_submit():
        waiting = save(form, lambda session: _submit(session, current_user.viewer, contract_id,
                                                     form.note.data or ""))
        if waiting is not None:
            flash(_("Submitted for approval to %(names)s.", names=", ".join(waiting)) if waiting
                  else _("Submitted for approval."))
            return redirect(url_for("contracts.show", contract_id=contract_id))
    return _preview_page(contract_id, form)


@bp.route("/contracts/<int:contract_id>/withdraw", methods=["GET", "POST"])
def withdraw(contract_id: int) -> Any:
    """GET asks for confirmation (a page, so no script is needed); POST (CSRF-checked like
    every POST) cancels the contract and ends its approval."""
    viewer: Viewer = current_user.viewer
    if request.method == "GET":
        with container().session_factory() as session:
            contract = get_contract(session, viewer, contract_id)
            if not contract.editable:
                return _not_now(contract_id, [])
            return render_template("contracts/withdraw.html", contract=contract)
    c = container()
    try:
        with c.uow() as uow:
            withdraw_use_case(uow.session, c.engine, viewer, contract_id, c.engine.clock.now())
            uow.commit()
    except Conflict as exc:
        flash(message_of(exc))
    else:
        flash(_("The contract is withdrawn."))
    return redirect(url_for("contracts.show", contract_id=contract_id))


def _submit(session: Session, viewer: Viewer, contract_id: int, note: str) -> list[str]:
    """Submit, then name who has a task now (the route may differ from the preview if the
    org tree or someone's out-of-office changed in between)."""
    submit_contract(session, container().engine, viewer, contract_id, note)
    return approval_history(session, session.get_one(Contract, contract_id)).waiting_names


def _preview_page(contract_id: int, form: SubmitForm) -> Response | tuple[str, int]:
    c, viewer = container(), current_user.viewer
    with c.session_factory() as session:
        preview = preview_submission(session, c.engine, viewer, contract_id, c.engine.clock.now())
        if not preview.contract.editable:  # submitted meanwhile, maybe by this very form
            return _not_now(contract_id, form.form_errors)
        page = render_template("contracts/submit.html", preview=preview, form=form, note_max=NOTE_MAX,
                               history=approval_history(session, preview.contract),
                               names=_route_names(session, preview))
    return page, 400 if form.is_submitted() else 200


def _route_names(session: Session, preview: Preview) -> dict[str, str]:
    if preview.route is None:
        return {}
    return display_names(session, [*preview.route.approvers.values(), *preview.route.stand_ins.values()])


def _not_now(contract_id: int, problems: list[str]) -> Response:
    """Back to the contract page, saying why the contract cannot go this way now."""
    for problem in problems or [_("Only a draft or a contract sent back for revision can be "
                                  "submitted or withdrawn.")]:
        flash(problem)
    return redirect(url_for("contracts.show", contract_id=contract_id))

