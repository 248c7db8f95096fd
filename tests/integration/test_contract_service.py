"""Contracts on SQLite and PostgreSQL: made from scratch or an accepted quote, locked once
submitted, scoped by visibility, with a collection plan that adds up to the revenue."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bootstrap import Container
from core.errors import Conflict, NotFound, PermissionDenied
from tests.contracts import contract_input, new_contract
from tests.usecases import refused, run
from workflows.accounts.demo import load_demo_accounts
from workflows.catalog.demo import load_demo_catalog
from workflows.contracts import plan, service, status, types
from workflows.contracts.demo import load_demo_contracts
from workflows.contracts.models import Collection, Contract
from workflows.contracts.plan import CollectionInput, InstalmentInput
from workflows.contracts.service import ContractFilter, ContractLineInput
from workflows.opportunities import quotes
from workflows.opportunities.quotes import LineInput, QuoteInput


def accepted_quote(container: Container, viewer, world, *lines: LineInput) -> int:
    data = QuoteInput(price_list_id=str(world["list"]), lines=lines)
    quote = run(container, quotes.create_quote, viewer, world["deal"], data, container.engine.clock.now())
    run(container, quotes.mark_quote, viewer, quote.id, "accepted")
    return quote.id


def move(container: Container, contract_id: int, *moves) -> None:
    """Apply status transitions the way the approval routing will."""
    with container.uow() as uow:
        contract = uow.session.get_one(Contract, contract_id)
        for mark in moves:
            mark(contract, container.engine.clock.now())
        uow.commit()


def test_a_contract_from_scratch_derives_its_figures_in_decimal(container, as_, world):
    contract = new_contract(container, as_("wang.fang"), world, sales_expense="12000", cost_reserve="200000.50",
                            maintenance_reserve="", start_on="2026-02-01", end_on="2027-01-31")
    assert contract.number == f"C-2026-{contract.id:05d}" and contract.status == "draft"
    with container.session_factory() as session:
        saved = session.get_one(Contract, contract.id)
        result = saved.figures
        assert (result.revenue, result.costs, result.gross_margin, result.margin) == (
            Decimal("300000.00"), Decimal("212000.50"), Decimal("87999.50"), Decimal("0.2933"))
        assert saved.owner == "wang.fang" and saved.lines[0].description.startswith("潜伏式AGV")


def test_an_accepted_quote_becomes_a_contract_with_its_discounted_lines(container, as_, world):
    rep = as_("wang.fang")
    quote_id = accepted_quote(container, rep, world, LineInput(str(world["agv"]), "2", "", "10"),
                              LineInput(str(world["install"]), "3", "99.99", "33"))
    contract = run(container, service.create_contract_from_quote, rep, quote_id, str(world["type"]),
                   container.engine.clock.now())
    with container.session_factory() as session:
        saved = session.get_one(Contract, contract.id)
        lines = [(line.position, line.quantity, line.unit_price, line.description[-4:]) for line in saved.lines]
        # 168000 less 10% divides into whole cents; 3 × 99.99 less 33% (200.98) does not, so it stays whole
        assert lines == [(1, 2, Decimal("151200.00"), "0 kg"), (2, 1, Decimal("200.98"), " × 3")]
        assert saved.figures.revenue == Decimal("302600.98")  # exactly the quote's total
        assert (saved.opportunity_id, saved.account_id, saved.quote_id) == (world["deal"], world["acme"], quote_id)
    with pytest.raises(Conflict, match="already made from this quote"):
        run(container, service.create_contract_from_quote, rep, quote_id, str(world["type"]),
            container.engine.clock.now())


def test_only_an_accepted_quote_becomes_a_contract(container, as_, world):
    rep = as_("wang.fang")
    data = QuoteInput(price_list_id=str(world["list"]), lines=(LineInput(str(world["agv"]), "1"),))
    draft = run(container, quotes.create_quote, rep, world["deal"], data, container.engine.clock.now())
    with pytest.raises(Conflict, match="is not accepted"):
        run(container, service.create_contract_from_quote, rep, draft.id, str(world["type"]),
            container.engine.clock.now())
    with pytest.raises(NotFound):
        run(container, service.create_contract_from_quote, as_("sun.li"), draft.id, str(world["type"]),
            container.engine.clock.now())


def test_every_bad_field_is_named_and_nothing_is_saved(container, as_, world):
    lines = (ContractLineInput(str(world["agv"]), "0", "-1"), ContractLineInput(), ContractLineInput("999999", "2"))
    problems = refused(container, service.create_contract, as_("wang.fang"),
                       contract_input(world, *lines, account_id=str(world["westlake"]), contract_type_id="x",
                                      start_on="2026-05-01", end_on="2026-04-30", sales_expense="1.234"),
                       container.engine.clock.now())
    assert set(problems) == {"account_id", "contract_type_id", "end_on", "sales_expense", "lines-0-quantity",
                             "lines-0-unit_price", "lines-2-product_id", "lines-2-unit_price"}
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Contract)) == 0


def test_a_submitted_contract_cannot_be_edited_until_it_is_sent_back(container, as_, world):
    rep = as_("wang.fang")
    contract = new_contract(container, rep, world)
    move(container, contract.id, status.mark_submitted)
    changed = contract_input(world, ContractLineInput(str(world["agv"]), "1", "1.00"))
    with pytest.raises(Conflict, match="is submitted for approval"):
        run(container, service.update_contract, rep, contract.id, changed, container.engine.clock.now())
    move(container, contract.id, status.mark_rejected)
    run(container, service.update_contract, rep, contract.id, changed, container.engine.clock.now())
    with container.session_factory() as session:
        assert session.get_one(Contract, contract.id).figures.revenue == Decimal("1.00")


def test_illegal_status_moves_are_refused(container, as_, world):
    contract = new_contract(container, as_("wang.fang"), world)
    with pytest.raises(Conflict, match="is draft; it cannot make this move"):
        move(container, contract.id, status.mark_active)
    move(container, contract.id, status.mark_submitted, status.mark_active)
    for mark in (status.mark_submitted, status.mark_rejected, status.mark_cancelled):
        with pytest.raises(Conflict):
            move(container, contract.id, mark)
    with container.session_factory() as session:
        saved = session.get_one(Contract, contract.id)
        assert saved.status == "active" and saved.submitted_at and saved.activated_at


def test_another_teams_rep_does_not_see_the_contract_and_lists_are_scoped(container, as_, world):
    mine = new_contract(container, as_("wang.fang"), world)
    theirs = new_contract(container, as_("sun.li"), world, account_id=str(world["westlake"]))
    rep, manager, admin = as_("wang.fang"), as_("liu.yang"), as_("admin")
    strangers = [as_("sun.li"), as_("zhang.wei")]
    with container.session_factory() as session:
        for stranger in strangers:
            with pytest.raises(NotFound):
                service.get_contract(session, stranger, mine.id)

        def numbers(viewer, **where: str) -> list[str]:
            rows, total = service.list_contracts(session, viewer, ContractFilter(**where))
            assert total == len(rows)
            return [row.contract.number for row in rows]
        assert numbers(rep) == [mine.number]
        assert numbers(manager) == [mine.number]  # the team's manager
        assert numbers(admin) == [theirs.number, mine.number]
        assert numbers(admin, account_id=str(world["westlake"])) == [theirs.number]
        assert numbers(admin, status="active") == []


def test_instalments_must_add_up_to_the_revenue(container, as_, world):
    rep = as_("wang.fang")
    contract = new_contract(container, rep, world)
    rows = [InstalmentInput("2026-03-01", "90000"), InstalmentInput("2026-02-01", "200000")]
    with pytest.raises(Conflict, match="is not active"):
        run(container, plan.plan_instalments, rep, contract.id, rows)
    move(container, contract.id, status.mark_submitted, status.mark_active)
    problems = refused(container, plan.plan_instalments, rep, contract.id, rows)
    assert problems == {"instalments-1-amount": "the plan adds up to 290000.00, not the revenue of 300000.00: "
                                                "this amount would have to be 210000.00"}
    problems = refused(container, plan.plan_instalments, rep, contract.id,
                       [InstalmentInput("", "0"), InstalmentInput("2026-13-01", "1")])
    assert set(problems) == {"instalments-0-due_on", "instalments-0-amount", "instalments-1-due_on"}
    saved = run(container, plan.plan_instalments, rep, contract.id, [*rows[:1], InstalmentInput("2026-02-01",
                                                                                                "210000")])
    assert [(i.position, i.due_on, i.amount) for i in saved] == [
        (1, date(2026, 2, 1), Decimal("210000.00")), (2, date(2026, 3, 1), Decimal("90000.00"))]


def test_collections_reduce_what_is_outstanding_and_cannot_exceed_it(container, as_, world, clock):
    rep = as_("wang.fang")
    contract = new_contract(container, rep, world)
    move(container, contract.id, status.mark_submitted, status.mark_active)
    first, second = run(container, plan.plan_instalments, rep, contract.id,
                        [InstalmentInput("2026-02-01", "100000"), InstalmentInput("2026-06-01", "200000")])
    today = clock.now().date().isoformat()
    run(container, plan.record_collection, rep, first.id, CollectionInput("60000", today), clock.now())
    problems = refused(container, plan.record_collection, rep, first.id, CollectionInput("40000.01", today),
                       clock.now())
    assert problems == {"amount": "is more than the 40000.00 still outstanding on this instalment"}
    tomorrow = (clock.now().date() + timedelta(days=1)).isoformat()
    assert set(refused(container, plan.record_collection, rep, first.id, CollectionInput("0", tomorrow),
                       clock.now())) == {"amount", "received_on"}
    run(container, plan.record_collection, rep, first.id, CollectionInput("40000", today, "wire"), clock.now())
    with pytest.raises(NotFound):
        run(container, plan.record_collection, as_("sun.li"), second.id, CollectionInput("1", today), clock.now())
    with container.session_factory() as session:
        saved = session.get_one(Contract, contract.id)
        result = plan.collection_plan(session, saved)
        assert [i.outstanding for i in result.instalments] == [Decimal("0.00"), Decimal("200000.00")]
        assert result.outstanding == Decimal("200000.00") and len(result.collections) == 2
        assert not result.replaceable
        assert session.scalar(select(func.sum(Collection.amount))) is not None
    with pytest.raises(Conflict, match="can no longer be replaced"):
        run(container, plan.plan_instalments, rep, contract.id, [InstalmentInput("2026-02-01", "300000")])


def test_only_admins_manage_contract_types_and_the_process_must_be_deployed(container, as_, world):
    with pytest.raises(PermissionDenied):
        run(container, types.save_contract_type, as_("liu.yang"), None, "Service", "contract_approval", True)
    problems = refused(container, types.save_contract_type, as_("admin"), None, "Product sale", "nope", True)
    assert set(problems) == {"name", "approval_process_key"}


def test_the_demo_contracts_load_once_with_their_types(container, clock, demo):
    for _ in range(2):
        with container.uow() as uow:
            load_demo_catalog(uow.session)
            load_demo_accounts(uow.session, clock.now())
            load_demo_contracts(uow.session, clock.now())
            uow.commit()
    with container.session_factory() as session:
        assert [t.approval_process_key for t in types.contract_types(session)] == ["contract_approval"] * 2
        drafts = session.scalars(select(Contract).order_by(Contract.id)).all()
        assert [(c.status, c.owner, c.figures.margin) for c in drafts] == [
            ("draft", "wang.fang", Decimal("0.2990")), ("draft", "wang.fang", Decimal("0.3889"))]
