"""Keep each approval decision as a row of its round, whoever recorded it.

Registered with the engine as a step observer: an approver's decision is taken from the
completed task's form data in the step's own transaction, from the inbox, the task page,
a bulk approval or the JSON API alike. The decision's role is the item of the
multi-instance task it was made on, so a delegate's or a manager's decision still counts
for the role it was asked of, with both names kept. Each row also keeps when its task reached
the approver, read from the engine's history once here, so the turnaround report need not
search the history for every decision it counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import PermissionDenied
from core.phrases import Phrase
from engine import HistoryEvent, ProcessInstance
from notifications import Notice, notify
from workflows.contracts.models import Contract
from workflows.keys import CONTRACT, record_id
from workflows.org.recipients import display_name, recipient

from .models import DECISIONS, ApprovalDecision, ApprovalRound
from .rounds import latest_round

# The history events by which a task reaches someone: the engine created it for them, or it was
# handed to them later (a handover).
REACHED = ("task_created", "task_assigned")


def record_decisions(session: Session, instance: ProcessInstance, events: Sequence[HistoryEvent]) -> None:
    """The engine's step observer: one :class:`ApprovalDecision` per decided approval task."""
    if record_id(CONTRACT, instance.business_key) is None:
        return
    decided = [e for e in events if e.event == "task_completed"
               and ((e.details or {}).get("data") or {}).get("decision") in DECISIONS]
    if not decided:
        return
    # The round these decisions belong to, even if this very step closed it.
    decided_round = latest_round(session, instance.id)
    if decided_round is None:
        return
    for event in decided:
        decision = _decision(decided_round, event)
        decision.reached_at = reached_at(session, decision.task_guid, decision.decided_at)
        session.add(decision)
        if decision.decision == "reject" or decided_round.outcome == "approved":
            _tell_submitter(session, decided_round, decision)


def _tell_submitter(session: Session, decided: ApprovalRound, decision: ApprovalDecision) -> None:
    """The submitter learns the round's outcome: the rejection that ended it, or the last approval."""
    to = recipient(session, decided.submitted_by)
    if to is None:
        return
    outcome = "rejected" if decision.decision == "reject" else "approved"
    number = session.get_one(Contract, decided.contract_id).number
    context = {"record": number, "decision": outcome, "decided_by": display_name(session, decision.approver)}
    if decision.comment:
        context["comment"] = decision.comment
    notify(session, Notice(to, "approval_decided", f"approval-round:{decided.id}:{outcome}", context,
                           link=f"/contracts/{decided.contract_id}"), decision.decided_at)


def _decision(open_round: ApprovalRound, event: HistoryEvent) -> ApprovalDecision:
    details = event.details or {}
    data, item = details.get("data") or {}, details.get("item") or {}
    actor = event.actor or ""
    if actor == open_round.submitted_by:
        raise PermissionDenied(Phrase("You cannot decide on a contract you submitted"))
    role = str(item.get("role") or "")
    asked = open_round.approvers.get(role)
    on_behalf_of = open_round.stand_ins.get(role) or (asked if asked and asked != actor else None)
    return ApprovalDecision(
        task_guid=event.task_guid, role=role, approver=actor, on_behalf_of=on_behalf_of,
        decision=data["decision"], comment=str(data.get("comment") or ""), decided_at=event.at,
        round_id=open_round.id)


def reached_at(session: Session, task_guid: str, decided_at: datetime) -> datetime | None:
    """The latest moment, at or before the decision, the task was created for or handed to its
    approver (one probe of the history's ``task_guid`` index); None when the history has none."""
    return session.scalar(select(func.max(HistoryEvent.at)).where(
        HistoryEvent.task_guid == task_guid, HistoryEvent.event.in_(REACHED), HistoryEvent.at <= decided_at))
