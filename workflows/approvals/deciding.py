"""Approve or reject approval tasks, one or many at once, each with its own outcome.

Each task is decided in its own unit of work, so a task someone else decided meanwhile (or
one whose round another approver's rejection ended) is reported and the others still go
through. Decisions go through the engine as a completion of the task's own form; the
approval's step observer records them. A task the viewer may not see is "not found",
never decided, and the answer never says whether it exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.errors import DealflowError, NotFound, reject_fields
from core.phrases import Phrase
from core.uow import UnitOfWork
from engine import HistoryEvent, ProcessEngine, TaskAlreadyCompleted, TaskAssignedToOther
from workflows.accounts.models import Account
from workflows.contracts.models import Contract
from workflows.org.models import User
from workflows.org.visibility import Viewer, can_see_owner, visible_task_condition

from .inbox import ApprovalRow, approval_rows
from .models import DECISIONS, ApprovalDecision, ApprovalRound

MAX_TASKS = 200
COMMENT_MAX = 2000
OUTCOMES = {"approve": "approved", "reject": "rejected"}
# What became of one task: decided (approved, rejected) or why not.
STATUSES = ("approved", "rejected", "already_decided", "closed", "not_yours", "not_found", "refused")
NOT_FOUND = Phrase("This task does not exist, is no longer open, or is not yours to see")


@dataclass(frozen=True)
class Result:
    """One task's outcome; ``number`` and ``account`` name its contract when it could be read."""

    task_id: str
    status: str
    problem: str | None = None  # a Phrase saying why it was not decided
    number: str | None = None
    account: str | None = None

    @property
    def decided(self) -> bool:
        return self.status in ("approved", "rejected")


def checked_request(task_ids: Sequence[str], decision: str, comment: str) -> tuple[list[str], str]:
    """The distinct task ids and the trimmed comment, or InvalidInput naming what is wrong: no
    task, too many, an unknown decision, a rejection without a comment."""
    ids = list(dict.fromkeys(task_id.strip() for task_id in task_ids if task_id.strip()))
    comment = comment.strip()
    problems: dict[str, str] = {}
    if not ids:
        problems["task_ids"] = Phrase("select at least one task")
    elif len(ids) > MAX_TASKS:
        problems["task_ids"] = Phrase("at most %(count)s tasks can be decided at once", count=MAX_TASKS)
    if decision not in DECISIONS:
        problems["decision"] = Phrase("is not one of the allowed values")
    if decision == "reject" and not comment:
        problems["comment"] = Phrase("is required when you reject")
    elif len(comment) > COMMENT_MAX:
        problems["comment"] = Phrase("must be at most %(count)s characters", count=COMMENT_MAX)
    reject_fields(problems)
    return ids, comment


def decide_tasks(session_factory: sessionmaker[Session], engine: ProcessEngine, viewer: Viewer,
                 task_ids: Sequence[str], decision: str, comment: str) -> list[Result]:
    """Approve or reject each task as ``viewer``, one unit of work each; results in the order given.
    The request as a whole is refused (InvalidInput) before anything is decided when it is
    unusable (see :func:`checked_request`)."""
    ids, comment = checked_request(task_ids, decision, comment)
    return [_decide_one(session_factory, engine, viewer, task_id, decision, comment) for task_id in ids]


def preview_tasks(session: Session, viewer: Viewer, task_ids: Sequence[str]) -> tuple[list[ApprovalRow],
                                                                                     list[Result]]:
    """What a confirmation page lists: the open approval tasks among ``task_ids`` the viewer may
    see, and for each of the others why it cannot be decided any more."""
    ids = list(dict.fromkeys(task_ids))[:MAX_TASKS]
    rows = approval_rows(session, viewer, ids)
    open_ids = {row.task_id for row in rows}
    return rows, [closed_result(session, viewer, task_id) for task_id in ids if task_id not in open_ids]


