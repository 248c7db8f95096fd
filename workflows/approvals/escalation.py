"""Escalation of approvals nobody decides: the diagram's timers call ``approval.remind``
with ``to`` = "approver" (two working days, by default) or "manager" (a day later).

Each open approval task of the instance yields one notification to its assignee, or to
the assignee's manager, keyed by the timer's task and the approval task, so a timer that
catches up or a retried step never tells anyone twice. The instance history records who
was told, next to the decisions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from core.errors import InvalidInput
from core.phrases import Phrase
from engine import HistoryEvent, HumanTask, ProcessInstance, ServiceCall
from notifications import Notice, notify
from workflows.keys import CONTRACT, record_id
from workflows.org.models import User
from workflows.org.recipients import recipient

AUDIENCES = ("approver", "manager")


def remind(call: ServiceCall, now: datetime) -> dict[str, Any]:
    """Remind the approvers who have not decided yet, or tell their managers."""
    audience = call.params.get("to")
    if audience not in AUDIENCES:
        raise InvalidInput(Phrase("approval.remind: 'to' must be one of %(names)s",
                                  names=", ".join(AUDIENCES)))
    told: list[str] = []
    for row in call.session.execute(_WAITING, {"instance_id": call.instance_id}):
        notice = _notice(call, audience, row)
        if notice is not None and notify(call.session, notice, now) is not None:
            told.append(notice.recipient.username)
    call.session.add(HistoryEvent(
        instance_id=call.instance_id, business_key=call.business_key,
        process_key=call.session.get_one(ProcessInstance, call.instance_id).process_key,
        event="reminder_sent", task_guid=call.task_id, bpmn_id=call.element_id, at=now,
        details={"to": audience, "recipients": told}))
    return {"reminded": told}


def _notice(call: ServiceCall, audience: str, row: Any) -> Notice | None:
    task_id, task_name, title, due_at, created_at, assignee, approver_name, manager = row
    key = f"{call.idempotency_key}:{task_id}"
    to = recipient(call.session, assignee if audience == "approver" else manager or "")
    if to is None:
        return None
    if audience == "approver":
        return Notice(to, "reminder", key, link=f"/tasks/{task_id}", context=_given(
            task=task_name, record=title, due_at=due_at, overdue=True))
    contract_id = record_id(CONTRACT, call.business_key)
    return Notice(to, "reminder", key, template="approval_escalated",
                  link=f"/contracts/{contract_id}" if contract_id else None,
                  context=_given(approver=approver_name or assignee, record=title or "",
                                 waiting_since=created_at))


def _given(**values: Any) -> dict[str, Any]:
    """A message's context: what is unknown is left out, so the message says nothing of it."""
    return {name: value for name, value in values.items() if value is not None}


_assignee, _manager = aliased(User), aliased(User)
_WAITING = (
    select(HumanTask.id, HumanTask.name, HumanTask.title, HumanTask.due_at, HumanTask.created_at,
           HumanTask.assignee, _assignee.display_name, _manager.username)
    .outerjoin(_assignee, _assignee.username == HumanTask.assignee)
    .outerjoin(_manager, _manager.id == _assignee.manager_id)
    .where(HumanTask.instance_id == bindparam("instance_id"), HumanTask.assignee.is_not(None))
    .order_by(HumanTask.created_at, HumanTask.id)
)
