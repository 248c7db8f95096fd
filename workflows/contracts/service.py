"""Use cases for contracts: create one (from scratch or from an accepted quote), edit it
while it is a draft or sent back for revision, read it, and list them.

A contract's owner is its opportunity's owner (so the rep who runs the deal sees it), or
whoever made it when there is no opportunity; the visibility rule reads that owner, and a
contract out of sight "does not exist". Every function works in the caller's
``Session`` and never commits. Money is Decimal throughout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import uuid4

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload

from core.errors import Conflict, NotFound, reject_fields
from core.phrases import Phrase
from workflows.accounts.models import Account
from workflows.catalog.models import Product
from workflows.catalog.service import active_products_by_id
from workflows.inputs import Checker, page_window, parse_id
from workflows.opportunities.models import Opportunity, QuoteLine
from workflows.opportunities.quotes import get_quote
from workflows.org.visibility import Viewer, can_see_owner, owner_condition

from .models import STATUSES, Contract, ContractLine, ContractType
from .status import STATUS_NAMES

MAX_LINES = 50
MAX_QUANTITY = 1_000_000
MAX_PER_PAGE = 100
ZERO = Decimal("0.00")
Owned = TypeVar("Owned", Account, Opportunity)


@dataclass(frozen=True)
class ContractLineInput:
    """One contract line as typed: the agreed unit price, not a list price."""

    product_id: str = ""
    quantity: str = "1"
    unit_price: str = ""

    @property
    def blank(self) -> bool:
        return not self.product_id.strip()


@dataclass(frozen=True)
class ContractInput:
    """The contract form as typed. Lines without a product are empty rows and are skipped;
    a line's problems are named ``lines-<row>-<field>``, the row counted from 0 as given."""

    account_id: str
    contract_type_id: str
    lines: Sequence[ContractLineInput]
    opportunity_id: str = ""
    signed_on: str = ""
    start_on: str = ""
    end_on: str = ""
    sales_expense: str = "0"
    cost_reserve: str = "0"
    maintenance_reserve: str = "0"
    note: str = ""


@dataclass(frozen=True)
class ContractFilter:
    """What a contract list is narrowed to; empty strings mean "any"."""

    status: str = ""
    contract_type_id: str = ""
    account_id: str = ""
    owner: str = ""


@dataclass(frozen=True)
class ContractRow:
    contract: Contract
    account_name: str


def create_contract(session: Session, actor: Viewer, data: ContractInput, now: datetime) -> Contract:
    """A draft contract on a visible account, numbered C-<year>-<id>."""
    values, lines = _checked(session, actor, data, current_type=None)
    opportunity = values.pop("opportunity")
    owner = opportunity.owner if opportunity is not None else actor.username
    return add_contract(session, Contract(**values, opportunity_id=opportunity.id if opportunity else None,
                                  owner=owner, lines=lines), now)


def create_contract_from_quote(session: Session, actor: Viewer, quote_id: int, contract_type_id: str,
                               now: datetime) -> Contract:
    """A draft contract with the accepted quote's lines, at the prices agreed in it (each
    line's discount already taken off), for the opportunity's account and owner."""
    quote = get_quote(session, actor, quote_id)
    if quote.status != "accepted":
        raise Conflict(Phrase("Only an accepted quote becomes a contract; %(number)s is not accepted",
                              number=quote.number))
    made = session.scalar(select(Contract.number).where(Contract.quote_id == quote.id,
                                                        Contract.status != "cancelled"))
    if made is not None:
        raise Conflict(Phrase("Contract %(number)s was already made from this quote", number=made))
    contract_type = _active_type(session, contract_type_id)
    if contract_type is None:
        reject_fields({"contract_type_id": Phrase("choose an active contract type")})
    assert contract_type is not None
    opportunity = session.get_one(Opportunity, quote.opportunity_id)
    contract = Contract(account_id=opportunity.account_id, opportunity_id=opportunity.id, quote_id=quote.id,
                        contract_type_id=contract_type.id, owner=opportunity.owner, sales_expense=ZERO,
                        cost_reserve=ZERO, maintenance_reserve=ZERO,
                        lines=[_copied(line) for line in quote.lines])
    return add_contract(session, contract, now)


