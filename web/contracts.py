"""Contracts: the list, a new contract (from scratch or an accepted quote), editing while
a draft or sent back, and the contract page with its figures and collection plan.

The use cases apply the visibility rule, so a contract out of the viewer's sight answers
404. Each submission is one unit of work; a refusal keeps the input, shows each problem
beside its field and answers 400, and nothing is saved.
"""

from __future__ import annotations

from datetime import datetime
from math import ceil
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import FieldList, Form, FormField, SelectField, StringField, TextAreaField

from core.errors import Conflict, InvalidInput
from workflows.accounts.models import Account
from workflows.accounts.service import account_choices
from workflows.approvals.history import approval_history
from workflows.catalog.service import active_products
from workflows.contracts.chasing import collect as collect_money
from workflows.contracts.models import STATUSES, Contract
from workflows.contracts.plan import (
    MAX_INSTALMENTS,
    CollectionInput,
    InstalmentInput,
    collection_plan,
    is_overdue,
    plan_instalments,
)
from workflows.contracts.service import (
    MAX_LINES,
    ContractFilter,
    ContractInput,
    ContractLineInput,
    create_contract,
    create_contract_from_quote,
    get_contract,
    list_contracts,
    opportunity_choices,
    update_contract,
)
from workflows.contracts.types import contract_types
from workflows.inputs import parse_id
from workflows.opportunities.models import Opportunity
from workflows.org.visibility import Viewer

from .choices import choices
from .context import container
from .forms import RowsForm, save
from .i18n import message_of

bp = Blueprint("contracts", __name__)
PER_PAGE = 25
BLANK_ROWS = 3
FILTERS = ("status", "contract_type_id", "account_id", "owner")
CONTRACT_STATUS_LABELS = {"draft": _l("Draft"), "submitted": _l("Submitted"), "active": _l("Active"),
                          "rejected": _l("Needs revision"), "cancelled": _l("Cancelled")}


class ContractLineForm(Form):  # type: ignore[misc]
    """One row of the lines table; a row without a product is left out."""

    product_id = SelectField(_l("Product"), validate_choice=False)
    quantity = StringField(_l("Quantity"), default="1")
    unit_price = StringField(_l("Unit price"))


class ContractForm(RowsForm):
    """Field names match ``ContractInput``; the use case checks every value."""

    account_id = SelectField(_l("Account"), validate_choice=False)
    opportunity_id = SelectField(_l("Opportunity"), validate_choice=False)
    contract_type_id = SelectField(_l("Contract type"), validate_choice=False)
    signed_on = StringField(_l("Signed on"), description=_l("YYYY-MM-DD"))
    start_on = StringField(_l("Starts on"), description=_l("YYYY-MM-DD"))
    end_on = StringField(_l("Ends on"), description=_l("YYYY-MM-DD"))
    sales_expense = StringField(_l("Sales expense"), default="0")
    cost_reserve = StringField(_l("Cost reserve"), default="0")
    maintenance_reserve = StringField(_l("Maintenance reserve"), default="0")
    note = TextAreaField(_l("Note"))
    lines = FieldList(FormField(ContractLineForm), max_entries=MAX_LINES)

    def contract_input(self) -> ContractInput:
        typed = {name: str(self[name].data or "") for name in ContractInput.__dataclass_fields__
                 if name != "lines"}
        return ContractInput(**typed, lines=self.rows("lines", ContractLineInput))


class InstalmentForm(Form):  # type: ignore[misc]
    due_on = StringField(_l("Due on"))
    amount = StringField(_l("Amount"))


class PlanForm(RowsForm):
    row_lists = ("instalments",)
    instalments = FieldList(FormField(InstalmentForm), max_entries=MAX_INSTALMENTS)


class CollectionForm(FlaskForm):  # type: ignore[misc]
    instalment_id = SelectField(_l("Instalment"), validate_choice=False)
    amount = StringField(_l("Amount received"))
    received_on = StringField(_l("Received on"), description=_l("YYYY-MM-DD"))
    note = StringField(_l("Note"))


class FromQuoteForm(FlaskForm):  # type: ignore[misc]
    contract_type_id = SelectField(_l("Contract type"), validate_choice=False)


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"contract_status_labels": CONTRACT_STATUS_LABELS}