def _decide_one(session_factory: sessionmaker[Session], engine: ProcessEngine, viewer: Viewer,
                task_id: str, decision: str, comment: str) -> Result:
    row: ApprovalRow | None = None
    try:
        with UnitOfWork(session_factory) as uow:
            found = approval_rows(uow.session, viewer, [task_id])
            if not found:
                return closed_result(uow.session, viewer, task_id)
            row = found[0]
            if row.assignee not in (None, viewer.username):
                assigned = Phrase("Not yours: this task is assigned to %(name)s",
                                  name=row.assignee_name or row.assignee)
                return _failed(task_id, "not_yours", assigned, row)
            engine.complete(uow.session, task_id, {"decision": decision, "comment": comment}, viewer.username,
                            within=visible_task_condition(viewer))
            uow.commit()
    except TaskAlreadyCompleted:  # decided by someone else while we waited for the lock
        with session_factory() as session:
            closed = closed_result(session, viewer, task_id)
        return Result(task_id, closed.status, closed.problem, *_names(row))
    except TaskAssignedToOther as exc:  # handed to someone else meanwhile
        return _failed(task_id, "not_yours", _message(exc), row)
    except NotFound:  # out of sight since it was read
        return Result(task_id, "not_found", NOT_FOUND)
    except DealflowError as exc:  # the form's rules, the nobody-decides-their-own rule, a busy instance
        return _failed(task_id, "refused", _message(exc), row)
    return Result(task_id, OUTCOMES[decision], None, *_names(row))


def closed_result(session: Session, viewer: Viewer, task_id: str) -> Result:
    """Why a task that is not open (or not visible) cannot be decided: someone decided it, or
    another approver's rejection ended its round, or, to anyone who could not have seen it,
    it is simply not found."""
    decided = session.execute(select(ApprovalDecision, ApprovalRound).join(ApprovalRound)
                              .where(ApprovalDecision.task_guid == task_id)).first()
    if decided is not None:
        decision, its_round = decided
        if not _may_see(session, viewer, its_round):
            return Result(task_id, "not_found", NOT_FOUND)
        outcome = Phrase("approved") if decision.decision == "approve" else Phrase("rejected")
        return Result(task_id, "already_decided", Phrase(
            "Already decided by %(name)s: %(decision)s", name=_display(session, decision.approver),
            decision=outcome), *_contract_names(session, its_round))
    cancelled = session.scalars(select(HistoryEvent).where(
        HistoryEvent.task_guid == task_id, HistoryEvent.event == "task_cancelled").limit(1)).first()
    ended = _ended_round(session, cancelled) if cancelled is not None else None
    if ended is None or not _may_see(session, viewer, ended):
        return Result(task_id, "not_found", NOT_FOUND)
    rejecter = next((d.approver for d in ended.decisions if d.decision == "reject"), None)
    problem = (Phrase("Closed: %(name)s rejected the contract, which ended this round",
                      name=_display(session, rejecter)) if rejecter is not None
               else Phrase("Closed: the approval ended without this decision"))
    return Result(task_id, "closed", problem, *_contract_names(session, ended))


def _ended_round(session: Session, cancelled: HistoryEvent) -> ApprovalRound | None:
    """The round that was open when the task was closed: the last one decided by then."""
    return session.scalars(select(ApprovalRound).where(
        ApprovalRound.instance_id == cancelled.instance_id, ApprovalRound.submitted_at <= cancelled.at)
        .order_by(ApprovalRound.number.desc()).limit(1)).first()


def _may_see(session: Session, viewer: Viewer, its_round: ApprovalRound) -> bool:
    """A closed task was visible to those asked in its round and to whoever sees the submitter
    or an approver, as the visibility rule had it while the task was open."""
    people = {its_round.submitted_by, *its_round.approvers.values(), *its_round.stand_ins.values()}
    return viewer.username in people or any(can_see_owner(session, viewer, name) for name in sorted(people))


def _contract_names(session: Session, its_round: ApprovalRound) -> tuple[str | None, str | None]:
    found = session.execute(select(Contract.number, Account.name)
                            .join(Account, Account.id == Contract.account_id)
                            .where(Contract.id == its_round.contract_id)).first()
    return (found[0], found[1]) if found is not None else (None, None)


def _display(session: Session, username: str | None) -> str:
    if username is None:
        return ""
    return session.scalar(select(User.display_name).where(User.username == username)) or username


def _names(row: ApprovalRow | None) -> tuple[str | None, str | None]:
    return (row.number, row.account) if row is not None else (None, None)


def _failed(task_id: str, status: str, problem: str, row: ApprovalRow | None) -> Result:
    return Result(task_id, status, problem, *_names(row))


def _message(exc: Exception) -> str:
    return exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
