"""Find the person who holds an approver role for a submitter.

Diagrams and decision tables name roles ("sales_director"), never people. The approver
is the nearest holder of the role above the submitter in the org tree: the sales
director of the submitter's own branch, the commercial director at head office. So
moving someone to another branch changes who approves their contracts, with no
diagram touched. Nobody approves their own submission: the submitter is skipped, and a
holder who is out of office is replaced by their delegate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import InvalidInput, NotFound
from core.phrases import Phrase
from workflows.org.models import OrgUnit, User, UserRole

from .absence import stand_in


@dataclass(frozen=True)
class Route:
    """Who is asked per role, and for whom a delegate stands in (role -> the absent approver)."""

    approvers: dict[str, str]
    stand_ins: dict[str, str]


def approver_for(session: Session, submitter: str, role: str) -> str:
    """The username of the nearest active holder of ``role`` in the submitter's unit or
    above it, other than the submitter; at equal depth the longest-serving (lowest id)
    wins, so the answer is stable."""
    unit_path = session.scalar(select(OrgUnit.path).join(User, User.org_unit_id == OrgUnit.id)
                               .where(User.username == submitter))
    if unit_path is None:
        raise NotFound(Phrase("User %(name)s does not exist", name=submitter))
    ancestors = [int(part) for part in unit_path.split("/") if part]
    found = session.scalar(
        select(User.username)
        .join(UserRole, UserRole.user_id == User.id)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(UserRole.role == role, User.active.is_(True), OrgUnit.id.in_(ancestors),
               User.username != submitter)
        .order_by(func.length(OrgUnit.path).desc(), User.id)
        .limit(1))
    if found is None:
        raise InvalidInput(Phrase("Nobody above %(name)s holds the role %(role)s", name=submitter, role=role))
    return found


def approvers_for(session: Session, submitter: str, roles: list[str]) -> dict[str, str]:
    """Role → approver for every role a decision table routed to, in one call."""
    return {role: approver_for(session, submitter, role) for role in dict.fromkeys(roles)}


def route(session: Session, submitter: str, roles: list[str], now: datetime) -> Route:
    """Who works each role's task at ``now``: the approver, or their delegate while they are
    away (never the submitter)."""
    approvers, stand_ins = {}, {}
    for role, approver in approvers_for(session, submitter, roles).items():
        delegate = stand_in(session, approver, now)
        if delegate is not None and delegate != submitter:
            approvers[role], stand_ins[role] = delegate, approver
        else:
            approvers[role] = approver
    return Route(approvers, stand_ins)
