"""Keep each opportunity in step with its pipeline instance.

Registered with the engine as a step observer, so it runs inside the transaction of
every step, whoever caused it (the opportunity page, the inbox, the JSON API, a timer):
the opportunity row's stage, probability and status, and its stage history, can never
disagree with the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import HistoryEvent, ProcessInstance
from workflows.keys import OPPORTUNITY, record_id
from workflows.reports.stays import follow_stay

from .models import CLOSED, Opportunity, StageVisit
from .pipeline import closed_status, probability


def follow_pipeline(session: Session, instance: ProcessInstance, events: Sequence[HistoryEvent]) -> None:
    """The engine's step observer: copy stage changes and stage data onto the opportunity."""
    opportunity_id = record_id(OPPORTUNITY, instance.business_key)
    if opportunity_id is None:
        return
    relevant = [e for e in events if e.event in ("stage_entered", "task_completed")]
    if not relevant:
        return
    opportunity = session.get(Opportunity, opportunity_id)
    if opportunity is None:
        return
    for event in relevant:
        if event.event == "task_completed":
            _copy_fields(opportunity, (event.details or {}).get("data") or {})
        else:
            _enter(session, opportunity, event)


def _copy_fields(opportunity: Opportunity, data: dict[str, Any]) -> None:
    if isinstance(data.get("expected_close_date"), str):
        opportunity.expected_close_date = date.fromisoformat(data["expected_close_date"])
    reason = data.get("reason")
    if data.get("outcome") in CLOSED and isinstance(reason, str):
        opportunity.close_reason = reason.strip()


def _enter(session: Session, opportunity: Opportunity, event: HistoryEvent) -> None:
    details = event.details or {}
    stage = str(details.get("stage"))
    chance = probability(details.get("probability"))
    status = closed_status(stage, chance) if details.get("closed") else "open"
    if (stage, status) == (opportunity.stage, opportunity.status) and status != "open":
        return  # a closure becoming final (the reopen window passed) is no new stage
    current = session.scalars(select(StageVisit).where(
        StageVisit.opportunity_id == opportunity.id, StageVisit.left_at.is_(None))).first()
    if current is not None:
        current.left_at, current.left_by = event.at, event.actor
    visit = StageVisit(opportunity_id=opportunity.id, stage=stage, name=event.name or stage,
                       probability=chance, entered_at=event.at, entered_by=event.actor)
    session.add(visit)
    follow_stay(session, opportunity, visit, current, status)  # the conversion report's summary
    opportunity.stage, opportunity.stage_name, opportunity.probability = stage, event.name or stage, chance
    opportunity.stage_entered_at = opportunity.updated_at = event.at
    opportunity.status = status
