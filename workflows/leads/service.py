"""Use cases for leads: capture one (by hand, and through the same door the web form and
the import use), read it, list them, edit it.

A lead is visible to whoever sees its owner (the one visibility rule); a lead in a pool
(no owner) to the pool's members and admins. Every write runs the duplicate rules first
and keeps the normalised match columns in step, so duplicate checks stay indexed lookups.
Functions work in the caller's ``Session`` and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput, NotFound
from core.phrases import Phrase
from workflows.dedupe import Duplicate, check_duplicates, phone_e164, refresh_match_columns
from workflows.inputs import Checker
from workflows.org.visibility import Viewer, owner_condition

from .membership import in_pools_of
from .models import HELD, RATINGS, SIZES, SOURCES, Lead


@dataclass(frozen=True)
class LeadInput:
    """A lead as typed (a form, a web-to-lead post, an import row); empty strings are "not given"."""

    name: str
    company: str = ""
    title: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    region: str = ""
    industry: str = ""
    size: str = ""
    source: str = "manual"
    rating: str = "warm"
    note: str = ""


FIELDS = tuple(f.name for f in fields(LeadInput))


class PossibleDuplicates(InvalidInput):
    """Warning rules matched: the person entering the lead decides whether it is new after all."""

    def __init__(self, duplicates: list[Duplicate]) -> None:
        super().__init__(Phrase("This lead may already exist: check the matches below"))
        self.duplicates = duplicates


def create_lead(session: Session, actor: Viewer | None, data: LeadInput, now: datetime,
                owner: str | None = None, pool_id: int | None = None, *, confirmed: bool = False,
                duplicates_checked: bool = False) -> Lead:
    """A new lead owned by ``owner`` (by default whoever entered it) or waiting in a pool.

    The duplicate rules run first: a blocking rule refuses it, a warning rule asks for
    ``confirmed`` (a web form's visitor cannot be asked: its caller confirms). An import,
    which has just run them on the row itself, says so with ``duplicates_checked``."""
    values = checked(data)
    if not duplicates_checked:
        _duplicates(session, values, None, confirmed)
    if owner is None and pool_id is None and actor is not None:
        owner = actor.username
    # Entered for oneself, or given to someone else (a manager's entry, an import for a rep).
    via = None if owner is None else "entered" if actor is not None and owner == actor.username else "manager"
    lead = Lead(**values, owner=owner, pool_id=pool_id, assigned_via=via,
                status="new" if owner else "pooled", assigned_at=now if owner else None,
                created_by=actor.username if actor else None, created_at=now, updated_at=now)
    refresh_match_columns(lead)
    session.add(lead)
    session.flush()
    return lead


def update_lead(session: Session, viewer: Viewer, lead_id: int, data: LeadInput, now: datetime,
                *, confirmed: bool = False) -> Lead:
    lead = get_lead(session, viewer, lead_id, for_update=True)
    values = checked(data)
    _duplicates(session, values, lead.id, confirmed)
    if values["rating"] != lead.rating:  # a new rating, a new follow-up frequency
        lead.reschedule_follow_up()
    for name, value in values.items():
        setattr(lead, name, value)
    refresh_match_columns(lead)
    lead.updated_at = now
    session.flush()
    return lead


def qualify_lead(session: Session, viewer: Viewer, lead_id: int, now: datetime) -> Lead:
    """The rep judged the lead worth converting; it stays theirs and keeps being followed up."""
    lead = get_lead(session, viewer, lead_id, for_update=True)
    if lead.owner is None or lead.status not in ("new", "working"):
        raise Conflict(Phrase("Only a new or working lead can be qualified; this one is %(status)s",
                              status=lead.status))
    lead.status, lead.updated_at = "qualified", now
    session.flush()
    return lead


def disqualify_lead(session: Session, viewer: Viewer, lead_id: int, reason: str, now: datetime) -> Lead:
    """Not a prospect after all, and why; its follow-up ends."""
    lead = get_lead(session, viewer, lead_id, for_update=True)
    if lead.owner is None or lead.status not in HELD:
        raise Conflict(Phrase("Only a lead someone is working can be disqualified; this one is %(status)s",
                              status=lead.status))
    check = Checker()
    lead.disqualified_reason = check.text("reason", reason, 300, required=True)
    check.done()
    lead.status, lead.updated_at = "disqualified", now
    lead.reschedule_follow_up()
    session.flush()
    return lead


def checked(data: LeadInput) -> dict[str, object]:
    """The lead's columns from what was typed; every bad field named."""
    check = Checker()
    values: dict[str, object] = {
        "name": check.text("name", data.name, 120, required=True),
        "company": check.text("company", data.company, 200),
        "title": check.text("title", data.title, 120),
        "phone": check.text("phone", data.phone, 40),
        "email": check.email("email", data.email),
        "address": check.text("address", data.address, 300),
        "region": check.text("region", data.region, 100),
        "industry": check.text("industry", data.industry, 100),
        "note": check.text("note", data.note, 4000),
        "source": check.choice("source", data.source, SOURCES),
        "rating": check.choice("rating", data.rating or "warm", RATINGS),
        "size": check.choice("size", data.size, ("", *SIZES)),
    }
    if values["phone"] and phone_e164(str(values["phone"])) is None:
        check.problem("phone", Phrase("is not a valid phone number"))
    if not values["phone"] and not values["email"] and not data.company.strip():
        check.problem("phone", Phrase("give a phone number, an email or a company to reach the lead by"))
    check.done()
    return values


def _duplicates(session: Session, values: dict[str, object], lead_id: int | None, confirmed: bool) -> None:
    """Refuse a lead a blocking rule matches; one a warning rule matches unless ``confirmed``."""
    typed = {name: str(values[name]) for name in ("name", "company", "phone", "email", "address")}
    warnings = check_duplicates(session, "lead", typed, exclude_id=lead_id)
    if warnings and not confirmed:
        raise PossibleDuplicates(warnings)


def get_lead(session: Session, viewer: Viewer, lead_id: int, *, for_update: bool = False) -> Lead:
    """The lead, if the viewer may see it; otherwise it "does not exist"."""
    query = select(Lead).where(Lead.id == lead_id, visible_condition(viewer))
    if for_update:
        query = query.with_for_update(of=Lead).execution_options(populate_existing=True)
    lead = session.scalars(query).first()
    if lead is None:
        raise NotFound(Phrase("This lead does not exist"))
    return lead


def visible_condition(viewer: Viewer) -> ColumnElement[bool]:
    """Owned leads by the visibility rule; pooled ones by pool membership."""
    return or_(owner_condition(viewer, Lead.owner), pooled_condition(viewer))


def pooled_condition(viewer: Viewer) -> ColumnElement[bool]:
    """Leads waiting in a pool the viewer is a member of (any pool, for an admin)."""
    return Lead.owner.is_(None) & _in_my_pools(viewer)


def _in_my_pools(viewer: Viewer) -> ColumnElement[bool]:
    return in_pools_of(viewer, Lead.pool_id)
