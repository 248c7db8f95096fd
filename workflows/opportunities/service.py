"""Use cases for opportunities: create one (starting its pipeline), advance it a stage,
close it as lost or abandoned, edit it, read it.

Every function works in the caller's ``Session`` and never commits; the caller's unit of
work makes each use case all-or-nothing, including the engine step it causes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Conflict, NotFound, reject_fields
from core.phrases import Phrase
from engine import FormField, HumanTask, NoMatchingWait, ProcessEngine, ProcessInstance
from workflows.accounts.models import Account, Contact
from workflows.inputs import Checker, parse_id
from workflows.keys import OPPORTUNITY, business_key
from workflows.org.visibility import Viewer, can_see_owner, require_visible
from workflows.process_kinds import kinds

from .models import CLOSED, SOURCES, BusinessType, Opportunity, StageVisit
from .pipeline import Stage, stages

REOPEN_MESSAGE = "reopen"
Owned = TypeVar("Owned", Account, Contact)


@dataclass(frozen=True)
class OpportunityInput:
    """What a person types into the opportunity form, as text, before it is checked."""

    name: str
    account_id: str
    business_type_id: str
    amount: str
    expected_close_date: str = ""
    source: str = ""
    contact_id: str = ""
    owner: str = ""


@dataclass(frozen=True)
class StageWork:
    """The open stage of an opportunity: its task, form and playbook."""

    task: HumanTask
    stage: Stage
    form: list[FormField]


def create_opportunity(session: Session, engine: ProcessEngine, actor: Viewer,
                       data: OpportunityInput, now: datetime) -> Opportunity:
    """Check the input, save the opportunity and start its business type's pipeline."""
    values = _checked(session, actor, data, creating=True)
    business_type = values.pop("business_type")
    opportunity = Opportunity(**values, business_type_id=business_type.id, status="open",
                              created_at=now, updated_at=now)
    session.add(opportunity)
    session.flush()
    instance = engine.start(session, business_type.process_key, business_key(OPPORTUNITY, opportunity.id),
                            _process_data(opportunity), actor.username)
    opportunity.process_instance_id = instance.id
    return opportunity


def update_opportunity(session: Session, engine: ProcessEngine, actor: Viewer, opportunity_id: int,
                       data: OpportunityInput, now: datetime) -> Opportunity:
    """Edit the opportunity's fields; its business type (so its pipeline) and owner stay.
    The pipeline instance learns the new name and amount, so the inbox shows them."""
    opportunity = get_opportunity(session, actor, opportunity_id)
    values = _checked(session, actor, replace(data, business_type_id=str(opportunity.business_type_id),
                                              owner=opportunity.owner), creating=False)
    values.pop("business_type")
    for name, value in values.items():
        setattr(opportunity, name, value)
    opportunity.updated_at = now
    if opportunity.process_instance_id is not None:
        engine.update_data(session, opportunity.process_instance_id, _process_data(opportunity),
                           actor.username)
    return opportunity


def get_opportunity(session: Session, viewer: Viewer, opportunity_id: int) -> Opportunity:
    """The opportunity, if the viewer may see it; otherwise it "does not exist"."""
    opportunity = session.get(Opportunity, opportunity_id)
    if opportunity is None:
        raise NotFound(Phrase("This opportunity does not exist"))
    require_visible(session, viewer, opportunity.owner, "This opportunity")
    return opportunity


def pipeline_of(session: Session, engine: ProcessEngine, opportunity: Opportunity) -> list[Stage]:
    """The stages of the pipeline version this opportunity runs on."""
    instance = session.get(ProcessInstance, opportunity.process_instance_id)
    if instance is None:
        return []
    return stages(engine, session, instance.definition_id)


def stage_visits(session: Session, opportunity: Opportunity) -> list[StageVisit]:
    return list(session.scalars(select(StageVisit).where(StageVisit.opportunity_id == opportunity.id)
                                .order_by(StageVisit.id)))


def current_stage_work(session: Session, engine: ProcessEngine, opportunity: Opportunity,
                       path: list[Stage] | None = None) -> StageWork | None:
    """The stage task waiting on this opportunity, or None once it is closed; ``path`` is
    its pipeline when the caller already read it."""
    if opportunity.process_instance_id is None:
        return None
    task = session.scalars(select(HumanTask).where(
        HumanTask.instance_id == opportunity.process_instance_id, HumanTask.stage.is_not(None))
        .order_by(HumanTask.created_at)).first()
    if task is None:
        return None
    pipeline = {s.key: s for s in (path if path is not None else pipeline_of(session, engine, opportunity))}
    stage = pipeline.get(task.stage or "") or Stage(key=task.stage or "", name=task.name, probability=0)
    return StageWork(task=task, stage=stage, form=engine.task_form(session, task.id))


def advance(session: Session, engine: ProcessEngine, actor: Viewer, opportunity_id: int,
            values: dict[str, Any], actions_done: list[str]) -> Opportunity:
    """Leave the current stage: the stage form's rules (the playbook's required fields) apply."""
    return _complete_stage(session, engine, actor, opportunity_id, {**values, "outcome": "advance"},
                           actions_done)


