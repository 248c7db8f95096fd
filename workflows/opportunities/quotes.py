"""Use cases for quotes: what we offer a customer on an opportunity, line by line.

A quote is drawn from a price list (a line's unit price defaults to the list's), edited
while it is a draft, then sent, and finally accepted or rejected. An opportunity has at
most one accepted quote: accepting locks the opportunity row, so two people accepting
different quotes at once cannot both win. Whoever may see the opportunity may see and
work its quotes; anyone else is told they do not exist. Money is Decimal throughout.
Functions work in the caller's ``Session`` and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Conflict, NotFound, reject_fields
from core.phrases import Phrase
from workflows.catalog.models import PriceList, Product
from workflows.catalog.service import active_products_by_id, prices
from workflows.inputs import Checker, parse_id
from workflows.org.visibility import Viewer, can_see_owner, owner_condition

from .models import CLOSED, Opportunity, Quote, QuoteLine
from .service import get_opportunity

MAX_LINES = 50
MAX_QUANTITY = 1_000_000
# What each status may change to; accepted and rejected are final.
NEXT_STATUSES = {"draft": ("sent", "accepted", "rejected"), "sent": ("accepted", "rejected"),
                 "accepted": (), "rejected": ()}


@dataclass(frozen=True)
class LineInput:
    """One quote line as typed; an empty unit price means "the price list's"."""

    product_id: str = ""
    quantity: str = "1"
    unit_price: str = ""
    discount_percent: str = "0"

    @property
    def blank(self) -> bool:
        return not self.product_id.strip()


@dataclass(frozen=True)
class QuoteInput:
    """The quote form as typed. Lines without a product are empty rows and are skipped;
    a line's problems are named ``lines-<row>-<field>``, the row counted from 0 as given."""

    price_list_id: str
    lines: Sequence[LineInput]
    valid_until: str = ""
    note: str = ""


def create_quote(session: Session, actor: Viewer, opportunity_id: int, data: QuoteInput,
                 now: datetime) -> Quote:
    """A draft quote on a visible, not lost or abandoned, opportunity, numbered Q-<year>-<id>."""
    opportunity = get_opportunity(session, actor, opportunity_id)
    if opportunity.status in CLOSED:
        raise Conflict(Phrase("This opportunity is closed; it takes no new quotes"))
    price_list_id, valid_until, note, lines = _checked(session, data, now)
    # The number is made from the id, so it is unique without a counter to race on.
    quote = Quote(opportunity_id=opportunity.id, number=f"new-{uuid4().hex}", status="draft",
                  price_list_id=price_list_id, valid_until=valid_until, note=note,
                  created_by=actor.username, created_at=now, lines=lines)
    session.add(quote)
    session.flush()
    quote.number = f"Q-{now.year}-{quote.id:05d}"
    session.flush()
    return quote


def update_quote(session: Session, actor: Viewer, quote_id: int, data: QuoteInput, now: datetime) -> Quote:
    """Replace a draft's price list, lines, validity and note; a sent quote is what the
    customer has, so it no longer changes."""
    quote = get_quote(session, actor, quote_id, for_update=True)
    if quote.status != "draft":
        raise Conflict(Phrase("Only a draft quote can be edited; this one was already sent or closed"))
    quote.price_list_id, quote.valid_until, quote.note, lines = _checked(session, data, now)
    quote.lines.clear()
    session.flush()  # the old lines go before the new ones take their positions
    quote.lines.extend(lines)
    session.flush()
    return quote


def mark_quote(session: Session, actor: Viewer, quote_id: int, status: str) -> Quote:
    """Move a quote on: draft → sent → accepted or rejected; only one accepted per opportunity."""
    quote = get_quote(session, actor, quote_id, for_update=True)
    if status not in NEXT_STATUSES:
        reject_fields({"status": Phrase("is not one of the allowed values")})
    if not NEXT_STATUSES[quote.status]:
        raise Conflict(Phrase("Quote %(number)s is closed; its status can no longer change",
                              number=quote.number))
    if status not in NEXT_STATUSES[quote.status]:
        raise Conflict(Phrase("Quote %(number)s cannot go back to an earlier status", number=quote.number))
    if status == "accepted":
        _lock(session, quote.opportunity_id)
        accepted = session.scalar(select(Quote.number).where(
            Quote.opportunity_id == quote.opportunity_id, Quote.status == "accepted", Quote.id != quote.id))
        if accepted is not None:
            raise Conflict(Phrase("Quote %(number)s is already accepted for this opportunity; only one "
                                  "quote per opportunity can be accepted", number=accepted))
    quote.status = status
    session.flush()
    return quote


