"""The lead list: which leads a query string (or a saved view) asks for, a page of them,
and all their ids for a bulk send."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, false, select
from sqlalchemy.orm import Session

from core.counting import capped_count
from workflows.inputs import COUNT_CAP, page_window, parse_id
from workflows.org.visibility import Viewer, owner_condition, within_unit

from .follow_up_status import NO_CONTACT_DAYS, not_contacted_for
from .models import RATINGS, SOURCES, STATUSES, Lead
from .service import pooled_condition, visible_condition

MAX_PER_PAGE = 100
SCOPES = ("mine", "visible", "pool")


@dataclass(frozen=True)
class LeadFilter:
    """Whose leads ("mine", all the viewer "visible"s, or their pools'), narrowed by rating,
    status, source and days without contact. Unknown values are dropped, never applied."""

    scope: str = "mine"
    unit_id: int | None = None  # the owner works in this org unit or below it
    owner: str | None = None
    no_contact: int | None = None
    rating: str | None = None
    status: str | None = None
    source: str | None = None

    def params(self) -> dict[str, str]:
        """The query-string form: for links and saved views."""
        values = {"scope": self.scope, "unit": self.unit_id, "owner": self.owner,
                  "no_contact": self.no_contact, "rating": self.rating, "status": self.status,
                  "source": self.source}
        return {key: str(value) for key, value in values.items() if value is not None}


def parse_lead_filter(params: Mapping[str, str]) -> LeadFilter:
    def one_of(key: str, allowed: tuple[str, ...]) -> str | None:
        value = (params.get(key) or "").strip()
        return value if value in allowed else None

    days = (params.get("no_contact") or "").strip()
    return LeadFilter(
        scope=one_of("scope", SCOPES) or "mine", unit_id=parse_id(params.get("unit") or ""),
        owner=(params.get("owner") or "").strip().lower()[:100] or None,
        no_contact=int(days) if days.isdigit() and int(days) in NO_CONTACT_DAYS else None,
        rating=one_of("rating", RATINGS), status=one_of("status", STATUSES), source=one_of("source", SOURCES),
    )


def list_leads(session: Session, viewer: Viewer, f: LeadFilter, now: datetime, page: int = 1,
               per_page: int = 25) -> tuple[list[Lead], int]:
    """One page of the filtered leads, newest first (longest without contact first when
    that is the filter), with their number (at most ``COUNT_CAP + 1``)."""
    limit, offset = page_window(page, per_page, MAX_PER_PAGE)
    total = capped_count(session, _matching(select(Lead.id), viewer, f, now), COUNT_CAP)
    rows = session.scalars(_matching(select(Lead), viewer, f, now).limit(limit).offset(offset)).all()
    return list(rows), total


def lead_ids(session: Session, viewer: Viewer, f: LeadFilter, now: datetime, limit: int) -> list[int]:
    """The ids of the filtered leads in list order, at most ``limit`` of them."""
    return list(session.scalars(_matching(select(Lead.id), viewer, f, now).limit(limit)))


def _matching(stmt: Select[Any], viewer: Viewer, f: LeadFilter, now: datetime) -> Select[Any]:
    condition: ColumnElement[bool] = {
        "mine": Lead.owner == viewer.username, "visible": visible_condition(viewer),
        "pool": pooled_condition(viewer)}[f.scope]
    order: list[Any] = [Lead.created_at.desc(), Lead.id.desc()]
    if f.no_contact is not None:  # owned leads only: the pool's have no contact to count from
        owned = {"mine": Lead.owner == viewer.username, "pool": false()}.get(f.scope)
        condition = (owner_condition(viewer, Lead.owner) if owned is None else owned) \
            & not_contacted_for(f.no_contact, now)
        order = [Lead.followup_since, Lead.id]
    if f.unit_id is not None:
        condition = condition & within_unit(Lead.owner, f.unit_id)
    if f.owner is not None:
        condition = condition & (Lead.owner == f.owner)
    for column, value in ((Lead.rating, f.rating), (Lead.status, f.status), (Lead.source, f.source)):
        if value is not None:
            condition = condition & (column == value)
    return stmt.where(condition).order_by(*order)
