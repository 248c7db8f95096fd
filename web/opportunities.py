"""An opportunity's own pages: create one, see its path through the pipeline, advance it
a stage through the stage's gate, or close it as lost or abandoned."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import SelectField, StringField, TextAreaField

from core.errors import Conflict, InvalidInput
from engine import FormInvalid, history
from workflows.accounts.contacts import contacts_of
from workflows.accounts.models import Account, Contact
from workflows.accounts.service import account_choices
from workflows.activities.service import activities_of
from workflows.contracts.models import Contract
from workflows.contracts.service import contracts_where
from workflows.inputs import parse_id
from workflows.opportunities import service
from workflows.opportunities.models import CLOSED, SOURCES, Opportunity
from workflows.opportunities.pipeline import Stage
from workflows.opportunities.quotes import quotes_of
from workflows.opportunities.service import OpportunityInput
from workflows.org.visibility import Viewer

from .activities import ActivityForm
from .choices import choices
from .context import container
from .contracts import CONTRACT_STATUS_LABELS
from .forms import field_messages, save
from .i18n import message_of
from .quotes import QUOTE_STATUS_LABELS

bp = Blueprint("opportunities", __name__)
SOURCE_LABELS = {
    "website": _l("Website"), "wechat": _l("WeChat"), "phone_in": _l("Phone (inbound)"),
    "phone_out": _l("Phone (outbound)"), "event": _l("Event sign-up"), "business_card": _l("Business card"),
    "referral": _l("Referral"), "existing_customer": _l("Existing customer"), "import": _l("Import"),
    "other": _l("Other"),
}
STATUS_LABELS = {"open": _l("Open"), "won": _l("Won"), "lost": _l("Lost"), "abandoned": _l("Abandoned")}


class OpportunityForm(FlaskForm):  # type: ignore[misc]
    """Field names match ``OpportunityInput``; the use case checks every value."""

    name = StringField(_l("Name"))
    account_id = SelectField(_l("Account"), validate_choice=False)
    contact_id = SelectField(_l("Contact"), validate_choice=False)
    business_type_id = SelectField(_l("Business type"), validate_choice=False)
    amount = StringField(_l("Amount"))
    expected_close_date = StringField(_l("Expected close date"))
    source = SelectField(_l("Source"), validate_choice=False)


class CloseForm(FlaskForm):  # type: ignore[misc]
    outcome = SelectField(_l("Outcome"), validate_choice=False)
    reason = TextAreaField(_l("Reason"))


@bp.route("/opportunities/new", methods=["GET", "POST"])
def new() -> Any:
    viewer: Viewer = current_user.viewer
    form = OpportunityForm(account_id=request.args.get("account_id", ""))
    with container().session_factory() as session:
        _fill_choices(session, viewer, form)
    if form.validate_on_submit():
        c = container()
        created = save(form, lambda session: service.create_opportunity(
            session, c.engine, viewer, OpportunityInput(**_typed(form)), c.engine.clock.now()).id)
        if created is not None:
            flash(_("Opportunity created; its first stage is in your tasks."))
            return redirect(url_for("opportunities.show", opportunity_id=created))
        return render_template("opportunities/form.html", form=form, editing=None), 400
    return render_template("opportunities/form.html", form=form, editing=None)


@bp.route("/opportunities/<int:opportunity_id>/edit", methods=["GET", "POST"])
def edit(opportunity_id: int) -> Any:
    viewer: Viewer = current_user.viewer
    c = container()
    with c.session_factory() as session:
        opportunity = service.get_opportunity(session, viewer, opportunity_id)
        form = OpportunityForm(obj=opportunity, **_as_text(opportunity))
        _fill_choices(session, viewer, form)
    if form.validate_on_submit():
        saved = save(form, lambda session: service.update_opportunity(
            session, c.engine, viewer, opportunity_id, OpportunityInput(**_typed(form)),
            c.engine.clock.now()).id)
        if saved is not None:
            flash(_("Opportunity saved."))
            return redirect(url_for("opportunities.show", opportunity_id=opportunity_id))
        return render_template("opportunities/form.html", form=form, editing=opportunity), 400
    return render_template("opportunities/form.html", form=form, editing=opportunity)


@bp.get("/opportunities/<int:opportunity_id>")
def show(opportunity_id: int) -> str:
    return _page(opportunity_id)


@bp.get("/opportunities/<int:opportunity_id>/stage")
def stage_form(opportunity_id: int) -> str:
    """Just the stage gate, for the kanban board's dialog: the same form as the page."""
    return _stage_fragment(opportunity_id)


@bp.post("/opportunities/<int:opportunity_id>/advance")
def advance(opportunity_id: int) -> Any:
    values = {k: v for k, v in request.form.items() if k not in ("csrf_token", "actions")}
    actions = request.form.getlist("actions")
    fragment = request.args.get("fragment") == "1"
    try:
        with container().uow() as uow:
            moved = service.advance(uow.session, container().engine, current_user.viewer, opportunity_id,
                                    values, actions)
            uow.commit()
    except FormInvalid as exc:
        render = _stage_fragment if fragment else _page
        return render(opportunity_id, values=values, errors=exc.field_errors, actions=actions), 400
    except Conflict as exc:
        flash(message_of(exc))
    else:
        flash(_("Moved to %(stage)s.", stage=moved.stage_name))
    return redirect(url_for("opportunities.show", opportunity_id=opportunity_id))


