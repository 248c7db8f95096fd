"""Admins manage business types: each names the pipeline process its opportunities run."""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from core.errors import NotFound, PermissionDenied, reject_fields
from core.phrases import Phrase
from engine import ProcessDefinition
from workflows.org.visibility import Viewer

from .models import BusinessType, Opportunity


def save_business_type(session: Session, actor: Viewer, type_id: int | None, name: str,
                       process_key: str, active: bool) -> BusinessType:
    """Create (``type_id`` None) or change a business type. Changing the process key only
    affects opportunities created afterwards; running ones stay on their pipeline."""
    if not actor.is_admin:
        raise PermissionDenied(Phrase("Only administrators may manage business types"))
    business_type = BusinessType() if type_id is None else session.get(BusinessType, type_id)
    if business_type is None:
        raise NotFound(Phrase("This business type does not exist"))
    name, process_key = name.strip(), process_key.strip()
    problems: dict[str, str] = {}
    if not 0 < len(name) <= 120:
        problems["name"] = Phrase("is required (at most %(count)s characters)", count=120)
    elif session.scalar(select(exists().where(BusinessType.name == name, BusinessType.id != type_id))):
        problems["name"] = Phrase("another business type already has this name")
    if not session.scalar(select(exists().where(ProcessDefinition.key == process_key))):
        problems["process_key"] = Phrase("no process with this key is deployed")
    reject_fields(problems)
    business_type.name, business_type.process_key, business_type.active = name, process_key, active
    session.add(business_type)
    session.flush()
    return business_type


def business_type_usage(session: Session) -> list[tuple[BusinessType, int]]:
    """Every business type with its number of opportunities, for the admin list."""
    counts = (select(Opportunity.business_type_id, func.count().label("n"))
              .group_by(Opportunity.business_type_id).subquery())
    rows = session.execute(select(BusinessType, func.coalesce(counts.c.n, 0))
                           .outerjoin(counts, counts.c.business_type_id == BusinessType.id)
                           .order_by(BusinessType.name)).all()
    return [(business_type, count) for business_type, count in rows]