def close(session: Session, engine: ProcessEngine, actor: Viewer, opportunity_id: int,
          outcome: str, reason: str) -> Opportunity:
    """Close as lost or abandoned from whatever stage it is in, with the reason why."""
    if outcome not in CLOSED:
        reject_fields({"outcome": Phrase("must be lost or abandoned")})
    if not reason.strip():
        reject_fields({"reason": Phrase("is required")})
    return _complete_stage(session, engine, actor, opportunity_id,
                           {"outcome": outcome, "reason": reason.strip()}, [])


def can_reopen(session: Session, opportunity: Opportunity) -> bool:
    """Closed as lost or abandoned, with its pipeline still running: waiting in a closed
    state the diagram lets it leave (the reopen message tells whether it really does)."""
    if opportunity.status not in CLOSED or opportunity.process_instance_id is None:
        return False
    instance = session.get(ProcessInstance, opportunity.process_instance_id)
    return instance is not None and instance.status == "running"


def reopen(session: Session, engine: ProcessEngine, actor: Viewer, opportunity_id: int) -> Opportunity:
    """Send the pipeline its "reopen" message with the stage the opportunity left; where the
    diagram takes it from there is the diagram's business."""
    opportunity = get_opportunity(session, actor, opportunity_id)
    if not can_reopen(session, opportunity):
        raise Conflict(Phrase("This opportunity cannot be reopened"))
    open_stages = {s.key for s in pipeline_of(session, engine, opportunity) if not s.closed}
    left = next((v.stage for v in reversed(stage_visits(session, opportunity)) if v.stage in open_stages), "")
    try:
        engine.send_message(session, REOPEN_MESSAGE, business_key(OPPORTUNITY, opportunity.id),
                            {"reopen_at": left}, actor.username)
    except NoMatchingWait:
        raise Conflict(Phrase("This pipeline does not let the opportunity be reopened now")) from None
    opportunity.close_reason = ""
    return opportunity


def _complete_stage(session: Session, engine: ProcessEngine, actor: Viewer, opportunity_id: int,
                    values: dict[str, Any], actions_done: list[str]) -> Opportunity:
    opportunity = get_opportunity(session, actor, opportunity_id)
    work = current_stage_work(session, engine, opportunity)
    if work is None:
        raise Conflict(Phrase("This opportunity is closed; it has no stage to complete"))
    visit = session.scalars(select(StageVisit).where(
        StageVisit.opportunity_id == opportunity.id, StageVisit.left_at.is_(None))).first()
    if visit is not None:
        visit.actions_done = [a for a in actions_done if a in work.stage.playbook]
    known = {f.id for f in work.form}
    engine.complete(session, work.task.id, {k: v for k, v in values.items() if k in known},
                    actor.username)
    return opportunity


def business_types(session: Session, active_only: bool = True) -> list[BusinessType]:
    return kinds(session, BusinessType, active_only)


def _process_data(opportunity: Opportunity) -> dict[str, Any]:
    """What the pipeline starts with: who owns it, and the columns the inbox shows."""
    return {"owner": opportunity.owner, "title": opportunity.name, "amount": str(opportunity.amount),
            "opportunity_id": opportunity.id}


def _checked(session: Session, actor: Viewer, data: OpportunityInput, creating: bool) -> dict[str, Any]:
    """Every field checked at once; the values ready to set on the row."""
    check = Checker()
    name = check.text("name", data.name, 200, required=True)
    account = _visible(session, actor, Account, data.account_id)
    if account is None:
        check.problem("account_id", Phrase("choose an account you can see"))
    contact = _visible(session, actor, Contact, data.contact_id) if data.contact_id.strip() else None
    if data.contact_id.strip() and (contact is None or account is None or contact.account_id != account.id):
        check.problem("contact_id", Phrase("choose a contact of this account"))
    type_id = parse_id(data.business_type_id)
    business_type = session.get(BusinessType, type_id) if type_id is not None else None
    if business_type is None or (creating and not business_type.active):
        check.problem("business_type_id", Phrase("choose an active business type"))
    amount = check.money("amount", data.amount)
    close_date = check.date("expected_close_date", data.expected_close_date)
    source = check.choice("source", data.source, ("", *SOURCES))
    owner = data.owner.strip().lower() or actor.username
    if owner != actor.username and not can_see_owner(session, actor, owner):
        check.problem("owner", Phrase("must be you or someone in your part of the organisation"))
    check.done()
    return {"name": name, "account_id": account.id if account else None,
            "contact_id": contact.id if contact else None, "business_type": business_type,
            "amount": amount, "expected_close_date": close_date, "source": source, "owner": owner}


def _visible(session: Session, actor: Viewer, model: type[Owned], raw_id: str) -> Owned | None:
    row_id = parse_id(raw_id)
    row = session.get(model, row_id) if row_id is not None else None
    return row if row is not None and can_see_owner(session, actor, row.owner) else None
