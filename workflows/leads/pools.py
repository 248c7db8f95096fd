"""The public pool (公海): claiming a lead from it, within its limits, and giving one back;
and the limits every claim (of a lead or of an account, see workflows.accounts.pools) keeps.

A claim locks the record's row, so two reps claiming the same one at once cannot both win.
The limits are the pool's: claims per rolling 24 hours, records held at once, and a wait
before a former owner may take back a record they gave up (or lost to recycling), so the
pool does not become a way to reset the follow-up clock. Claims per day count leads and
accounts together (a claim is a claim, whatever it takes); records held count each kind
apart, against the same ``max_held`` (a rep keeps customers for years while leads turn
over in weeks, so one total would let a book of accounts lock its owner out of the leads).
The lead duplicate rules run on a claim too: a blocking rule's match with a lead someone
else owns refuses it (the pool must not hand a rep a customer a colleague works), other
matches are told to the rep. Functions never commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import Conflict, NotFound, PermissionDenied
from core.phrases import Phrase
from workflows.dedupe import Duplicate, DuplicateBlocked, duplicates_of
from workflows.org.visibility import Viewer

from .models import HELD, Lead, Pool, PoolClaim, Pooled, PoolMember
from .service import get_lead

CLAIM_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Refusals:
    """What a refused claim says, in the words of the kind of record claimed."""

    reclaim: Callable[[str, str], Phrase]  # (given up on, may claim again from)
    held: Callable[[int], Phrase]  # (how many the rep holds)


LEAD_REFUSALS = Refusals(
    reclaim=lambda released, allowed: Phrase(
        "You gave this lead up on %(released)s; you may claim it again from %(allowed)s",
        released=released, allowed=allowed),
    held=lambda count: Phrase(
        "You already hold %(count)s leads, this pool's limit: convert or release some first", count=count))


def claim_lead(session: Session, viewer: Viewer, lead_id: int, now: datetime,
               noted: list[Duplicate] | None = None) -> Lead:
    """Take a lead out of a pool the viewer belongs to; it becomes theirs to work. The duplicates
    the rep should know of (warnings, and blocks on leads of theirs or in a pool) are added to
    ``noted``; a blocking rule's match with a lead another rep owns raises ``DuplicateBlocked``."""
    lead = get_lead(session, viewer, lead_id, for_update=True)  # a lead in a pool: seen by its members
    if lead.owner is not None or lead.pool_id is None:
        raise Conflict(Phrase("This lead was already claimed by %(name)s", name=lead.owner or "?"))
    pool = session.get_one(Pool, lead.pool_id)
    held = session.scalar(select(func.count()).select_from(Lead).where(
        Lead.owner == viewer.username, Lead.status.in_(HELD))) or 0
    check_limits(session, viewer, pool, lead, held, LEAD_REFUSALS, now)
    warnings = claim_duplicates(session, viewer, "lead", lead)
    session.add(PoolClaim(pool_id=pool.id, lead_id=lead.id, username=viewer.username, claimed_at=now))
    lead.give_to(viewer.username, now, "pool")
    lead.status = "working"
    session.flush()
    if noted is not None:
        noted.extend(warnings)
    return lead


def release_lead(session: Session, viewer: Viewer, lead_id: int, pool_id: int, now: datetime) -> Lead:
    """Give a lead back to its own pool or one the viewer belongs to (the owner, or a manager
    who sees it); another branch's pool "does not exist", as on the page."""
    lead = get_lead(session, viewer, lead_id, for_update=True)
    if lead.owner is None:
        raise Conflict(Phrase("This lead is already in a pool"))
    if lead.status in ("converted", "disqualified"):
        raise Conflict(Phrase("A converted or disqualified lead stays where it is"))
    return to_pool(lead, may_release_to(session, viewer, lead, pool_id), now)


def to_pool(lead: Lead, pool: Pool, now: datetime) -> Lead:
    """Put a lead in ``pool``, remembering who had it (release, recycling, a leaver's handover)."""
    lead.put_in_pool(pool.id, now)
    lead.status = "pooled"
    return lead


def pools_of(session: Session, viewer: Viewer) -> list[Pool]:
    """The pools the viewer may claim from (admins: all)."""
    query = select(Pool).order_by(Pool.name)
    if not viewer.is_admin:
        query = query.join(PoolMember, PoolMember.pool_id == Pool.id).where(
            PoolMember.user_id == viewer.user_id)
    return list(session.scalars(query))


def may_release_to(session: Session, viewer: Viewer, record: Pooled, pool_id: int) -> Pool:
    """The pool a record may be given back to: its own, or one the viewer belongs to; another
    branch's pool "does not exist", as on the page."""
    pool = session.get(Pool, pool_id)
    if pool is None or (pool.id != record.pool_id and pool not in pools_of(session, viewer)):
        raise NotFound(Phrase("This pool does not exist"))
    return pool


def check_limits(session: Session, viewer: Viewer, pool: Pool, record: Pooled, held: int, refusals: Refusals,
                 now: datetime) -> None:
    """Refuse a claim that breaks one of the pool's limits (``held``: how many records of the
    kind the viewer owns now), saying which and until when."""
    if record.former_owner == viewer.username and record.released_at is not None:
        allowed = record.released_at + timedelta(days=pool.reclaim_after_days)
        if now < allowed:
            raise PermissionDenied(refusals.reclaim(record.released_at.date().isoformat(),
                                                    allowed.date().isoformat()))
    claimed = session.scalar(select(func.count()).select_from(PoolClaim).where(
        PoolClaim.username == viewer.username, PoolClaim.claimed_at > now - CLAIM_WINDOW)) or 0
    if claimed >= pool.max_claims_per_day:
        raise PermissionDenied(Phrase(
            "You have claimed %(count)s leads and accounts in the last 24 hours, this pool's limit",
            count=claimed))
    if held >= pool.max_held:
        raise PermissionDenied(refusals.held(held))


def claim_duplicates(session: Session, viewer: Viewer, kind: str, record: Any) -> list[Duplicate]:
    """The duplicate rules on a record being claimed: a blocking match someone else works refuses
    the claim (DuplicateBlocked); the rest are returned to be shown."""
    found = duplicates_of(session, kind, record)
    for duplicate in found:
        if duplicate.action == "block" and duplicate.owner not in (None, viewer.username):
            raise DuplicateBlocked(duplicate)
    return found