@bp.get("/contracts")
def index() -> str:
    """The contracts the viewer may see, newest first, a page at a time."""
    viewer: Viewer = current_user.viewer
    query = {name: value for name in FILTERS if (value := request.args.get(name, "").strip())}
    page = max(1, request.args.get("page", 1, type=int))
    with container().session_factory() as session:
        rows, total = list_contracts(session, viewer, ContractFilter(**query), page, PER_PAGE)
        return render_template("contracts/index.html", rows=rows, total=total, page=page,
                               pages=ceil(total / PER_PAGE), query=query, statuses=STATUSES,
                               types=contract_types(session, active_only=False),
                               accounts=account_choices(session, viewer))


@bp.route("/contracts/new", methods=["GET", "POST"])
def new() -> Any:
    """A draft on a visible account; ``?account_id=`` and ``?opportunity_id=`` preselect them."""
    viewer: Viewer = current_user.viewer
    form = ContractForm(data={"account_id": request.args.get("account_id", ""),
                              "opportunity_id": request.args.get("opportunity_id", ""),
                              "lines": [{}] * BLANK_ROWS})
    with container().session_factory() as session:
        _preselect_account(session, form)
        _fill_choices(session, viewer, form)
    if form.validate_on_submit():
        created = save(form, lambda session: create_contract(session, viewer, form.contract_input(), _now()))
        if created is not None:
            flash(_("Contract %(number)s created as a draft.", number=created.number))
            return redirect(url_for("contracts.show", contract_id=created.id))
    return _form_page(form, None)


