"""Accounts in the public pool (公海): claiming one from a pool the rep belongs to, and giving
one back (its owner, or a manager who sees it).

The pool's limits are the leads' (workflows.leads.pools.check_limits): a claim of an account
counts towards the rep's claims in 24 hours like a lead's, the accounts a rep holds are
counted against ``max_held`` on their own (not added to their leads), and a former owner waits
``reclaim_after_days``. The account duplicate rules run on a claim as on a lead's: a blocking
rule's match with an account another rep owns refuses it, other matches are told to the rep.
The account's contacts go with it both ways. Functions never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.errors import Conflict
from core.phrases import Phrase
from workflows.dedupe import Duplicate
from workflows.leads.models import Pool, PoolClaim
from workflows.leads.pools import Refusals, check_limits, claim_duplicates, may_release_to
from workflows.org.visibility import Viewer

from .cadence import to_pool
from .models import Account, Contact
from .service import get_account

ACCOUNT_REFUSALS = Refusals(
    reclaim=lambda released, allowed: Phrase(
        "You gave this account up on %(released)s; you may claim it again from %(allowed)s",
        released=released, allowed=allowed),
    held=lambda count: Phrase(
        "You already hold %(count)s accounts, this pool's limit: release some first", count=count))


def claim_account(session: Session, viewer: Viewer, account_id: int, now: datetime,
                  noted: list[Duplicate] | None = None) -> Account:
    """Take an account out of a pool the viewer belongs to; it and its contacts become theirs.
    The duplicates the rep should know of are added to ``noted``; a blocking rule's match with
    an account another rep owns raises ``DuplicateBlocked``."""
    account = get_account(session, viewer, account_id, for_update=True)  # pooled: seen by its pool's members
    if account.owner is not None or account.pool_id is None:
        raise Conflict(Phrase("This account was already claimed by %(name)s", name=account.owner or "?"))
    pool = session.get_one(Pool, account.pool_id)
    held = session.scalar(select(func.count()).select_from(Account).where(
        Account.owner == viewer.username)) or 0
    check_limits(session, viewer, pool, account, held, ACCOUNT_REFUSALS, now)
    warnings = claim_duplicates(session, viewer, "account", account)
    session.add(PoolClaim(pool_id=pool.id, account_id=account.id, username=viewer.username, claimed_at=now))
    account.assign_to(viewer.username, now)
    session.execute(update(Contact).where(Contact.account_id == account.id).values(owner=viewer.username))
    session.flush()
    if noted is not None:
        noted.extend(warnings)
    return account


def release_account(session: Session, viewer: Viewer, account_id: int, pool_id: int,
                    now: datetime) -> Account:
    """Give an account back to its own pool or one the viewer belongs to (its owner, or a manager
    who sees it); another branch's pool "does not exist", as on the page."""
    account = get_account(session, viewer, account_id, for_update=True)
    if account.owner is None:
        raise Conflict(Phrase("This account is already in a pool"))
    to_pool(session, account, may_release_to(session, viewer, account, pool_id), now)
    session.flush()
    return account


