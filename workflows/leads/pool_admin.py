"""Running a pool: its limits and who belongs to it, changed by admins and the pool's own
admins (a branch's managers run their branch's pool). Functions never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound, PermissionDenied, reject_fields
from core.phrases import Phrase
from workflows.inputs import Checker, parse_id
from workflows.org.models import User
from workflows.org.visibility import Viewer

from .models import POOL_ROLES, Pool, PoolMember


@dataclass(frozen=True)
class PoolInput:
    name: str
    max_claims_per_day: str = "20"
    max_held: str = "200"
    reclaim_after_days: str = "30"
    recycle_after_days: str = "30"
    warn_days_before: str = "3"


@dataclass(frozen=True)
class MemberRow:
    user_id: int
    username: str
    display_name: str
    role: str


def save_pool(session: Session, actor: Viewer, pool_id: int | None, data: PoolInput, now: datetime) -> Pool:
    """Create a pool (admins) or change one's name and limits (admins and its admins)."""
    if pool_id is None:
        if not actor.is_admin:
            raise PermissionDenied(Phrase("Only administrators may create pools"))
        pool = Pool(created_at=now)
    else:
        pool = managed_pool(session, actor, pool_id)
    check = Checker()
    name = check.text("name", data.name, 120, required=True)
    limits = {
        "max_claims_per_day": check.whole("max_claims_per_day", data.max_claims_per_day, 0, 1000),
        "max_held": check.whole("max_held", data.max_held, 0, 100_000),
        "reclaim_after_days": check.whole("reclaim_after_days", data.reclaim_after_days, 0, 3650),
        "recycle_after_days": check.whole("recycle_after_days", data.recycle_after_days, 1, 3650),
        "warn_days_before": check.whole("warn_days_before", data.warn_days_before, 0, 365),
    }
    taken = session.scalar(select(Pool.id).where(Pool.name == name, Pool.id != (pool_id or 0)))
    if taken is not None:
        check.problem("name", Phrase("another pool already has this name"))
    check.done()
    pool.name = name
    for field, value in limits.items():
        setattr(pool, field, value)
    session.add(pool)
    session.flush()
    return pool


def set_member(session: Session, actor: Viewer, pool_id: int, user_id: str, role: str) -> PoolMember:
    """Add someone to the pool, or change their role in it."""
    pool = managed_pool(session, actor, pool_id)
    user = session.get(User, parse_id(user_id) or 0)
    problems = {}
    if user is None or not user.active:
        problems["user_id"] = Phrase("is not an active user")
    if role not in POOL_ROLES:
        problems["role"] = Phrase("is not one of the allowed values")
    reject_fields(problems)
    assert user is not None
    member = session.get(PoolMember, (pool.id, user.id)) or PoolMember(pool_id=pool.id, user_id=user.id)
    member.role = role
    session.add(member)
    session.flush()
    return member


def remove_member(session: Session, actor: Viewer, pool_id: int, user_id: int) -> None:
    pool = managed_pool(session, actor, pool_id)
    member = session.get(PoolMember, (pool.id, user_id))
    if member is None:
        raise NotFound(Phrase("This person is not a member of the pool"))
    session.delete(member)
    session.flush()


def members(session: Session, pool_id: int) -> list[MemberRow]:
    rows = session.execute(select(User.id, User.username, User.display_name, PoolMember.role)
                           .join(PoolMember, PoolMember.user_id == User.id)
                           .where(PoolMember.pool_id == pool_id).order_by(PoolMember.role, User.display_name))
    return [MemberRow(*row) for row in rows]


def managed_pool_ids(session: Session, actor: Viewer) -> set[int]:
    """The pools whose settings and members the actor may change: an admin's all, else those
    they are a pool admin of."""
    query = select(Pool.id) if actor.is_admin else select(PoolMember.pool_id).where(
        PoolMember.user_id == actor.user_id, PoolMember.role == "admin")
    return set(session.scalars(query))


def managed_pool(session: Session, actor: Viewer, pool_id: int) -> Pool:
    """A pool the actor may run; one they merely belong to (or do not) answers "not found"."""
    pool = session.get(Pool, pool_id)
    if pool is None:
        raise NotFound(Phrase("This pool does not exist"))
    if actor.is_admin:
        return pool
    member = session.get(PoolMember, (pool_id, actor.user_id))
    if member is None or member.role != "admin":
        raise NotFound(Phrase("This pool does not exist"))
    return pool
