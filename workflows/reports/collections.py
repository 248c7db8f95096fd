"""Collections (回款): what fell due, what was received and what is overdue in a period, per
team or rep, and the contracts with money overdue, oldest first, each to follow up.

Due dates and receipt dates are calendar days, so a period is a plain range of dates; what
is overdue is decided against the reader's own today. In the period means: instalments
due in it, money received in it, and of the instalments due in it those past their day
with money still outstanding. Every figure is summed in SQL over the ``due_on`` index and
the ``collected`` column each instalment keeps current, never over collections one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Subquery, func, literal_column, select, union_all
from sqlalchemy.orm import Session

from core.phrases import Phrase
from workflows.accounts.models import Account
from workflows.contracts.models import Collection, Contract, Instalment
from workflows.inputs import page_window
from workflows.org.models import OrgUnit, User
from workflows.org.recipients import display_names
from workflows.org.visibility import Viewer

from .contracts import MoneyFilter, cents, money
from .scope import ReportScope
from .table import Column, Table

COLLECTIONS_BY = ("team", "rep")
MAX_PER_PAGE = 10_000  # a download takes the whole list at once, up to this many contracts
NOTES = (Phrase("Due: instalments falling due in the period. Received: money recorded as received in "
                "the period. Overdue: what is still outstanding of the instalments due in the period "
                "whose day has passed."),)


@dataclass(frozen=True)
class OverdueList:
    """One page of the contracts with money overdue; ``contract_ids`` follow the table's rows."""

    table: Table
    contract_ids: list[int]
    total: int


def collections_report(session: Session, viewer: Viewer, scope: ReportScope, f: MoneyFilter,
                       today: date) -> Table:
    """Due, received and overdue per team (the unit each contract's owner belongs to) or per rep."""
    per_owner = _per_owner(viewer, scope, f, today)
    sums = (func.sum(per_owner.c.due_count), func.sum(per_owner.c.due), func.sum(per_owner.c.received),
            func.sum(per_owner.c.overdue_count), func.sum(per_owner.c.overdue))
    if f.by == "team":
        query = (select(OrgUnit.name, *sums).select_from(per_owner)
                 .outerjoin(User, User.username == per_owner.c.owner)
                 .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id).group_by(OrgUnit.id, OrgUnit.name))
    else:
        query = select(per_owner.c.owner, *sums).group_by(per_owner.c.owner)
    found = session.execute(query.order_by(sums[1].desc(), sums[4].desc())).all()
    names = display_names(session, (row[0] for row in found)) if f.by == "rep" else {}
    rows = [(names.get(name, name) if f.by == "rep" else name or Phrase("No team"), int(due_count),
             money(due), money(received), int(overdue_count), money(overdue))
            for name, due_count, due, received, overdue_count, overdue in found]
    totals = (Phrase("Total"), sum(row[1] for row in rows), _sum(rows, 2), _sum(rows, 3),
              sum(row[4] for row in rows), _sum(rows, 5))
    return Table(columns=(Column(f.by, Phrase("Team") if f.by == "team" else Phrase("Rep")),
                          Column("due_count", Phrase("Instalments due"), "count"),
                          Column("due", Phrase("Due"), "money"),
                          Column("received", Phrase("Received"), "money"),
                          Column("overdue_count", Phrase("Instalments overdue"), "count"),
                          Column("overdue", Phrase("Overdue"), "money")),
                 rows=rows, totals=totals, notes=NOTES)


def overdue_contracts(session: Session, viewer: Viewer, scope: ReportScope, f: MoneyFilter, today: date,
                      page: int = 1, per_page: int = 50) -> OverdueList:
    """The contracts with money overdue from instalments due in the period, the longest overdue
    first; the totals row counts every page."""
    limit, offset = page_window(page, per_page, MAX_PER_PAGE)
    where = (*_visible(viewer, scope), *_overdue(f, today))
    oldest = func.min(Instalment.due_on)
    found = session.execute(
        select(Contract.id, Contract.number, Account.name, Contract.owner, func.count(), oldest,
               func.sum(_outstanding()))
        .select_from(Instalment).join(Contract, Contract.id == Instalment.contract_id)
        .join(Account, Account.id == Contract.account_id).where(*where)
        .group_by(Contract.id, Contract.number, Account.name, Contract.owner)
        .order_by(oldest, Contract.id).limit(limit).offset(offset)).all()
    contracts, instalments, amount = session.execute(
        select(func.count(Instalment.contract_id.distinct()), func.count(), func.sum(_outstanding()))
        .select_from(Instalment).join(Contract, Contract.id == Instalment.contract_id).where(*where)).one()
    names = display_names(session, (row[3] for row in found))
    rows = [(number, account, names.get(owner, owner), count, due_on, (today - due_on).days,
             money(outstanding)) for _id, number, account, owner, count, due_on, outstanding in found]
    table = Table(columns=(Column("contract", Phrase("Contract")), Column("account", Phrase("Account")),
                           Column("owner", Phrase("Owner")),
                           Column("instalments", Phrase("Instalments overdue"), "count"),
                           Column("due_on", Phrase("Oldest due date"), "date"),
                           Column("days", Phrase("Days overdue"), "count"),
                           Column("overdue", Phrase("Overdue"), "money")),
                  rows=rows, totals=(Phrase("Total"), None, None, instalments, None, None, money(amount)),
                  notes=NOTES)
    return OverdueList(table, [row[0] for row in found], contracts)


def _per_owner(viewer: Viewer, scope: ReportScope, f: MoneyFilter, today: date) -> Subquery:
    """Per contract owner: instalments and amount due, received, instalments and amount overdue;
    three grouped selects stacked, so each reads its own index and none multiplies another."""
    zero: ColumnElement[int] = literal_column("0")
    visible = _visible(viewer, scope)
    due = (select(Contract.owner.label("owner"), func.count().label("due_count"),
                  func.sum(cents(Instalment.amount)).label("due"), zero.label("received"),
                  zero.label("overdue_count"), zero.label("overdue"))
           .select_from(Instalment).join(Contract, Contract.id == Instalment.contract_id)
           .where(*visible, Instalment.due_on.between(f.since, f.until)).group_by(Contract.owner))
    received = (select(Contract.owner, zero, zero, func.sum(cents(Collection.amount)), zero, zero)
                .select_from(Collection).join(Instalment, Instalment.id == Collection.instalment_id)
                .join(Contract, Contract.id == Instalment.contract_id)
                .where(*visible, Collection.received_on.between(f.since, f.until)).group_by(Contract.owner))
    overdue = (select(Contract.owner, zero, zero, zero, func.count(), func.sum(_outstanding()))
               .select_from(Instalment).join(Contract, Contract.id == Instalment.contract_id)
               .where(*visible, *_overdue(f, today)).group_by(Contract.owner))
    return union_all(due, received, overdue).subquery("per_owner")


def _sum(rows: list[tuple[Any, ...]], index: int) -> Decimal:
    return sum((row[index] for row in rows), money(0))


def _visible(viewer: Viewer, scope: ReportScope) -> tuple[ColumnElement[bool], ...]:
    return Contract.status == "active", scope.condition(viewer, Contract.owner)


def _overdue(f: MoneyFilter, today: date) -> tuple[ColumnElement[bool], ...]:
    """Instalments due in the period, before today, with money outstanding."""
    return (Instalment.due_on.between(f.since, f.until), Instalment.due_on < today,
            Instalment.collected < Instalment.amount)


def _outstanding() -> Any:
    return cents(Instalment.amount) - cents(Instalment.collected)
