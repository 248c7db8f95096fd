"""Quotes on SQLite and PostgreSQL: prices from the list, Decimal totals, statuses, one accepted."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bootstrap import Container
from core.errors import Conflict, NotFound
from tests.deals import add_deal
from tests.usecases import refused, run
from workflows.accounts.models import Account
from workflows.catalog.demo import STANDARD, load_demo_catalog
from workflows.catalog.models import PriceList, Product
from workflows.opportunities import quotes
from workflows.opportunities.models import BusinessType, Quote, QuoteLine
from workflows.opportunities.quotes import LineInput, QuoteInput


@pytest.fixture
def deal(container: Container, clock, demo) -> dict[str, int]:
    """wang.fang's open deal on ACME, the demo catalogue, and the ids tests need."""
    with container.uow() as uow:
        load_demo_catalog(uow.session)
        acme = Account(name="ACME", owner="wang.fang", created_at=clock.now(), updated_at=clock.now())
        kind = BusinessType(name="Standard sale", process_key="standard_sale")
        uow.session.add_all([acme, kind])
        uow.session.flush()
        fields = {"account_id": acme.id, "business_type_id": kind.id, "owner": "wang.fang",
                  "amount": Decimal("300000"), "created_at": clock.now(), "updated_at": clock.now()}
        ids = {"open": add_deal(uow.session, name="40 AGVs", **fields),
               "lost": add_deal(uow.session, name="Lost deal", status="lost", **fields)}
        codes = {code: i for code, i in uow.session.execute(select(Product.code, Product.id))}
        ids |= {"agv": codes["AGV-L500"], "install": codes["SVC-INSTALL"],
                "list": uow.session.scalars(select(PriceList.id).where(PriceList.name == STANDARD)).one()}
        uow.commit()
    return ids


def quote_input(deal: dict[str, int], *lines: LineInput, **fields: str) -> QuoteInput:
    given = lines or (LineInput(str(deal["agv"]), "2", "", "10"), LineInput(str(deal["install"]), "5"))
    return QuoteInput(price_list_id=str(deal["list"]), lines=given, **fields)


def new_quote(container: Container, viewer, deal, *lines: LineInput, **fields: str) -> Quote:
    return run(container, quotes.create_quote, viewer, deal["open"], quote_input(deal, *lines, **fields),
               container.engine.clock.now())


def test_a_quote_takes_its_prices_from_the_list_and_adds_up_in_decimal(container, as_, deal):
    quote = new_quote(container, as_("wang.fang"), deal, valid_until="2026-02-28")
    assert quote.number == f"Q-2026-{quote.id:05d}" and quote.status == "draft"
    with container.session_factory() as session:
        saved = session.get_one(Quote, quote.id)
        lines = [(line.position, line.quantity, line.unit_price, line.discount_percent, line.total)
                 for line in saved.lines]
        assert lines == [(1, 2, Decimal("168000.00"), 10, Decimal("302400.00")),
                         (2, 5, Decimal("2500.00"), 0, Decimal("12500.00"))]
        assert saved.total == Decimal("314900.00") and saved.valid_until == date(2026, 2, 28)


def test_a_typed_price_wins_and_empty_rows_are_skipped(container, as_, deal):
    quote = new_quote(container, as_("wang.fang"), deal, LineInput(), LineInput(str(deal["agv"]), "3", "99.99", "33"),
                      LineInput())
    with container.session_factory() as session:
        [line] = session.get_one(Quote, quote.id).lines
        assert (line.position, line.total) == (1, Decimal("200.98"))  # 299.97 less 33%, to the cent


def test_every_bad_line_field_is_named_by_its_row_and_nothing_is_saved(container, as_, deal):
    lines = (LineInput(str(deal["agv"]), "0", "-5", "101"), LineInput(), LineInput("999999", "1.5"))
    problems = refused(container, quotes.create_quote, as_("wang.fang"), deal["open"],
                       QuoteInput(price_list_id="", lines=lines, valid_until="2026-01-01"),
                       container.engine.clock.now())
    assert set(problems) == {"price_list_id", "valid_until", "lines-0-quantity", "lines-0-unit_price",
                             "lines-0-discount_percent", "lines-2-product_id", "lines-2-quantity"}
    assert problems["lines-0-quantity"] == "must be a whole number from 1 to 1000000"
    assert refused(container, quotes.create_quote, as_("wang.fang"), deal["open"],
                   QuoteInput(price_list_id=str(deal["list"]), lines=[LineInput()]),
                   container.engine.clock.now()) == {"lines": "add at least one product"}
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Quote)) == 0


