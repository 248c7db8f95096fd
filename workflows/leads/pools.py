"""The public pool (公海): claiming a lead from it, within its limits, and giving one back.

A claim locks the lead row, so two reps claiming the same lead at once cannot both win.
The limits are the pool's: claims per rolling 24 hours, leads held at once, and a wait
before a former owner may take back a lead they gave up (or lost to recycling), so the
pool does not become a way to reset the follow-up clock. The lead duplicate rules run on
a claim too: a blocking rule's match with a lead someone else owns refuses it (the pool
must not hand a rep a customer a colleague works), other matches are told to the rep.
Functions never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import Conflict, NotFound, PermissionDenied
from core.phrases import Phrase
from workflows.dedupe import Duplicate, DuplicateBlocked, duplicates_of
from workflows.org.visibility import Viewer

from .models import HELD, Lead, Pool, PoolClaim, PoolMember
from .service import get_lead

CLAIM_WINDOW = timedelta(hours=24)


def claim_lead(session: Session, viewer: Viewer, lead_id: int, now: datetime,
               noted: list[Duplicate] | None = None) -> Lead:
    """Take a lead out of a pool the viewer belongs to; it becomes theirs to work. The duplicates
    the rep should know of (warnings, and blocks on leads of theirs or in a pool) are added to
    ``noted``; a blocking rule's match with a lead another rep owns raises ``DuplicateBlocked``."""
    lead = get_lead(session, viewer, lead_id, for_update=True)  # a lead in a pool: seen by its members
    if lead.owner is not None or lead.pool_id is None:
        raise Conflict(Phrase("This lead was already claimed by %(name)s", name=lead.owner or "?"))
    pool = session.get_one(Pool, lead.pool_id)
    _check_limits(session, viewer, pool, lead, now)
    warnings = _check_duplicates(session, viewer, lead)
    session.add(PoolClaim(pool_id=pool.id, lead_id=lead.id, username=viewer.username, claimed_at=now))
    lead.assign_to(viewer.username, now)
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
    pool = session.get(Pool, pool_id)
    if pool is None or (pool.id != lead.pool_id and pool not in pools_of(session, viewer)):
        raise NotFound(Phrase("This pool does not exist"))
    return to_pool(lead, pool, now)


def to_pool(lead: Lead, pool: Pool, now: datetime) -> Lead:
    """Put a lead in ``pool``, remembering who had it (release, recycling, a leaver's handover)."""
    lead.former_owner, lead.released_at = lead.owner, now
    lead.owner, lead.pool_id, lead.status, lead.updated_at = None, pool.id, "pooled", now
    lead.reschedule_follow_up()
    return lead


def pools_of(session: Session, viewer: Viewer) -> list[Pool]:
    """The pools the viewer may claim from (admins: all)."""
    query = select(Pool).order_by(Pool.name)
    if not viewer.is_admin:
        query = query.join(PoolMember, PoolMember.pool_id == Pool.id).where(
            PoolMember.user_id == viewer.user_id)
    return list(session.scalars(query))


def _check_limits(session: Session, viewer: Viewer, pool: Pool, lead: Lead, now: datetime) -> None:
    if lead.former_owner == viewer.username and lead.released_at is not None:
        allowed = lead.released_at + timedelta(days=pool.reclaim_after_days)
        if now < allowed:
            raise PermissionDenied(Phrase(
                "You gave this lead up on %(released)s; you may claim it again from %(allowed)s",
                released=lead.released_at.date().isoformat(), allowed=allowed.date().isoformat()))
    claimed = session.scalar(select(func.count()).select_from(PoolClaim).where(
        PoolClaim.username == viewer.username, PoolClaim.claimed_at > now - CLAIM_WINDOW)) or 0
    if claimed >= pool.max_claims_per_day:
        raise PermissionDenied(Phrase(
            "You have claimed %(count)s leads in the last 24 hours, this pool's limit", count=claimed))
    held = session.scalar(select(func.count()).select_from(Lead).where(
        Lead.owner == viewer.username, Lead.status.in_(HELD))) or 0
    if held >= pool.max_held:
        raise PermissionDenied(Phrase(
            "You already hold %(count)s leads, this pool's limit: convert or release some first", count=held))


def _check_duplicates(session: Session, viewer: Viewer, lead: Lead) -> list[Duplicate]:
    found = duplicates_of(session, "lead", lead)
    for duplicate in found:
        if duplicate.action == "block" and duplicate.owner not in (None, viewer.username):
            raise DuplicateBlocked(duplicate)
    return found
