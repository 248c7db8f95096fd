"""The service tasks of the ``visit_plan`` diagram, by the names it calls them.

``visit.remind`` tells the owner once per plan and schedule: the notification's key names
the plan and the instance, and a reschedule starts a new instance, so a timer firing late,
a retried step or a catch-up after an outage never tells twice, while a new time gets its
own reminder. A visit already over when the timer finally fires gets none: its log task is
what matters then. ``visit.log`` logs the visit on its record through the same use case a
person logging it by hand runs, as the plan's owner, so a visit with a lead counts as a
contact with it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.errors import NotFound
from core.phrases import Phrase
from engine import ServiceCall
from notifications import Notice, notify
from workflows.activities.service import ActivityInput, log_activity
from workflows.keys import VISIT, record_id
from workflows.org.models import User
from workflows.org.recipients import recipient
from workflows.org.visibility import viewer_of
from workflows.services import Service

from .models import VisitPlan


def remind(call: ServiceCall, now: datetime) -> dict[str, bool]:
    """Remind the owner of the visit to come, unless it is already over or called off."""
    plan = _plan(call)
    to = recipient(call.session, plan.owner)
    if plan.status != "planned" or now >= plan.ends_at or to is None:
        return {"reminded": False}
    notice = Notice(to, "reminder", f"{VISIT}:{plan.id}:remind:{call.instance_id}", link=f"/visits/{plan.id}",
                    context={"task": plan.purpose, "record": plan.title, "due_at": plan.starts_at})
    if notify(call.session, notice, now) is None:  # they want reminders nowhere
        return {"reminded": False}
    plan.reminded_at = now
    return {"reminded": True}


def log(call: ServiceCall, now: datetime) -> dict[str, int | None]:
    """Log the visit on its record with what the owner told, and mark the plan logged.

    A record the owner no longer sees (handed to a colleague, back in a pool) cannot take
    the log; the plan still counts as logged, so the owner is not left with a task no one
    can complete, and the instance history keeps what they wrote."""
    plan = _plan(call)
    if plan.status == "logged":
        return {"activity_id": plan.activity_id}
    owner = call.session.scalars(select(User).where(User.username == plan.owner)).one()
    day = plan.starts_at.astimezone(ZoneInfo(owner.timezone)).date()
    outcome, next_step = (str(call.data.get(name) or "") for name in ("outcome", "next_step"))
    told = ActivityInput(kind=plan.kind, happened_on=day.isoformat(), outcome=outcome, next_step=next_step)
    try:
        activity = log_activity(call.session, viewer_of(owner), plan.subject_type, plan.subject_id, told,
                                owner.timezone, now)
        plan.activity_id = activity.id
    except NotFound:
        plan.activity_id = None
    plan.status, plan.updated_at = "logged", now
    return {"activity_id": plan.activity_id}


def _plan(call: ServiceCall) -> VisitPlan:
    plan_id = record_id(VISIT, call.business_key)
    plan = call.session.get(VisitPlan, plan_id) if plan_id is not None else None
    if plan is None:
        raise NotFound(Phrase("The visit of this process does not exist"))
    return plan


# Each service by the name diagrams call it.
SERVICES: dict[str, Service] = {"visit.remind": remind, "visit.log": log}