def update_contract(session: Session, actor: Viewer, contract_id: int, data: ContractInput,
                    now: datetime) -> Contract:
    """Replace the type, lines, dates, cost side and note; the account and opportunity stay.
    Once submitted the figures are what the approvers decide on, so they no longer change."""
    contract = get_contract(session, actor, contract_id, for_update=True)
    if not contract.editable:
        raise Conflict(Phrase("Only a draft or a contract sent back for revision can be edited; "
                              "%(number)s is %(status)s", number=contract.number,
                              status=STATUS_NAMES[contract.status]))
    fixed = replace(data, account_id=str(contract.account_id),
                    opportunity_id=str(contract.opportunity_id or ""))
    values, lines = _checked(session, actor, fixed, current_type=contract.contract_type_id)
    values.pop("opportunity")
    for name, value in values.items():
        setattr(contract, name, value)
    contract.lines.clear()
    session.flush()  # the old lines go before the new ones take their positions
    contract.lines.extend(lines)
    contract.updated_at = now
    session.flush()
    return contract


def get_contract(session: Session, viewer: Viewer, contract_id: int, *, for_update: bool = False) -> Contract:
    """The contract, if the viewer may see it; otherwise it "does not exist". ``for_update``
    holds the row until commit, so an edit and a submission never cross."""
    query = select(Contract).where(Contract.id == contract_id)
    if for_update:
        query = query.with_for_update(of=Contract).execution_options(populate_existing=True)
    contract = session.scalars(query).first()
    if contract is None or not can_see_owner(session, viewer, contract.owner):
        raise NotFound(Phrase("This contract does not exist"))
    return contract


def list_contracts(session: Session, viewer: Viewer, where: ContractFilter, page: int = 1,
                   per_page: int = 25) -> tuple[list[ContractRow], int]:
    """One page of the contracts the viewer may see, newest first, with the total count."""
    limit, offset = page_window(page, per_page, MAX_PER_PAGE)
    conditions = [owner_condition(viewer, Contract.owner), *_filter_conditions(where)]
    total = session.scalar(select(func.count()).select_from(Contract).where(*conditions)) or 0
    rows = session.execute(select(Contract, Account.name).join(Account, Account.id == Contract.account_id)
                           .where(*conditions).options(selectinload(Contract.lines))
                           .order_by(Contract.id.desc()).limit(limit).offset(offset))
    return [ContractRow(contract, name) for contract, name in rows], total


def contracts_where(session: Session, viewer: Viewer, *conditions: ColumnElement[bool],
                    limit: int = MAX_PER_PAGE) -> list[Contract]:
    """Visible contracts matching ``conditions`` (say, of one opportunity), newest first."""
    return list(session.scalars(select(Contract).where(owner_condition(viewer, Contract.owner), *conditions)
                                .options(selectinload(Contract.lines)).order_by(Contract.id.desc()).limit(limit)))


def add_contract(session: Session, contract: Contract, now: datetime) -> Contract:
    """Save a new draft numbered C-<year>-<id>."""
    # The number is made from the id, so it is unique without a counter to race on.
    contract.number, contract.status = f"new-{uuid4().hex}", "draft"
    contract.created_at = contract.updated_at = now
    session.add(contract)
    session.flush()
    contract.number = f"C-{now.year}-{contract.id:05d}"
    session.flush()
    return contract


def _copied(line: QuoteLine) -> ContractLine:
    """A quote line at its discounted price. When that price does not divide into whole
    cents per unit, the line is kept whole (quantity 1, its total) so the contract's
    revenue is exactly the quote's total."""
    unit_price, quantity, description = line.total / line.quantity, line.quantity, line.description
    if unit_price != unit_price.quantize(ZERO):
        unit_price, quantity, description = line.total, 1, f"{line.description} × {line.quantity}"
    return ContractLine(position=line.position, product_id=line.product_id, description=description[:300],
                        quantity=quantity, unit_price=unit_price.quantize(ZERO))


