"""Admins manage business types: each names the pipeline process its opportunities run."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.phrases import Phrase
from workflows.org.visibility import Viewer
from workflows.process_kinds import KindRules, kind_usage, save_kind

from .models import BusinessType, Opportunity

RULES = KindRules(model=BusinessType, key_attribute="process_key", used_by=Opportunity.business_type_id,
                  denied=Phrase("Only administrators may manage business types"),
                  missing=Phrase("This business type does not exist"),
                  name_taken=Phrase("another business type already has this name"))


def save_business_type(session: Session, actor: Viewer, type_id: int | None, name: str,
                       process_key: str, active: bool) -> BusinessType:
    """Create (``type_id`` None) or change a business type. Changing the process key only
    affects opportunities created afterwards; running ones stay on their pipeline."""
    saved: BusinessType = save_kind(session, actor, RULES, type_id, name, process_key, active)
    return saved


def business_type_usage(session: Session) -> list[tuple[BusinessType, int]]:
    """Every business type with its number of opportunities, for the admin list."""
    return kind_usage(session, RULES)
