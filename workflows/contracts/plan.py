"""The collection plan of an active contract: instalments with due dates and amounts that
add up to its revenue, and the money collected (收款) against each.

The plan is set whole, once the contract is active, and may be replaced until the first
collection is recorded. A collection locks its instalment row, so two people recording
money at once can never take it past what is outstanding. Functions work in the
caller's ``Session`` and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from core.errors import Conflict, NotFound
from core.phrases import Phrase
from workflows.inputs import Checker
from workflows.org.visibility import Viewer

from .models import Collection, Contract, Instalment
from .service import get_contract

MAX_INSTALMENTS = 60
ZERO = Decimal("0.00")
PAYMENT_TERM = timedelta(days=30)  # the plan an approved contract starts with: all of it, net 30


@dataclass(frozen=True)
class InstalmentInput:
    """One row of the plan as typed; a row with neither date nor amount is skipped. Its
    problems are named ``instalments-<row>-<field>``, the row counted from 0 as given."""

    due_on: str = ""
    amount: str = ""

    @property
    def blank(self) -> bool:
        return not self.due_on.strip() and not self.amount.strip()


@dataclass(frozen=True)
class CollectionInput:
    amount: str
    received_on: str
    note: str = ""


@dataclass(frozen=True)
class CollectionPlan:
    """The plan as the contract page shows it: what is due, collected and outstanding."""

    instalments: list[Instalment]
    collections: list[Collection]
    outstanding: Decimal

    @property
    def replaceable(self) -> bool:
        return not self.collections


def open_plan(contract: Contract, today: date) -> None:
    """Give a newly active contract its first plan: the whole revenue due in 30 days. The
    owner replaces it with the agreed instalments until money is collected."""
    if not contract.instalments:
        contract.instalments.append(Instalment(position=1, due_on=today + PAYMENT_TERM,
                                               amount=contract.figures.revenue, collected=ZERO))


def plan_instalments(session: Session, actor: Viewer, contract_id: int, rows: Sequence[InstalmentInput]
                     ) -> list[Instalment]:
    """Set the whole plan of an active contract; the amounts must add up to its revenue exactly."""
    contract = get_contract(session, actor, contract_id, for_update=True)
    if contract.status != "active":
        raise Conflict(Phrase("Contract %(number)s is not active; its collection plan is made once it is",
                              number=contract.number))
    if _has_collections(session, contract.id):
        raise Conflict(Phrase("Money has been collected on %(number)s; its plan can no longer be replaced",
                              number=contract.number))
    instalments = _checked_plan(contract, rows)
    contract.instalments.clear()
    session.flush()
    contract.instalments.extend(instalments)
    session.flush()
    return instalments


def record_collection(session: Session, actor: Viewer, instalment_id: int, data: CollectionInput,
                      now: datetime) -> Collection:
    """Money received against an instalment of a visible active contract, at most what is outstanding."""
    instalment = session.scalars(select(Instalment).where(Instalment.id == instalment_id).with_for_update()
                                 .execution_options(populate_existing=True)).first()
    if instalment is None:
        raise NotFound(Phrase("This instalment does not exist"))
    contract = get_contract(session, actor, instalment.contract_id)
    if contract.status != "active":
        raise Conflict(Phrase("Contract %(number)s is not active; it takes no collections",
                              number=contract.number))
    check = Checker()
    amount = check.money("amount", data.amount)
    if amount is not None and amount <= 0:
        check.problem("amount", Phrase("must be more than 0"))
    elif amount is not None and amount > instalment.outstanding:
        check.problem("amount", Phrase("is more than the %(outstanding)s still outstanding on this "
                                       "instalment", outstanding=instalment.outstanding))
    received_on = check.date("received_on", data.received_on, latest=now.date())
    if received_on is None and not data.received_on.strip():
        check.problem("received_on", Phrase("is required"))
    note = check.text("note", data.note, 300)
    check.done()
    assert amount is not None and received_on is not None
    collection = Collection(instalment_id=instalment.id, received_on=received_on, amount=amount,
                            recorded_by=actor.username, note=note, created_at=now)
    instalment.collected += amount
    session.add(collection)
    session.flush()
    return collection


def collection_plan(session: Session, contract: Contract) -> CollectionPlan:
    """The instalments, the collections (newest first) and the total still outstanding."""
    collections = session.scalars(select(Collection).join(Instalment)
                                  .where(Instalment.contract_id == contract.id)
                                  .order_by(Collection.received_on.desc(), Collection.id.desc())).all()
    return CollectionPlan(instalments=list(contract.instalments), collections=list(collections),
                          outstanding=sum((i.outstanding for i in contract.instalments), ZERO))


def is_overdue(instalment: Instalment, today: date) -> bool:
    return instalment.due_on < today and instalment.outstanding > 0


def _has_collections(session: Session, contract_id: int) -> bool:
    return bool(session.scalar(select(exists().where(
        Collection.instalment_id == Instalment.id, Instalment.contract_id == contract_id))))


def _checked_plan(contract: Contract, given: Sequence[InstalmentInput]) -> list[Instalment]:
    """The instalments in due-date order; a plan that does not add up to the revenue is
    refused on its last amount, saying what that amount would have to be."""
    check = Checker()
    rows = [(row, line) for row, line in enumerate(given) if not line.blank]
    if not rows:
        check.problem("instalments", Phrase("add at least one instalment"))
    if len(rows) > MAX_INSTALMENTS:
        check.problem("instalments", Phrase("a plan has at most %(count)s instalments",
                                            count=MAX_INSTALMENTS))
    planned: list[tuple[date, Decimal]] = []
    for row, line in rows:
        due_on = check.date(f"instalments-{row}-due_on", line.due_on)
        if due_on is None and not line.due_on.strip():
            check.problem(f"instalments-{row}-due_on", Phrase("is required"))
        amount = check.money(f"instalments-{row}-amount", line.amount)
        if amount is not None and amount <= 0:
            check.problem(f"instalments-{row}-amount", Phrase("must be more than 0"))
        planned.append((due_on or date.min, amount or ZERO))
    revenue = contract.figures.revenue
    total = sum((amount for _, amount in planned), ZERO)
    if rows and not check.problems and total != revenue:
        last = rows[-1][0]
        check.problem(f"instalments-{last}-amount", Phrase(
            "the plan adds up to %(total)s, not the revenue of %(revenue)s: this amount would have to be "
            "%(needed)s", total=total, revenue=revenue, needed=planned[-1][1] + revenue - total))
    check.done()
    return [Instalment(position=position, due_on=due_on, amount=amount, collected=ZERO)
            for position, (due_on, amount) in enumerate(sorted(planned, key=lambda p: p[0]), start=1)]