def _filter_conditions(where: ContractFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if where.status in STATUSES:
        conditions.append(Contract.status == where.status)
    for column, raw in ((Contract.contract_type_id, where.contract_type_id),
                        (Contract.account_id, where.account_id)):
        if (wanted := parse_id(raw)) is not None:
            conditions.append(column == wanted)
    if owner := where.owner.strip().lower():
        conditions.append(Contract.owner == owner)
    return conditions


# --- checks -----------------------------------------------------------------------------


def _checked(session: Session, actor: Viewer, data: ContractInput, current_type: int | None
             ) -> tuple[dict[str, Any], list[ContractLine]]:
    """Every field checked at once; the values ready to set on the row, and the lines."""
    check = Checker()
    account = _visible(session, actor, Account, data.account_id)
    if account is None:
        check.problem("account_id", Phrase("choose an account you can see"))
    contract_type = _active_type(session, data.contract_type_id, keep=current_type)
    if contract_type is None:
        check.problem("contract_type_id", Phrase("choose an active contract type"))
    opportunity = _visible(session, actor, Opportunity, data.opportunity_id)
    if data.opportunity_id.strip() and (opportunity is None or account is None
                                        or opportunity.account_id != account.id):
        check.problem("opportunity_id", Phrase("choose an opportunity of this account"))
    values: dict[str, Any] = {
        "account_id": account.id if account else None, "opportunity": opportunity,
        "contract_type_id": contract_type.id if contract_type else None,
        "signed_on": check.date("signed_on", data.signed_on),
        "start_on": check.date("start_on", data.start_on), "end_on": check.date("end_on", data.end_on),
        "sales_expense": check.money("sales_expense", data.sales_expense or "0"),
        "cost_reserve": check.money("cost_reserve", data.cost_reserve or "0"),
        "maintenance_reserve": check.money("maintenance_reserve", data.maintenance_reserve or "0"),
        "note": check.text("note", data.note, 5000),
    }
    if values["start_on"] and values["end_on"] and values["end_on"] < values["start_on"]:
        check.problem("end_on", Phrase("cannot be before the start date"))
    lines = _lines(session, check, data.lines)
    check.done()
    return values, lines


def _lines(session: Session, check: Checker, given: Sequence[ContractLineInput]) -> list[ContractLine]:
    rows = [(row, line) for row, line in enumerate(given) if not line.blank]
    if not rows:
        check.problem("lines", Phrase("add at least one product"))
    if len(rows) > MAX_LINES:
        check.problem("lines", Phrase("a contract has at most %(count)s lines", count=MAX_LINES))
    products = active_products_by_id(session, (parse_id(line.product_id) for _, line in rows))
    return [_line(check, f"lines-{row}-", position, line, products)
            for position, (row, line) in enumerate(rows, start=1)]


def _line(check: Checker, prefix: str, position: int, line: ContractLineInput,
          products: dict[int, Product]) -> ContractLine:
    product = products.get(parse_id(line.product_id) or 0)
    if product is None:
        check.problem(f"{prefix}product_id", Phrase("choose an active product"))
    quantity = check.whole(f"{prefix}quantity", line.quantity, 1, MAX_QUANTITY)
    price = check.money(f"{prefix}unit_price", line.unit_price)
    return ContractLine(position=position, product_id=product.id if product else 0,
                        description=product.name if product else "", quantity=quantity or 0,
                        unit_price=price or ZERO)


def _active_type(session: Session, raw_id: str, keep: int | None = None) -> ContractType | None:
    """An active contract type, or the one a contract already has (even if since retired)."""
    type_id = parse_id(raw_id)
    found = session.get(ContractType, type_id) if type_id is not None else None
    return found if found is not None and (found.active or found.id == keep) else None


def _visible(session: Session, actor: Viewer, model: type[Owned], raw_id: str) -> Owned | None:
    row_id = parse_id(raw_id)
    row = session.get(model, row_id) if row_id is not None else None
    return row if row is not None and can_see_owner(session, actor, row.owner) else None


def opportunity_choices(session: Session, viewer: Viewer, account_id: int) -> list[tuple[int, str]]:
    """(id, name) of the account's visible opportunities, for the contract form's picker."""
    return [(row.id, row.name) for row in session.execute(
        select(Opportunity.id, Opportunity.name).where(Opportunity.account_id == account_id,
                                                       owner_condition(viewer, Opportunity.owner))
        .order_by(Opportunity.name, Opportunity.id).limit(MAX_PER_PAGE * 5))]
