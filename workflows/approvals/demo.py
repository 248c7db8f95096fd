"""Demo approvals: the first demo contract is submitted by its owner, so the directors of
her branch and head office find it waiting in their approval inbox.

Submitted through the engine exactly as the rep would, once the approval process is
deployed. Idempotent: only a demo draft nobody has submitted yet is submitted.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import ProcessDefinition, ProcessEngine
from workflows.contracts.demo import DRAFTS
from workflows.contracts.models import Contract
from workflows.org.models import User
from workflows.org.visibility import viewer_of

from .submission import submit_contract

DEMO_NOTE = "客户希望年底前交付 The customer wants delivery before the year end."


def load_demo_approvals(session: Session, engine: ProcessEngine) -> None:
    """Submit the first demo contract for approval, if it is still an untouched draft."""
    contract = session.scalars(select(Contract).where(Contract.note == DRAFTS[0][2])).first()
    if contract is None or contract.status != "draft" or contract.approval_instance_id is not None:
        return
    key = contract.contract_type.approval_process_key
    if session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == key).limit(1)) is None:
        return
    owner = session.scalars(select(User).where(User.username == contract.owner)).one()
    submit_contract(session, engine, viewer_of(owner), contract.id, DEMO_NOTE)
