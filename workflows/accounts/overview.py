"""The 360° view of one account: everything about the customer on one page.

Each section is scoped by the viewer's visibility on its own: a manager sees every deal
their team runs with the customer, a rep only their own, and neither sees a task or a
history line of a deal they may not see. Sections read projection tables only (no
workflow state) and are cut at a fixed length, saying so, to keep the page fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, selectinload

from engine import HistoryEvent, HumanTask
from workflows.contracts.models import Contract
from workflows.contracts.service import contracts_where
from workflows.keys import OPPORTUNITY, business_key
from workflows.opportunities.models import Opportunity, Quote
from workflows.org.visibility import Viewer, owner_condition, visible_task_condition

from .contacts import SECTION_LIMIT, contacts_of
from .models import Account, Contact
from .service import child_accounts, get_account, visible_parent

HISTORY_LIMIT = 30


@dataclass(frozen=True)
class QuoteRow:
    quote: Quote
    opportunity_name: str


@dataclass(frozen=True)
class AccountOverview:
    account: Account
    parent: Account | None
    children: list[Account]
    contacts: list[Contact]
    contact_count: int
    opportunities: list[Opportunity]
    opportunity_count: int
    deal_names: dict[str, str]  # business key ("opportunity:42") → opportunity name
    quotes: list[QuoteRow]
    contracts: list[Contract]
    tasks: Sequence[HumanTask]
    history: Sequence[HistoryEvent]


def account_overview(session: Session, viewer: Viewer, account_id: int) -> AccountOverview:
    """The account with its group, people, deals, quotes, contracts, open tasks and latest history."""
    account = get_account(session, viewer, account_id)
    contacts, contact_count = contacts_of(session, viewer, account.id)
    deals = _visible_deals(viewer, account.id)
    names = {business_key(OPPORTUNITY, i): name for i, name in session.execute(
        select(Opportunity.id, Opportunity.name).where(*deals))}
    keys = list(names)
    return AccountOverview(
        account=account,
        parent=visible_parent(session, viewer, account),
        children=child_accounts(session, viewer, account),
        contacts=contacts,
        contact_count=contact_count,
        opportunities=list(session.scalars(
            select(Opportunity).where(*deals)
            .order_by(Opportunity.status != "open", Opportunity.created_at.desc(), Opportunity.id.desc())
            .limit(SECTION_LIMIT))),
        opportunity_count=len(names),
        deal_names=names,
        quotes=[QuoteRow(q, name) for q, name in session.execute(
            select(Quote, Opportunity.name).join(Opportunity, Opportunity.id == Quote.opportunity_id)
            .where(*deals).options(selectinload(Quote.lines)).order_by(Quote.id.desc()).limit(SECTION_LIMIT))],
        contracts=contracts_where(session, viewer, Contract.account_id == account.id, limit=SECTION_LIMIT),
        tasks=session.scalars(
            select(HumanTask).where(HumanTask.business_key.in_(keys), visible_task_condition(viewer))
            .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at)
            .limit(SECTION_LIMIT)).all() if keys else [],
        history=session.scalars(
            select(HistoryEvent).where(HistoryEvent.business_key.in_(keys))
            .order_by(HistoryEvent.id.desc()).limit(HISTORY_LIMIT)).all() if keys else [],
    )


def _visible_deals(viewer: Viewer, account_id: int) -> tuple[ColumnElement[bool], ...]:
    return (Opportunity.account_id == account_id, owner_condition(viewer, Opportunity.owner))
