"""Assigning a lead that arrived without an owner: the ``lead_intake`` diagram's decision
table picks a team and a method, and its ``lead.assign`` service picks the rep.

round_robin gives the lead to the team's rep who has waited longest since their last
assigned lead (never assigned counts as longest): the rotation needs no stored pointer,
so adding or removing a rep never skips or doubles anyone. least_loaded gives it to the
rep holding the fewest open leads, the longest-waiting of them on a tie. Only active reps
(role sales_rep) of the team's unit and the units under it take part.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, nulls_first, select
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.phrases import Phrase
from engine import ServiceCall
from workflows.keys import LEAD, record_id
from workflows.org.models import OrgUnit, User, UserRole

from .models import HELD, Lead

METHODS = ("round_robin", "least_loaded")
def assign(call: ServiceCall, now: datetime) -> dict[str, str | None]:
    """Give the call's lead to the next rep of the chosen team, or leave it in its pool, saying why."""
    lead_id = record_id(LEAD, call.business_key)
    lead = call.session.get(Lead, lead_id) if lead_id is not None else None
    if lead is None:
        raise NotFound(Phrase("The lead of this intake does not exist"))
    team_name, method = str(call.data.get("team") or ""), str(call.data.get("method") or "round_robin")
    if not team_name:
        return {"owner": None, "reason": "no team for this lead: it stays in its pool"}
    team = call.session.scalars(select(OrgUnit).where(OrgUnit.name == team_name)).first()
    if team is None:
        return {"owner": None, "reason": f"no team called {team_name!r}: the lead stays in its pool"}
    rep = next_rep(call.session, team, method if method in METHODS else "round_robin")
    if rep is None:
        return {"owner": None, "reason": f"{team_name} has no active rep: the lead stays in its pool"}
    lead.give_to(rep, now, "rule")
    lead.status, lead.team_unit_id = "new", team.id
    return {"owner": rep, "reason": f"{method} in {team_name}"}


def next_rep(session: Session, team: OrgUnit, method: str) -> str | None:
    last_assigned = (select(func.max(Lead.assigned_at)).where(Lead.owner == User.username)
                     .correlate(User).scalar_subquery())
    order: list[Any] = [nulls_first(last_assigned.asc()), User.id]
    if method == "least_loaded":
        held = (select(func.count()).select_from(Lead)
                .where(Lead.owner == User.username, Lead.status.in_(HELD)).correlate(User).scalar_subquery())
        order.insert(0, held)
    return session.scalar(
        select(User.username).join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "sales_rep", User.active.is_(True), OrgUnit.path.startswith(team.path))
        .order_by(*order).limit(1))


SERVICES = {"lead.assign": assign}
