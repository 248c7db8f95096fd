"""The follow-up cadence of accounts: one ``account_followup`` cycle per owned account, the
same cycle leads have (:mod:`workflows.leads.cycles`), with the account's category in the
role of a lead's rating.

Why the category: it is how much the customer matters to the company (ordinary, VIP,
strategic), which is what should set how often its owner calls; the credit rating is how far
the company trusts it to pay, which says nothing about how often to call. The decision table
``account_followup_frequency`` turns it into a frequency a designer can change.

A call, visit or meeting logged on the account, or on one of its contacts, is a contact with
the account and resets its clock (workflows.activities.service); an email or a note does not.
Without contact until its pool's limit, the account goes back to the pool with its contacts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session, sessionmaker

from engine import ProcessEngine
from workflows.keys import ACCOUNT
from workflows.leads import cycles
from workflows.leads.cycles import SweepReport
from workflows.leads.follow_up_status import Recycling, count_no_contact, not_contacted, recycling
from workflows.leads.models import Pool
from workflows.org.visibility import Viewer

from .models import Account, Contact

FOLLOWUP_PROCESS = "account_followup"


def to_pool(session: Session, account: Account, pool: Pool, now: datetime) -> Account:
    """Put an account in ``pool``, remembering who had it; its contacts go with it."""
    account.put_in_pool(pool.id, now)
    session.execute(update(Contact).where(Contact.account_id == account.id).values(owner=None))
    return account


def _start_data(account: Account) -> dict[str, Any]:
    return {"category": account.category, "region": account.region}


ACCOUNTS = cycles.Followed(
    kind=ACCOUNT, model=Account, process=FOLLOWUP_PROCESS, held=lambda account: account.owner is not None,
    start_data=_start_data, title=lambda account: account.name, to_pool=to_pool, page="/accounts/{}")
SERVICES = cycles.services(ACCOUNTS)


def follow_up_now(session: Session, engine: ProcessEngine, account_ids: Iterable[int], now: datetime) -> None:
    """Reconcile these accounts' cycles in the caller's transaction, so a page shows the result at once."""
    cycles.follow_up_now(session, engine, ACCOUNTS, account_ids, now)


def follow_up_customer(session: Session, engine: ProcessEngine, subject_type: str, subject_id: int,
                       now: datetime) -> None:
    """After an activity on an account or one of its contacts: the account's cycle, redone now."""
    account_id = subject_id if subject_type == "account" else \
        session.scalar(select(Contact.account_id).where(Contact.id == subject_id))
    if account_id is not None:
        follow_up_now(session, engine, [account_id], now)


def reconcile_stale(engine: ProcessEngine, session_factory: sessionmaker[Session],
                    now: datetime | None = None, limit: int = cycles.SWEEP_BATCH) -> SweepReport:
    """Give every account whose cycle no longer fits the one that does (the sweep)."""
    return cycles.reconcile_stale(engine, session_factory, ACCOUNTS, now, limit)


# -- flags and what goes back soon ---------------------------------------------------------------


def _held() -> ColumnElement[bool]:
    return Account.owner.is_not(None)


def not_contacted_for(days: int, now: datetime) -> ColumnElement[bool]:
    """Owned accounts whose last contact (or assignment) is ``days`` or more ago."""
    return not_contacted(Account, _held(), days, now)


def no_contact_counts(session: Session, viewer: Viewer, now: datetime) -> dict[int, int]:
    """How many of the accounts the viewer sees went 7, 15, 30 and 60 days or more without contact."""
    return count_no_contact(session, viewer, Account, _held(), now)


def recycling_between(session: Session, viewer: Viewer, start: datetime, end: datetime, page: int = 1,
                      per_page: int = 50) -> tuple[list[Recycling], int]:
    """The viewer's accounts (or their team's) that go back to a pool in [start, end), soonest first."""
    return recycling(session, viewer, Account, start, end, page, per_page)
