"""Products and price lists: everyone browses the products with their prices; only
administrators add or change products, price lists and prices (anyone else gets 403)."""

from __future__ import annotations

from math import ceil
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from core.errors import PermissionDenied
from workflows.catalog.models import PriceList
from workflows.catalog.service import (
    PriceListInput,
    ProductInput,
    active_products,
    create_price_list,
    create_product,
    default_price_list,
    get_price_list,
    get_product,
    list_price_lists,
    list_products,
    prices,
    remove_price,
    set_price,
    update_price_list,
    update_product,
)
from workflows.org.visibility import Viewer

from .choices import choices
from .context import container
from .forms import save

bp = Blueprint("catalog", __name__)
PER_PAGE = 25


class ProductForm(FlaskForm):  # type: ignore[misc]
    code = StringField(_l("Code"), description=_l("Unique; stored in capitals, such as AGV-L500."))
    name = StringField(_l("Name"))
    unit = StringField(_l("Unit"), description=_l("Such as 台, set or person-day."))
    description = TextAreaField(_l("Description"))
    active = BooleanField(_l("Active: new quotes may use it"), default=True)


class PriceListForm(FlaskForm):  # type: ignore[misc]
    name = StringField(_l("Name"))
    is_default = BooleanField(_l("Default: new quotes start from this list"))
    active = BooleanField(_l("Active"), default=True)


class PriceForm(FlaskForm):  # type: ignore[misc]
    product_id = SelectField(_l("Product"), validate_choice=False)
    unit_price = StringField(_l("Unit price"))


def _status(form: FlaskForm) -> int:
    """A refused submission answers 400, so clients and tests can tell it from a plain page."""
    return 400 if form.is_submitted() else 200


def _require_admin() -> None:
    if not current_user.viewer.is_admin:
        raise PermissionDenied(_("Only administrators may change products and price lists."))


# --- products ---------------------------------------------------------------------------


@bp.get("/products")
def products() -> str:
    """Products by code with their price in the chosen list (the default one unless chosen)."""
    viewer: Viewer = current_user.viewer
    search = request.args.get("q", "").strip()
    page = max(1, request.args.get("page", 1, type=int))
    with container().session_factory() as session:
        found, total = list_products(session, viewer, search, page, PER_PAGE)
        lists = list_price_lists(session, active_only=not viewer.is_admin)
        chosen = _chosen_list(lists, request.args.get("price_list", type=int)) or default_price_list(session)
        listed = prices(session, chosen.id, [p.id for p in found]) if chosen else {}
    query = {k: v for k, v in (("q", search), ("price_list", chosen.id if chosen else None)) if v}
    return render_template("catalog/products.html", products=found, total=total, page=page,
                           pages=ceil(total / PER_PAGE), query=query, price_lists=lists, chosen=chosen,
                           prices=listed)


def _chosen_list(lists: list[PriceList], wanted: int | None) -> PriceList | None:
    return next((p for p in lists if p.id == wanted), None)


@bp.route("/products/new", methods=["GET", "POST"])
def new_product() -> Any:
    _require_admin()
    form = ProductForm()
    if form.validate_on_submit():
        created = save(form, lambda session: create_product(session, current_user.viewer, _product(form)))
        if created is not None:
            flash(_("Product %(code)s added.", code=created.code))
            return redirect(url_for("catalog.products"))
    return render_template("catalog/product.html", form=form, product=None), _status(form)


@bp.route("/products/<int:product_id>", methods=["GET", "POST"])
def edit_product(product_id: int) -> Any:
    _require_admin()
    with container().session_factory() as session:
        product = get_product(session, product_id)
    form = ProductForm(obj=product)
    if form.validate_on_submit():
        saved = save(form, lambda session: update_product(session, current_user.viewer, product_id,
                                                          _product(form)))
        if saved is not None:
            flash(_("Changes saved."))
            return redirect(url_for("catalog.products"))
    return render_template("catalog/product.html", form=form, product=product), _status(form)


def _product(form: ProductForm) -> ProductInput:
    return ProductInput(code=form.code.data or "", name=form.name.data or "", unit=form.unit.data or "",
                        description=form.description.data or "", active=bool(form.active.data))


# --- price lists ------------------------------------------------------------------------


@bp.route("/price-lists", methods=["GET", "POST"])
def price_lists() -> Any:
    """Every list, the default first, and a form to add one."""
    _require_admin()
    form = PriceListForm()
    if form.validate_on_submit():
        created = save(form, lambda session: create_price_list(session, current_user.viewer,
                                                               _price_list(form)))
        if created is not None:
            flash(_("Price list %(name)s added.", name=created.name))
            return redirect(url_for("catalog.price_list", price_list_id=created.id))
    with container().session_factory() as session:  # open while rendering: the page counts entries
        return render_template("catalog/price_lists.html", form=form,
                               price_lists=list_price_lists(session)), _status(form)


@bp.route("/price-lists/<int:price_list_id>", methods=["GET", "POST"])
def price_list(price_list_id: int) -> Any:
    """The list's settings and its prices; the settings form posts here."""
    _require_admin()
    with container().session_factory() as session:
        found = get_price_list(session, price_list_id)
    form = PriceListForm(obj=found)
    if form.validate_on_submit():
        saved = save(form, lambda session: update_price_list(session, current_user.viewer, price_list_id,
                                                             _price_list(form)))
        if saved is not None:
            flash(_("Changes saved."))
            return redirect(url_for("catalog.price_list", price_list_id=price_list_id))
    return _price_list_page(price_list_id, form, PriceForm(formdata=None)), _status(form)


@bp.post("/price-lists/<int:price_list_id>/prices")
def put_price(price_list_id: int) -> Any:
    """Add a product to the list or change its price there."""
    _require_admin()
    form = PriceForm()
    if form.validate_on_submit():
        saved = save(form, lambda session: set_price(session, current_user.viewer, price_list_id,
                                                     form.product_id.data or "", form.unit_price.data or ""))
        if saved is not None:
            flash(_("Price saved."))
            return redirect(url_for("catalog.price_list", price_list_id=price_list_id))
    return _price_list_page(price_list_id, None, form), 400


@bp.post("/price-lists/<int:price_list_id>/prices/<int:product_id>/remove")
def drop_price(price_list_id: int, product_id: int) -> Response:
    _require_admin()
    with container().uow() as uow:
        remove_price(uow.session, current_user.viewer, price_list_id, product_id)
        uow.commit()
    flash(_("Price removed."))
    return redirect(url_for("catalog.price_list", price_list_id=price_list_id))


def _price_list_page(price_list_id: int, form: PriceListForm | None, price_form: PriceForm) -> str:
    """The settings form (as submitted, else as saved), the prices, and the price form."""
    with container().session_factory() as session:
        found = get_price_list(session, price_list_id)
        price_form.product_id.choices = choices(((str(p.id), f"{p.code} · {p.name}")
                                                 for p in active_products(session)), blank="")
        return render_template("catalog/price_list.html", price_list=found, price_form=price_form,
                               form=form or PriceListForm(formdata=None, obj=found),
                               entries=sorted(found.entries, key=lambda e: e.product.code))


def _price_list(form: PriceListForm) -> PriceListInput:
    return PriceListInput(name=form.name.data or "", is_default=bool(form.is_default.data),
                          active=bool(form.active.data))
