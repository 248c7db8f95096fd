"""Submitting a contract for approval: the preview of who will approve and why, the
submission itself, and the owner's answer to a rejection (resubmit or withdraw).

The route is the contract type's approval process: the preview evaluates the decision
table of the version a submission would start (or, for a resubmission, the version the
contract's approval runs), on the contract's current margin, and resolves each role to a
person exactly as the process's own service will. Functions work in the caller's
``Session`` and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Conflict, DealflowError, InvalidInput, reject_fields
from core.phrases import Phrase
from engine import Decision, HumanTask, ProcessEngine, ProcessInstance
from workflows.contracts.figures import Figures
from workflows.contracts.models import Contract
from workflows.contracts.service import get_contract
from workflows.contracts.status import STATUS_NAMES, mark_cancelled
from workflows.keys import CONTRACT, business_key
from workflows.org.visibility import Viewer

from .routing import Route, route

NOTE_MAX = 2000


@dataclass(frozen=True)
class Preview:
    """What submitting would do now; ``problem`` says why it cannot, when it cannot."""

    contract: Contract
    figures: Figures
    decision: Decision | None
    route: Route | None
    problem: str | None

    @property
    def roles(self) -> list[str]:
        return list(self.decision.result.get("approver_role") or []) if self.decision else []


def preview_submission(session: Session, engine: ProcessEngine, viewer: Viewer, contract_id: int,
                       now: datetime) -> Preview:
    """Who will have to approve the contract as it stands, and which rules of the table said so."""
    contract = get_contract(session, viewer, contract_id)
    figures = contract.figures
    if figures.margin is None:
        return Preview(contract, figures, None, None, Phrase("Add the contract's lines first: "
                                                             "without revenue there is no margin to approve"))
    try:
        decision = engine.decide(session, None, {"margin": str(figures.margin)},
                                 key=contract.contract_type.approval_process_key,
                                 definition_id=_running_version(session, contract))
        roles = [str(role) for role in decision.result.get("approver_role") or []]
        return Preview(contract, figures, decision, route(session, contract.owner, roles, now), None)
    except DealflowError as exc:  # a table or an org tree that cannot route this contract
        return Preview(contract, figures, None, None, exc.args[0])


def submit_contract(session: Session, engine: ProcessEngine, viewer: Viewer, contract_id: int,
                    note: str) -> ProcessInstance:
    """Send a draft for approval, or a rejected contract back to its approvers: the process
    locks the figures and routes them afresh."""
    contract = get_contract(session, viewer, contract_id, for_update=True)
    note = _note(note)
    if contract.figures.margin is None:
        reject_fields({"lines": Phrase("add at least one line with a price before submitting")})
    if contract.status == "rejected":
        return _answer_revision(session, engine, viewer, contract, {"action": "resubmit", "note": note})
    if contract.status != "draft":
        raise Conflict(Phrase("Contract %(number)s is %(status)s; only a draft or a contract sent back "
                              "for revision can be submitted", number=contract.number,
                              status=STATUS_NAMES[contract.status]))
    return engine.start(session, contract.contract_type.approval_process_key,
                        business_key(CONTRACT, contract.id),
                        {"owner": contract.owner, "note": note, "title": contract.number}, viewer.username)


def withdraw_contract(session: Session, engine: ProcessEngine, viewer: Viewer, contract_id: int,
                      now: datetime) -> None:
    """Give up on a draft or on a contract sent back for revision; its approval, if any, ends."""
    contract = get_contract(session, viewer, contract_id, for_update=True)
    if contract.status == "rejected":
        _answer_revision(session, engine, viewer, contract, {"action": "withdraw", "note": ""})
        return
    mark_cancelled(contract, now)


def _answer_revision(session: Session, engine: ProcessEngine, viewer: Viewer, contract: Contract,
                     answer: dict[str, str]) -> ProcessInstance:
    """Complete the owner's revision task of the contract's approval with ``answer``: once the
    round is closed it is the only task of the approval assigned to the owner."""
    task_id = session.scalar(select(HumanTask.id)
                             .where(HumanTask.instance_id == contract.approval_instance_id,
                                    HumanTask.assignee == contract.owner)
                             .order_by(HumanTask.created_at).limit(1))
    if task_id is None:
        raise Conflict(Phrase("Contract %(number)s has no revision waiting", number=contract.number))
    return engine.complete(session, task_id, answer, viewer.username)


def _running_version(session: Session, contract: Contract) -> int | None:
    """A resubmission is routed by the version its approval runs; a first one (None) by the latest."""
    if contract.status == "rejected" and contract.approval_instance_id is not None:
        return session.get_one(ProcessInstance, contract.approval_instance_id).definition_id
    return None


def _note(note: str) -> str:
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput(Phrase("note: must be at most %(count)s characters", count=NOTE_MAX))
    return note
