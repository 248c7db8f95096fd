"""Demo visits: a few visits and meetings the Team 1 reps have planned with their customers
in the days ahead, planned through the same use case a rep runs, so each has its reminder
and its log task to come. Idempotent: a plan is matched by owner and purpose. Skipped
until the ``visit_plan`` process is deployed."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import ProcessDefinition, ProcessEngine
from workflows.accounts.models import Account
from workflows.leads.models import Lead
from workflows.org.models import User
from workflows.org.visibility import viewer_of

from .models import VisitPlan
from .plans import PROCESS, VisitInput, plan_visit

# owner, the record (an account or a lead of theirs, by name), days ahead, local hour, kind, purpose
PLANS = (
    ("zhang.wei", "account", 1, 10, "visit", "产线改造方案交流 Walk the line for the retrofit proposal"),
    ("zhang.wei", "lead", 2, 14, "meeting", "AGV 演示 AGV demo for the logistics team"),
    ("wang.fang", "lead", 1, 15, "visit", "Plant tour and needs assessment"),
    ("li.na", "account", 3, 9, "visit", "年度框架续签 Framework renewal talk"),
)


def load_demo_visits(session: Session, engine: ProcessEngine, now: datetime) -> None:
    if session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == PROCESS).limit(1)) is None:
        return
    rows = session.execute(select(VisitPlan.owner, VisitPlan.purpose))
    planned = {(owner, purpose) for owner, purpose in rows}
    for owner, subject_type, days, hour, kind, purpose in PLANS:
        user = session.scalars(select(User).where(User.username == owner)).first()
        record_id = _first_record(session, subject_type, owner)
        if user is None or record_id is None or (owner, purpose) in planned:
            continue
        day = now.astimezone(ZoneInfo(user.timezone)).date() + timedelta(days=days)
        starts = datetime.combine(day, time(hour)).strftime("%Y-%m-%dT%H:%M")
        data = VisitInput(starts_at=starts, purpose=purpose, kind=kind, duration="90")
        plan_visit(session, engine, viewer_of(user), subject_type, record_id, data, user.timezone, now)


def _first_record(session: Session, subject_type: str, owner: str) -> int | None:
    model = Account if subject_type == "account" else Lead
    return session.scalar(select(model.id).where(model.owner == owner).order_by(model.id).limit(1))
