"""The service tasks the contract approval diagram calls, registered with the engine by name.

Each runs inside the step's transaction, so the contract's status, its approval round and
the process can never disagree: if a step fails, none of it happened. They find their
contract from the instance's business key (``contract:<id>``) and refuse, with the
contract's own message, any move its status does not allow.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput, NotFound
from core.phrases import Phrase
from engine import ServiceCall
from workflows.contracts.models import Contract
from workflows.contracts.plan import open_plan
from workflows.contracts.status import mark_active, mark_cancelled, mark_rejected, mark_submitted
from workflows.keys import CONTRACT, record_id

from .models import ApprovalRound
from .routing import route


def submit(call: ServiceCall, now: datetime) -> dict[str, str | int]:
    """Lock the contract's figures and open a round on them: what the decision table routes."""
    contract = _contract(call)
    figures = contract.figures
    if figures.margin is None:
        raise InvalidInput(Phrase("Contract %(number)s has no revenue to approve: add its lines",
                                  number=contract.number))
    mark_submitted(contract, now)
    contract.approval_instance_id = call.instance_id
    number = 1 + (call.session.scalar(select(func.max(ApprovalRound.number))
                                      .where(ApprovalRound.contract_id == contract.id)) or 0)
    call.session.add(ApprovalRound(
        contract_id=contract.id, number=number, instance_id=call.instance_id,
        submitted_by=_submitter(call, contract), submitted_at=now, revenue=figures.revenue,
        gross_margin=figures.gross_margin, margin=figures.margin,
        note=str(call.data.get("note") or "")[:2000]))
    return {"number": contract.number, "revenue": str(figures.revenue), "margin": str(figures.margin),
            "round": number}


def find_approvers(call: ServiceCall, now: datetime) -> dict[str, str]:
    """Role -> who works that role's approval task in this round."""
    roles = [str(role) for role in call.data.get("approver_role") or []]
    if not roles:
        raise InvalidInput(Phrase("The decision table named no approver for this contract"))
    current = _current_round(call.session, call.instance_id)
    found = route(call.session, current.submitted_by, roles, now)
    current.roles, current.approvers, current.stand_ins = roles, found.approvers, found.stand_ins
    return found.approvers


def activate(call: ServiceCall, now: datetime) -> None:
    """Every approver agreed: the round is approved, the contract active with a first plan."""
    _close_round(call, "approved", now)
    contract = _contract(call)
    mark_active(contract, now)
    open_plan(contract, now.date())


def send_back(call: ServiceCall, now: datetime) -> None:
    """An approver rejected: the figures unlock for the owner's revision."""
    _close_round(call, "rejected", now)
    mark_rejected(_contract(call), now)


def withdraw(call: ServiceCall, now: datetime) -> None:
    mark_cancelled(_contract(call), now)


def current_round(session: Session, instance_id: int) -> ApprovalRound | None:
    """The round an approval instance is collecting decisions for, if any."""
    return session.scalars(select(ApprovalRound).where(
        ApprovalRound.instance_id == instance_id, ApprovalRound.outcome == "pending")).first()


def latest_round(session: Session, instance_id: int) -> ApprovalRound | None:
    return session.scalars(select(ApprovalRound).where(ApprovalRound.instance_id == instance_id)
                           .order_by(ApprovalRound.number.desc()).limit(1)).first()


def _close_round(call: ServiceCall, outcome: str, now: datetime) -> None:
    closing = _current_round(call.session, call.instance_id)
    closing.outcome, closing.decided_at = outcome, now


def _current_round(session: Session, instance_id: int) -> ApprovalRound:
    found = current_round(session, instance_id)
    if found is None:
        raise Conflict(Phrase("This approval has no open round"))
    return found


def _contract(call: ServiceCall) -> Contract:
    contract_id = record_id(CONTRACT, call.business_key)
    contract = call.session.scalars(
        select(Contract).where(Contract.id == contract_id).with_for_update(of=Contract)
        .execution_options(populate_existing=True)).first() if contract_id else None
    if contract is None:
        raise NotFound(Phrase("The contract of this approval does not exist"))
    return contract


def _submitter(call: ServiceCall, contract: Contract) -> str:
    owner = call.data.get("owner")
    return owner if isinstance(owner, str) and owner else contract.owner
