"""Use cases for the product catalogue: products, price lists and their prices.

Everyone reads the catalogue; only administrators change it. Exactly one price list is
the default (quotes start from it): making one the default takes the flag from the
others, and the default cannot be switched off or deactivated, only replaced.
Functions work in the caller's ``Session`` and never commit.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import Conflict, NotFound, PermissionDenied
from core.phrases import Phrase
from workflows.inputs import Checker, page_window, parse_id
from workflows.org.visibility import Viewer

from .models import PriceList, PriceListEntry, Product

MAX_PER_PAGE = 100


@dataclass(frozen=True)
class ProductInput:
    code: str
    name: str
    unit: str = ""
    description: str = ""
    active: bool = True


@dataclass(frozen=True)
class PriceListInput:
    name: str
    is_default: bool = False
    active: bool = True


# --- products ---------------------------------------------------------------------------


def create_product(session: Session, actor: Viewer, data: ProductInput) -> Product:
    _require_admin(actor)
    product = Product(**_product_values(session, data, None))
    session.add(product)
    _flush_unique(session)
    return product


def update_product(session: Session, actor: Viewer, product_id: int, data: ProductInput) -> Product:
    """Edit a product; deactivating it keeps its prices and old quotes, but new quotes skip it."""
    _require_admin(actor)
    product = get_product(session, product_id)
    for name, value in _product_values(session, data, product.id).items():
        setattr(product, name, value)
    _flush_unique(session)
    return product


def get_product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(Phrase("This product does not exist"))
    return product


def list_products(session: Session, viewer: Viewer, search: str = "", page: int = 1,
                  per_page: int = 25) -> tuple[list[Product], int]:
    """One page of products by code; inactive ones are listed for administrators only."""
    limit, offset = page_window(page, per_page, MAX_PER_PAGE)
    conditions: list[ColumnElement[bool]] = [] if viewer.is_admin else [Product.active.is_(True)]
    if term := search.strip():
        conditions.append(or_(Product.code.icontains(term, autoescape=True),
                              Product.name.icontains(term, autoescape=True)))
    total = session.scalar(select(func.count()).select_from(Product).where(*conditions)) or 0
    rows = session.scalars(select(Product).where(*conditions).order_by(Product.code)
                           .limit(limit).offset(offset))
    return list(rows), total


def active_products(session: Session) -> list[Product]:
    """Every product a new quote line may use, by code: the choices of the line picker."""
    return list(session.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.code)))


def active_products_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, Product]:
    """The active products among ``ids`` (Nones and unknown ids left out), by id: what a
    quote or contract line may use."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    found = session.scalars(select(Product).where(Product.id.in_(wanted), Product.active.is_(True)))
    return {p.id: p for p in found}


def _product_values(session: Session, data: ProductInput, product_id: int | None) -> dict[str, object]:
    check = Checker()
    values: dict[str, object] = {
        "code": check.text("code", data.code, 60, required=True).upper(),
        "name": check.text("name", data.name, 200, required=True),
        "unit": check.text("unit", data.unit, 20),
        "description": check.text("description", data.description, 5000),
        "active": data.active,
    }
    taken = exists().where(Product.code == values["code"], Product.id != (product_id or 0))
    if values["code"] and session.scalar(select(taken)):
        check.problem("code", Phrase("is already used by another product"))
    check.done()
    return values


# --- price lists ------------------------------------------------------------------------


def create_price_list(session: Session, actor: Viewer, data: PriceListInput) -> PriceList:
    """A new list; the very first one is the default whatever was asked, so one always is."""
    _require_admin(actor)
    first = default_price_list(session) is None
    price_list = PriceList(**_price_list_values(session, data, None))
    session.add(price_list)
    _flush_unique(session)
    _set_default(session, price_list, data.is_default or first)
    return price_list