@bp.route("/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
def edit(contract_id: int) -> Any:
    """Change a draft (or a contract sent back for revision); submitted figures stay as they are."""
    viewer: Viewer = current_user.viewer
    with container().session_factory() as session:
        contract = get_contract(session, viewer, contract_id)
        if not contract.editable:
            flash(_("Only a draft or a contract sent back for revision can be edited."))
            return redirect(url_for("contracts.show", contract_id=contract_id))
        form = ContractForm(data=_initial(contract))
        _fill_choices(session, viewer, form)
    if form.validate_on_submit():
        saved = save(form, lambda session: update_contract(session, viewer, contract_id,
                                                           form.contract_input(), _now()))
        if saved is not None:
            flash(_("Changes saved."))
            return redirect(url_for("contracts.show", contract_id=contract_id))
    return _form_page(form, contract)


@bp.post("/quotes/<int:quote_id>/contract")
def from_quote(quote_id: int) -> Response:
    """The accepted quote's lines in a new draft; a refusal is said on the quote's page."""
    form = FromQuoteForm()
    if form.validate_on_submit():
        try:
            with container().uow() as uow:
                contract = create_contract_from_quote(uow.session, current_user.viewer, quote_id,
                                                      form.contract_type_id.data or "", _now())
                uow.commit()
        except (Conflict, InvalidInput) as exc:
            flash(message_of(exc))
        else:
            flash(_("Contract %(number)s created from the quote.", number=contract.number))
            return redirect(url_for("contracts.show", contract_id=contract.id))
    return redirect(url_for("quotes.show", quote_id=quote_id))


@bp.get("/contracts/<int:contract_id>")
def show(contract_id: int) -> str:
    return _page(contract_id)


@bp.post("/contracts/<int:contract_id>/plan")
def plan(contract_id: int) -> Any:
    """Set the whole collection plan; a plan that does not add up answers 400 on the page."""
    viewer: Viewer = current_user.viewer
    form = PlanForm()
    if form.validate_on_submit():
        done = save(form, lambda session: plan_instalments(session, viewer, contract_id,
                                                           form.rows("instalments", InstalmentInput)))
        if done is not None:
            flash(_("Collection plan saved."))
            return redirect(url_for("contracts.show", contract_id=contract_id))
    return _page(contract_id, plan_form=form), 400


@bp.post("/contracts/<int:contract_id>/collections")
def collect(contract_id: int) -> Any:
    """Record money received against one of the contract's instalments."""
    viewer: Viewer = current_user.viewer
    form = CollectionForm()
    with container().session_factory() as session:
        contract = get_contract(session, viewer, contract_id)
        _fill_instalments(contract, form)
    instalment = parse_id(form.instalment_id.data or "")
    if form.validate_on_submit() and instalment in {i.id for i in contract.instalments}:
        data = CollectionInput(amount=form.amount.data or "", received_on=form.received_on.data or "",
                               note=form.note.data or "")
        engine = container().engine  # paying an instalment off withdraws its chase task
        done = save(form, lambda session: collect_money(session, engine, viewer, instalment or 0, data,
                                                        _now()))
        if done is not None:
            flash(_("Collection recorded."))
            return redirect(url_for("contracts.show", contract_id=contract_id))
    elif form.is_submitted():
        form.instalment_id.errors = [_("choose an instalment of this contract")]
    return _page(contract_id, collection_form=form), 400


def _page(contract_id: int, plan_form: PlanForm | None = None,
          collection_form: CollectionForm | None = None) -> str:
    with container().session_factory() as session:
        contract = get_contract(session, current_user.viewer, contract_id)
        payments = collection_plan(session, contract)
        if plan_form is None:
            rows = [{"due_on": i.due_on.isoformat(), "amount": str(i.amount)} for i in contract.instalments]
            plan_form = PlanForm(formdata=None, data={"instalments": rows + [{}] * BLANK_ROWS})
        if collection_form is None:
            collection_form = CollectionForm(formdata=None, data={"received_on": _now().date().isoformat()})
            _fill_instalments(contract, collection_form)
        return render_template(
            "contracts/show.html", contract=contract, figures=contract.figures, payments=payments,
            account=session.get_one(Account, contract.account_id),
            opportunity=session.get(Opportunity, contract.opportunity_id or 0),
            overdue={i.id for i in payments.instalments if is_overdue(i, _now().date())},
            plan_form=plan_form, collection_form=collection_form,
            approval=approval_history(session, contract))


def _form_page(form: ContractForm, contract: Contract | None) -> tuple[str, int]:
    page = render_template("contracts/form.html", form=form, contract=contract)
    return page, 400 if form.is_submitted() else 200


def _preselect_account(session: Session, form: ContractForm) -> None:
    """Starting from an opportunity, its account is the contract's."""
    opportunity = session.get(Opportunity, parse_id(form.opportunity_id.data or "") or 0)
    if opportunity is not None and not form.account_id.data:
        form.account_id.data = str(opportunity.account_id)


def _fill_choices(session: Session, viewer: Viewer, form: ContractForm) -> None:
    accounts = account_choices(session, viewer)
    form.account_id.choices = choices(((str(i), name) for i, name in accounts), blank="")
    account_id = parse_id(form.account_id.data or "")
    opportunities = opportunity_choices(session, viewer, account_id) if account_id is not None else []
    form.opportunity_id.choices = choices(((str(i), name) for i, name in opportunities), blank="")
    form.contract_type_id.choices = choices(((str(t.id), t.name) for t in contract_types(session)), blank="")
    products = choices(((str(p.id), f"{p.code} · {p.name}") for p in active_products(session)), blank="")
    for entry in form.lines.entries:
        entry.form.product_id.choices = products


def _fill_instalments(contract: Contract, form: CollectionForm) -> None:
    form.instalment_id.choices = choices((str(i.id), f"#{i.position} · {i.due_on.isoformat()}")
                                         for i in contract.instalments)


def _initial(contract: Contract) -> dict[str, Any]:
    lines = [{"product_id": str(line.product_id), "quantity": str(line.quantity),
              "unit_price": str(line.unit_price)} for line in contract.lines]
    dates = {name: value.isoformat() if value else "" for name, value in (
        ("signed_on", contract.signed_on), ("start_on", contract.start_on), ("end_on", contract.end_on))}
    figures = {name: str(getattr(contract, name)) for name in ("sales_expense", "cost_reserve",
                                                                "maintenance_reserve")}
    return {"account_id": str(contract.account_id), "opportunity_id": str(contract.opportunity_id or ""),
            "contract_type_id": str(contract.contract_type_id), "note": contract.note, **dates, **figures,
            "lines": lines + [{}] * BLANK_ROWS}


def _now() -> datetime:
    return container().engine.clock.now()
