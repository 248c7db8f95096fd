"""A manager hands leads to a rep by hand, one or many at once.

Each lead is checked on its own (the manager must see it, and it must still be open), so
one lead converted meanwhile does not stop the rest; the answer says what happened to
each. The new owner must be an active person the manager sees: a manager assigns within
their own subtree. Functions never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import PermissionDenied, reject_fields
from core.phrases import Phrase
from workflows.org.models import User
from workflows.org.visibility import Viewer, can_see_owner

from .models import Lead
from .service import visible_condition

MAX_LEADS = 500
ASSIGNABLE = ("new", "working", "qualified", "pooled")


@dataclass(frozen=True)
class Assigned:
    lead_id: int
    name: str
    problem: str | None  # None: assigned


def assign_leads(session: Session, viewer: Viewer, lead_ids: list[int], owner: str,
                 now: datetime) -> list[Assigned]:
    """Give each lead to ``owner``; a lead out of sight or closed is reported, not assigned."""
    if not viewer.is_manager and not viewer.is_admin:
        raise PermissionDenied(Phrase("Only managers assign leads"))
    if not lead_ids or len(lead_ids) > MAX_LEADS:
        reject_fields({"lead_ids": Phrase("choose from 1 to %(count)s leads", count=MAX_LEADS)})
    person = session.scalars(select(User).where(User.username == owner, User.active.is_(True))).first()
    if person is None or not can_see_owner(session, viewer, owner):
        reject_fields({"owner": Phrase("is not an active person in your team")})
    found = {lead.id: lead for lead in session.scalars(
        select(Lead).where(Lead.id.in_(lead_ids), visible_condition(viewer)).with_for_update(of=Lead))}
    results = []
    for lead_id in dict.fromkeys(lead_ids):
        lead = found.get(lead_id)
        if lead is None:
            results.append(Assigned(lead_id, "", Phrase("This lead does not exist")))
        elif lead.status not in ASSIGNABLE:
            results.append(Assigned(lead_id, lead.name, Phrase("This lead is already %(status)s",
                                                                 status=lead.status)))
        else:
            lead.give_to(owner, now, "manager")
            lead.status = "new" if lead.status == "pooled" else lead.status
            results.append(Assigned(lead_id, lead.name, None))
    session.flush()
    return results