def update_price_list(session: Session, actor: Viewer, price_list_id: int, data: PriceListInput) -> PriceList:
    _require_admin(actor)
    price_list = get_price_list(session, price_list_id)
    for name, value in _price_list_values(session, data, price_list).items():
        setattr(price_list, name, value)
    _flush_unique(session)
    _set_default(session, price_list, data.is_default)
    return price_list


def get_price_list(session: Session, price_list_id: int) -> PriceList:
    price_list = session.get(PriceList, price_list_id)
    if price_list is None:
        raise NotFound(Phrase("This price list does not exist"))
    return price_list


def list_price_lists(session: Session, active_only: bool = False) -> list[PriceList]:
    """The default first, then by name."""
    query = select(PriceList).order_by(PriceList.is_default.desc(), PriceList.name)
    return list(session.scalars(query.where(PriceList.active.is_(True)) if active_only else query))


def default_price_list(session: Session) -> PriceList | None:
    return session.scalars(select(PriceList).where(PriceList.is_default.is_(True)).limit(1)).first()


def prices(session: Session, price_list_id: int, product_ids: Collection[int]) -> dict[int, Decimal]:
    """Product id → unit price in one list, for the products that have one there."""
    if not product_ids:
        return {}
    rows = session.execute(select(PriceListEntry.product_id, PriceListEntry.unit_price).where(
        PriceListEntry.price_list_id == price_list_id, PriceListEntry.product_id.in_(product_ids)))
    return {product_id: price for product_id, price in rows}


def set_price(session: Session, actor: Viewer, price_list_id: int, product_id: str,
              unit_price: str) -> PriceListEntry:
    """Add a product to a list, or change its price there."""
    _require_admin(actor)
    get_price_list(session, price_list_id)
    check = Checker()
    found = parse_id(product_id)
    product = session.get(Product, found) if found is not None else None
    if product is None:
        check.problem("product_id", Phrase("choose a product"))
    price = check.money("unit_price", unit_price)
    check.done()
    assert product is not None and price is not None  # done() raised otherwise
    entry = session.get(PriceListEntry, (price_list_id, product.id))
    if entry is None:
        entry = PriceListEntry(price_list_id=price_list_id, product_id=product.id, unit_price=price)
        session.add(entry)
    entry.unit_price = price
    session.flush()
    return entry


def remove_price(session: Session, actor: Viewer, price_list_id: int, product_id: int) -> None:
    """Take a product off a list; quotes already made keep the price they were given."""
    _require_admin(actor)
    entry = session.get(PriceListEntry, (price_list_id, product_id))
    if entry is None:
        raise NotFound(Phrase("This price does not exist"))
    session.delete(entry)
    session.flush()


def _price_list_values(session: Session, data: PriceListInput, before: PriceList | None) -> dict[str, object]:
    """Name unique; the default stays the default (until another takes over) and active."""
    check = Checker()
    name = check.text("name", data.name, 120, required=True)
    taken = exists().where(PriceList.name == name, PriceList.id != (before.id if before else 0))
    if name and session.scalar(select(taken)):
        check.problem("name", Phrase("is already used by another price list"))
    was_default = before is not None and before.is_default
    if was_default and not data.is_default:
        check.problem("is_default", Phrase("one price list is always the default; make another one the "
                                           "default instead"))
    if (was_default or data.is_default) and not data.active:
        check.problem("active", Phrase("the default price list must stay active"))
    check.done()
    return {"name": name, "active": data.active}


def _set_default(session: Session, price_list: PriceList, default: bool) -> None:
    if default:
        session.execute(update(PriceList).where(PriceList.id != price_list.id).values(is_default=False))
        price_list.is_default = True
        session.flush()


def _flush_unique(session: Session) -> None:
    """Two admins saving the same code or name at once: the loser is told, not shown an error page."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(Phrase("Someone else saved the same code or name a moment ago; please choose "
                              "another")) from exc


def _require_admin(actor: Viewer) -> None:
    if not actor.is_admin:
        raise PermissionDenied(Phrase("Only administrators may change products and price lists"))