def test_a_product_without_a_list_price_needs_one_typed(container, as_, deal, clock):
    with container.uow() as uow:
        product = Product(code="NEW", name="New thing", unit="个", active=True)
        uow.session.add(product)
        uow.commit()
    assert refused(container, quotes.create_quote, as_("wang.fang"), deal["open"],
                   quote_input(deal, LineInput(str(product.id), "1")), clock.now()) == {
        "lines-0-unit_price": "this price list has no price for it; enter one"}


def test_quotes_are_seen_by_whoever_sees_the_opportunity(container, as_, deal):
    quote = new_quote(container, as_("wang.fang"), deal)
    for username in ("zhang.wei", "sun.li"):
        viewer = as_(username)
        with container.session_factory() as session, pytest.raises(NotFound):
            quotes.get_quote(session, viewer, quote.id)
        with pytest.raises(NotFound):
            run(container, quotes.create_quote, viewer, deal["open"], quote_input(deal),
                container.engine.clock.now())
    manager = as_("liu.yang")
    with container.session_factory() as session:
        assert quotes.get_quote(session, manager, quote.id).number == quote.number
        assert [q.id for q in quotes.quotes_of(session, manager, deal["open"])] == [quote.id]


def test_a_closed_opportunity_takes_no_new_quote(container, as_, deal):
    with pytest.raises(Conflict, match="closed"):
        run(container, quotes.create_quote, as_("wang.fang"), deal["lost"], quote_input(deal),
            container.engine.clock.now())


def test_only_a_draft_is_edited_and_its_lines_are_replaced(container, as_, deal, clock):
    rep = as_("wang.fang")
    quote = new_quote(container, rep, deal)
    edited = run(container, quotes.update_quote, rep, quote.id,
                 quote_input(deal, LineInput(str(deal["install"]), "4")), clock.now())
    assert edited.total == Decimal("10000.00")
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(QuoteLine)) == 1
    run(container, quotes.mark_quote, rep, quote.id, "sent")
    with pytest.raises(Conflict, match="draft"):
        run(container, quotes.update_quote, rep, quote.id, quote_input(deal), clock.now())


def test_statuses_move_forward_and_only_one_quote_is_accepted(container, as_, deal):
    rep = as_("wang.fang")
    first, second = new_quote(container, rep, deal), new_quote(container, rep, deal)
    assert first.number != second.number
    for quote in (first, second):
        run(container, quotes.mark_quote, rep, quote.id, "sent")
    assert run(container, quotes.mark_quote, rep, first.id, "accepted").status == "accepted"
    with pytest.raises(Conflict) as caught:
        run(container, quotes.mark_quote, rep, second.id, "accepted")
    assert str(caught.value) == (f"Quote {first.number} is already accepted for this opportunity; only one "
                                 "quote per opportunity can be accepted")
    with pytest.raises(Conflict, match="no longer change"):
        run(container, quotes.mark_quote, rep, first.id, "rejected")
    with pytest.raises(Conflict, match="earlier status"):
        run(container, quotes.mark_quote, rep, second.id, "draft")
    assert refused(container, quotes.mark_quote, rep, second.id, "won") == {
        "status": "is not one of the allowed values"}
    assert run(container, quotes.mark_quote, rep, second.id, "rejected").status == "rejected"


def test_two_people_accepting_different_quotes_at_once_leave_one_accepted(container, as_, deal):
    rep, manager = as_("wang.fang"), as_("liu.yang")
    ids = [new_quote(container, rep, deal).id for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(viewer, quote_id: int) -> None:
        with container.uow() as uow:
            barrier.wait()
            try:
                quotes.mark_quote(uow.session, viewer, quote_id, "accepted")
                uow.commit()
                outcomes.append("accepted")
            except Conflict:
                outcomes.append("refused")

    threads = [threading.Thread(target=accept, args=args) for args in ((rep, ids[0]), (manager, ids[1]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["accepted", "refused"]
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).where(Quote.status == "accepted")) == 1
