"""What the contract page tells about a contract's approval: every round with its decisions,
who is deciding right now, and the display names of everyone involved.

Read from the round rows and the open-task projection, never from process state, in a
fixed number of queries however many rounds and decisions there are.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from engine import HumanTask
from workflows.contracts.models import Contract
from workflows.org.recipients import display_names

from .models import ApprovalDecision, ApprovalRound


@dataclass(frozen=True)
class ApprovalHistory:
    """A contract's rounds (newest first), the people with an open task in its approval,
    and a display name for each username either mentions."""

    rounds: list[ApprovalRound]
    waiting_for: list[str]
    names: dict[str, str]

    def name(self, username: str) -> str:
        return self.names.get(username, username)

    @property
    def waiting_names(self) -> list[str]:
        return [self.name(username) for username in self.waiting_for]

    @property
    def rejections(self) -> list[ApprovalDecision]:
        """The decisions that sent the latest round back, when it was sent back."""
        if not self.rounds or self.rounds[0].outcome != "rejected":
            return []
        return [d for d in self.rounds[0].decisions if d.decision == "reject"]


def approval_history(session: Session, contract: Contract) -> ApprovalHistory:
    """The approval story of a contract the caller already may see: loaded through
    ``get_contract`` (the contract page) or granted by an approval task (the task page).
    The page has the contract in hand, so visibility is not checked a second time here."""
    rounds = _rounds(session, contract.id)
    waiting = _open_assignees(session, contract, rounds[0] if rounds else None)
    asked = (name for r in rounds for name in (*r.approvers.values(), *r.stand_ins.values()))
    decided = (name for r in rounds for d in r.decisions for name in (d.approver, d.on_behalf_of) if name)
    people = [*waiting, *(r.submitted_by for r in rounds), *asked, *decided]
    return ApprovalHistory(rounds, waiting, display_names(session, people))


def _rounds(session: Session, contract_id: int) -> list[ApprovalRound]:
    # selectinload: all rounds' decisions in one more query, not one per round.
    return list(session.scalars(select(ApprovalRound).where(ApprovalRound.contract_id == contract_id)
                                .options(selectinload(ApprovalRound.decisions))
                                .order_by(ApprovalRound.number.desc())))


def _open_assignees(session: Session, contract: Contract, latest: ApprovalRound | None) -> list[str]:
    """Who has an open task in a submitted contract's approval, in the order of the roles
    the table routed to (the tasks themselves were all created at the same moment)."""
    if contract.status != "submitted" or contract.approval_instance_id is None:
        return []
    found = session.scalars(select(HumanTask.assignee)
                            .where(HumanTask.instance_id == contract.approval_instance_id,
                                   HumanTask.assignee.is_not(None))
                            .order_by(HumanTask.created_at))
    waiting = [name for name in dict.fromkeys(found) if name]
    asked = list(latest.approvers.values()) if latest is not None else []
    return sorted(waiting, key=lambda name: asked.index(name) if name in asked else len(asked))