def get_quote(session: Session, viewer: Viewer, quote_id: int, *, for_update: bool = False) -> Quote:
    """The quote, if the viewer may see its opportunity; otherwise it "does not exist".
    ``for_update`` holds the row until commit, so an edit and a status change never cross."""
    query = (select(Quote, Opportunity.owner).join(Opportunity, Opportunity.id == Quote.opportunity_id)
             .where(Quote.id == quote_id))
    if for_update:
        query = query.with_for_update(of=Quote).execution_options(populate_existing=True)
    row = session.execute(query).first()
    if row is None or not can_see_owner(session, viewer, row[1]):
        raise NotFound(Phrase("This quote does not exist"))
    return row[0]


def quotes_of(session: Session, viewer: Viewer, opportunity_id: int) -> list[Quote]:
    """An opportunity's quotes, newest first, if the viewer may see it; else none."""
    visible = select(Opportunity.id).where(Opportunity.id == opportunity_id,
                                           owner_condition(viewer, Opportunity.owner))
    return list(session.scalars(select(Quote).where(Quote.opportunity_id.in_(visible))
                                .order_by(Quote.id.desc())))


def _lock(session: Session, opportunity_id: int) -> None:
    """Hold the opportunity row until commit (PostgreSQL; SQLite already has one writer)."""
    session.execute(select(Opportunity.id).where(Opportunity.id == opportunity_id).with_for_update())


# --- checks -----------------------------------------------------------------------------


def _checked(session: Session, data: QuoteInput, now: datetime
             ) -> tuple[int, date | None, str, list[QuoteLine]]:
    """The price list, validity, note and lines, every field checked at once."""
    check = Checker()
    found = parse_id(data.price_list_id)
    price_list = session.get(PriceList, found) if found is not None else None
    if price_list is None or not price_list.active:
        check.problem("price_list_id", Phrase("choose an active price list"))
    valid_until = check.date("valid_until", data.valid_until)
    if valid_until is not None and valid_until < now.date():
        check.problem("valid_until", Phrase("cannot be in the past"))
    note = check.text("note", data.note, 5000)
    lines = _lines(session, check, data.lines, price_list.id if price_list is not None else None)
    check.done()
    assert price_list is not None
    return price_list.id, valid_until, note, lines


def _lines(session: Session, check: Checker, given: Sequence[LineInput],
           price_list_id: int | None) -> list[QuoteLine]:
    rows = [(row, line) for row, line in enumerate(given) if not line.blank]
    if not rows:
        check.problem("lines", Phrase("add at least one product"))
    if len(rows) > MAX_LINES:
        check.problem("lines", Phrase("a quote has at most %(count)s lines", count=MAX_LINES))
    products = active_products_by_id(session, [parse_id(line.product_id) for _, line in rows])
    listed = prices(session, price_list_id, products) if price_list_id is not None else {}
    return [_line(check, f"lines-{row}-", position, line, products, listed)
            for position, (row, line) in enumerate(rows, start=1)]


def _line(check: Checker, prefix: str, position: int, line: LineInput, products: dict[int, Product],
          listed: dict[int, Decimal]) -> QuoteLine:
    product = products.get(parse_id(line.product_id) or 0)
    if product is None:
        check.problem(f"{prefix}product_id", Phrase("choose an active product"))
    quantity = check.whole(f"{prefix}quantity", line.quantity, 1, MAX_QUANTITY)
    discount = check.whole(f"{prefix}discount_percent", line.discount_percent or "0", 0, 100)
    price = check.money(f"{prefix}unit_price", line.unit_price) if line.unit_price.strip() else None
    if price is None and product is not None and not line.unit_price.strip():
        price = listed.get(product.id)
        if price is None:
            check.problem(f"{prefix}unit_price", Phrase("this price list has no price for it; enter one"))
    return QuoteLine(position=position, product_id=product.id if product else 0,
                     description=product.name if product else "", quantity=quantity or 0,
                     unit_price=price or Decimal("0"), discount_percent=discount or 0)

