"""Quotes: make one on an opportunity from a price list, edit it while a draft, see it,
and mark it sent, accepted or rejected. A quote out of the viewer's sight answers 404."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import FieldList, Form, FormField, SelectField, StringField, TextAreaField

from core.errors import Conflict, InvalidInput
from workflows.accounts.models import Account
from workflows.catalog.models import PriceList
from workflows.catalog.service import active_products, default_price_list, list_price_lists, prices
from workflows.contracts.types import contract_types
from workflows.opportunities.models import Opportunity, Quote
from workflows.opportunities.quotes import (
    MAX_LINES,
    NEXT_STATUSES,
    LineInput,
    QuoteInput,
    create_quote,
    get_quote,
    mark_quote,
    update_quote,
)
from workflows.opportunities.service import get_opportunity
from workflows.org.visibility import Viewer

from .choices import choices
from .context import container
from .forms import RowsForm, save
from .i18n import message_of, money

bp = Blueprint("quotes", __name__)
BLANK_ROWS = 3
QUOTE_STATUS_LABELS = {"draft": _l("Draft"), "sent": _l("Sent"), "accepted": _l("Accepted"),
                       "rejected": _l("Rejected")}
ACTION_LABELS = {"sent": _l("Mark as sent"), "accepted": _l("Mark as accepted"),
                 "rejected": _l("Mark as rejected")}


class LineForm(Form):  # type: ignore[misc]
    """One row of the lines table; a row without a product is left out."""

    product_id = SelectField(_l("Product"), validate_choice=False)
    quantity = StringField(_l("Quantity"), default="1")
    unit_price = StringField(_l("Unit price"), description=_l("Empty: the price list's price."))
    discount_percent = StringField(_l("Discount"), default="0")


class QuoteForm(RowsForm):
    """Field names match ``QuoteInput``; a line's problem is shown beside its field."""

    price_list_id = SelectField(_l("Price list"), validate_choice=False)
    valid_until = StringField(_l("Valid until"), description=_l("YYYY-MM-DD"))
    note = TextAreaField(_l("Note"))
    lines = FieldList(FormField(LineForm), max_entries=MAX_LINES)

    def quote_input(self) -> QuoteInput:
        return QuoteInput(price_list_id=self.price_list_id.data or "", lines=self.rows("lines", LineInput),
                          valid_until=self.valid_until.data or "", note=self.note.data or "")


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"quote_status_labels": QUOTE_STATUS_LABELS, "action_labels": ACTION_LABELS}


@bp.route("/opportunities/<int:opportunity_id>/quotes/new", methods=["GET", "POST"])
def new(opportunity_id: int) -> Any:
    """A new draft on the default price list, a few empty rows to fill."""
    viewer: Viewer = current_user.viewer
    with container().session_factory() as session:
        opportunity = get_opportunity(session, viewer, opportunity_id)
        default = default_price_list(session)
        form = QuoteForm(data={"price_list_id": str(default.id) if default else "",
                               "lines": [{}] * BLANK_ROWS})
        _fill_choices(session, form)
    if form.validate_on_submit():
        created = save(form, lambda session: create_quote(session, viewer, opportunity_id, form.quote_input(),
                                                          _now()))
        if created is not None:
            flash(_("Quote %(number)s created as a draft.", number=created.number))
            return redirect(url_for("quotes.show", quote_id=created.id))
    return _form_page(form, opportunity, None)


@bp.get("/quotes/<int:quote_id>")
def show(quote_id: int) -> str:
    with container().session_factory() as session:
        quote = get_quote(session, current_user.viewer, quote_id)
        opportunity = session.get_one(Opportunity, quote.opportunity_id)
        return render_template("quotes/show.html", quote=quote, opportunity=opportunity,
                               account=session.get_one(Account, opportunity.account_id),
                               price_list=session.get(PriceList, quote.price_list_id or 0),
                               next_statuses=NEXT_STATUSES[quote.status],
                               contract_types=contract_types(session) if quote.status == "accepted" else [])


@bp.route("/quotes/<int:quote_id>/edit", methods=["GET", "POST"])
def edit(quote_id: int) -> Any:
    """Change a draft's lines, price list, validity and note; sent quotes stay as sent."""
    viewer: Viewer = current_user.viewer
    with container().session_factory() as session:
        quote = get_quote(session, viewer, quote_id)
        if quote.status != "draft":
            flash(_("Only a draft quote can be edited."))
            return redirect(url_for("quotes.show", quote_id=quote_id))
        opportunity = session.get_one(Opportunity, quote.opportunity_id)
        form = QuoteForm(data=_initial(quote))
        _fill_choices(session, form)
    if form.validate_on_submit():
        saved = save(form, lambda session: update_quote(session, viewer, quote_id, form.quote_input(),
                                                        _now()))
        if saved is not None:
            flash(_("Changes saved."))
            return redirect(url_for("quotes.show", quote_id=quote_id))
    return _form_page(form, opportunity, quote)


@bp.post("/quotes/<int:quote_id>/status/<status>")
def mark(quote_id: int, status: str) -> Response:
    """Sent, accepted or rejected; a refusal (say, a second accepted quote) is said on the page."""
    try:
        with container().uow() as uow:
            quote = mark_quote(uow.session, current_user.viewer, quote_id, status)
            uow.commit()
    except (Conflict, InvalidInput) as exc:
        flash(message_of(exc))
    else:
        flash(_("Quote %(number)s is now %(status)s.", number=quote.number,
                status=QUOTE_STATUS_LABELS[quote.status]))
    return redirect(url_for("quotes.show", quote_id=quote_id))


def _form_page(form: QuoteForm, opportunity: Opportunity, quote: Quote | None) -> tuple[str, int]:
    page = render_template("quotes/form.html", form=form, opportunity=opportunity, quote=quote)
    return page, 400 if form.is_submitted() else 200


def _fill_choices(session: Session, form: QuoteForm) -> None:
    """Active price lists; active products, each labelled with its price in the chosen list."""
    lists = list_price_lists(session, active_only=True)
    form.price_list_id.choices = choices((str(p.id), p.name) for p in lists)
    products = active_products(session)
    chosen = form.price_list_id.data
    listed = prices(session, int(chosen), [p.id for p in products]) if str(chosen).isdigit() else {}
    options = choices(((str(p.id), _product_label(p.code, p.name, listed.get(p.id))) for p in products),
                      blank="")
    for entry in form.lines.entries:
        entry.form.product_id.choices = options


def _product_label(code: str, name: str, price: Any) -> str:
    return f"{code} · {name}" + (f" · {money(price)}" if price is not None else "")


def _initial(quote: Quote) -> dict[str, Any]:
    lines = [{"product_id": str(line.product_id), "quantity": str(line.quantity),
              "unit_price": str(line.unit_price), "discount_percent": str(line.discount_percent)}
             for line in quote.lines]
    return {"price_list_id": str(quote.price_list_id or ""), "note": quote.note,
            "valid_until": quote.valid_until.isoformat() if quote.valid_until else "",
            "lines": lines + [{}] * BLANK_ROWS}


def _now() -> datetime:
    return container().engine.clock.now()
