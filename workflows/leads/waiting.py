"""What waits in one pool for its members to claim: its leads, newest first, and its accounts,
by name, each a page at a time along the pool's own index. A pool the viewer does not
belong to "does not exist"; claiming runs through the claim use cases, with their limits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.counting import capped_count
from core.errors import NotFound
from core.phrases import Phrase
from workflows.accounts.models import Account
from workflows.inputs import COUNT_CAP, page_window
from workflows.org.visibility import Viewer

from .membership import is_member
from .models import Lead, Pool

MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Waiting:
    """A page of each, and how many there are (at most ``COUNT_CAP + 1``)."""

    pool: Pool
    leads: list[Lead]
    lead_total: int
    accounts: list[Account]
    account_total: int


def member_pool(session: Session, viewer: Viewer, pool_id: int) -> Pool:
    """A pool the viewer may claim from; any other "does not exist"."""
    pool = session.get(Pool, pool_id)
    if pool is None or not is_member(session, viewer, pool.id):
        raise NotFound(Phrase("This pool does not exist"))
    return pool


def waiting_in(session: Session, viewer: Viewer, pool_id: int, lead_page: int = 1, account_page: int = 1,
               per_page: int = 25) -> Waiting:
    pool = member_pool(session, viewer, pool_id)
    leads = (Lead.pool_id == pool.id) & Lead.owner.is_(None)
    accounts = (Account.pool_id == pool.id) & Account.owner.is_(None)
    limit, lead_offset = page_window(lead_page, per_page, MAX_PER_PAGE)
    _limit, account_offset = page_window(account_page, per_page, MAX_PER_PAGE)
    return Waiting(
        pool=pool,
        leads=list(session.scalars(select(Lead).where(leads).order_by(Lead.created_at.desc(), Lead.id.desc())
                                   .limit(limit).offset(lead_offset))),
        lead_total=capped_count(session, select(Lead.id).where(leads), COUNT_CAP),
        accounts=list(session.scalars(select(Account).where(accounts).order_by(Account.name, Account.id)
                                      .limit(limit).offset(account_offset))),
        account_total=capped_count(session, select(Account.id).where(accounts), COUNT_CAP),
    )