@bp.post("/opportunities/<int:opportunity_id>/close")
def close(opportunity_id: int) -> Any:
    outcome, reason = request.form.get("outcome", ""), request.form.get("reason", "")
    fragment = request.args.get("fragment") == "1"
    try:
        with container().uow() as uow:
            service.close(uow.session, container().engine, current_user.viewer, opportunity_id,
                          outcome, reason)
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        if isinstance(exc, Conflict):
            flash(message_of(exc))
            return redirect(url_for("opportunities.show", opportunity_id=opportunity_id))
        render = _stage_fragment if fragment else _page
        return render(opportunity_id, close_values={"outcome": outcome, "reason": reason},
                      close_errors=field_messages(exc)), 400
    flash(_("The opportunity is closed as %(status)s.", status=STATUS_LABELS.get(outcome, outcome)))
    return redirect(url_for("opportunities.show", opportunity_id=opportunity_id))


@bp.post("/opportunities/<int:opportunity_id>/reopen")
def reopen(opportunity_id: int) -> Any:
    try:
        with container().uow() as uow:
            reopened = service.reopen(uow.session, container().engine, current_user.viewer, opportunity_id)
            uow.commit()
    except Conflict as exc:
        flash(message_of(exc))
    else:
        flash(_("Reopened: back at %(stage)s.", stage=reopened.stage_name))
    return redirect(url_for("opportunities.show", opportunity_id=opportunity_id))


def _page(opportunity_id: int, **state: Any) -> str:
    c = container()
    with c.session_factory() as session:
        opportunity = service.get_opportunity(session, current_user.viewer, opportunity_id)
        visits = service.stage_visits(session, opportunity)
        path = service.pipeline_of(session, c.engine, opportunity)
        return render_template(
            "opportunities/show.html", opportunity=opportunity,
            account=session.get(Account, opportunity.account_id),
            contact=session.get(Contact, opportunity.contact_id) if opportunity.contact_id else None,
            path=path,
            quotes=quotes_of(session, current_user.viewer, opportunity.id),
            quote_status_labels=QUOTE_STATUS_LABELS,
            contracts=contracts_where(session, current_user.viewer,
                                      Contract.opportunity_id == opportunity.id),
            contract_status_labels=CONTRACT_STATUS_LABELS,
            first_entered={v.stage: v.entered_at for v in reversed(visits)}, visits=visits,
            events=history(session, opportunity.process_instance_id)
            if opportunity.process_instance_id else [],
            activities=activities_of(session, current_user.viewer, "opportunity", opportunity.id),
            activity_form=ActivityForm(formdata=None), subject="opportunity", subject_id=opportunity.id,
            **_stage_state(session, opportunity, path=path, **state))


def _stage_fragment(opportunity_id: int, **state: Any) -> str:
    with container().session_factory() as session:
        opportunity = service.get_opportunity(session, current_user.viewer, opportunity_id)
        return render_template("opportunities/_stage_form.html", opportunity=opportunity, fragment=True,
                               **_stage_state(session, opportunity, **state))


def _stage_state(session: Session, opportunity: Opportunity, values: dict[str, str] | None = None,
                 errors: dict[str, str] | None = None, actions: list[str] | None = None,
                 close_values: dict[str, str] | None = None,
                 close_errors: dict[str, str] | None = None,
                 path: list[Stage] | None = None) -> dict[str, Any]:
    """What the stage gate shows: the stage's form and playbook, and how it may be closed."""
    work = service.current_stage_work(session, container().engine, opportunity, path)
    outcomes = next((f.options for f in work.form if f.id == "outcome"), ()) if work else ()
    return {"work": work, "values": values or {}, "errors": errors or {}, "actions": actions or [],
            "reopenable": work is None and service.can_reopen(session, opportunity),
            "close_outcomes": [(o, STATUS_LABELS.get(o, name)) for o, name in outcomes if o in CLOSED],
            "close_values": close_values or {}, "close_errors": close_errors or {},
            "status_labels": STATUS_LABELS}


def _fill_choices(session: Session, viewer: Viewer, form: OpportunityForm) -> None:
    accounts = account_choices(session, viewer)
    form.account_id.choices = choices(((str(i), name) for i, name in accounts), blank="")
    account_id = parse_id(form.account_id.data or "")
    contacts = contacts_of(session, viewer, account_id)[0] if account_id is not None else []
    form.contact_id.choices = choices(((str(c.id), c.name) for c in contacts), blank="")
    types = service.business_types(session)
    form.business_type_id.choices = choices(((str(t.id), t.name) for t in types), blank="")
    form.source.choices = choices(((key, str(SOURCE_LABELS[key])) for key in SOURCES), blank="")


def _as_text(opportunity: Opportunity) -> dict[str, str]:
    """The opportunity's values as the form shows them (a GET fills the form from these)."""
    return {"account_id": str(opportunity.account_id), "contact_id": str(opportunity.contact_id or ""),
            "business_type_id": str(opportunity.business_type_id), "amount": str(opportunity.amount),
            "expected_close_date": opportunity.expected_close_date.isoformat()
            if opportunity.expected_close_date else ""}


def _typed(form: OpportunityForm) -> dict[str, str]:
    return {name: str(form[name].data or "") for name in OpportunityInput.__dataclass_fields__
            if name in form}
