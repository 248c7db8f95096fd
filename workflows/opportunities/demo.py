"""Demo pipelines: the three shipped business types and opportunities at every stage.

Opportunities are created and advanced through the engine, exactly as a rep would, so
their stage history, tasks and path bars are real. Idempotent: an opportunity is matched
by name, so a second run adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import FormField, ProcessDefinition, ProcessEngine
from workflows.accounts.models import Account
from workflows.org.models import User
from workflows.org.visibility import viewer_of

from . import service
from .models import BusinessType, Opportunity
from .service import OpportunityInput

BUSINESS_TYPES = (
    ("标准销售 Standard sale", "standard_sale"),
    ("项目招投标 Project tender", "project_tender"),
    ("非持续性项目 Non-continuing project", "non_continuing_project"),
)
SAMPLE = {"money": "150000", "decimal": "1", "long": "1", "date": "2027-03-31", "boolean": "true",
          "string": "—", "textarea": "—"}


@dataclass(frozen=True)
class _Deal:
    name: str
    business_type: int  # index into BUSINESS_TYPES
    amount: str
    stages_done: int
    closed: str = ""  # "lost" or "abandoned" after the stages done
    source: str = "website"


DEALS = (
    _Deal("AGV 物流车 40 台 (AGV fleet, 40 units)", 0, "1200000", 0),
    _Deal("PLC 控制柜改造 (PLC cabinet retrofit)", 0, "380000", 1, source="referral"),
    _Deal("智能仓储一期 (Smart warehouse phase 1)", 1, "2600000", 2, source="event"),
    _Deal("传感器年度框架 (Sensor framework agreement)", 0, "450000", 3, source="existing_customer"),
    _Deal("产线维保服务 (Line maintenance service)", 0, "96000", 4, source="phone_in"),
    _Deal("新工厂自动化 (New plant automation)", 2, "5800000", 5, source="business_card"),
    _Deal("医院物流机器人 (Hospital delivery robots)", 2, "1750000", 7, source="referral"),
    _Deal("冷链仓库改造 (Cold-chain warehouse retrofit)", 1, "900000", 1, closed="lost"),
    _Deal("安装服务 (Installation service)", 0, "60000", 2, closed="abandoned", source="phone_out"),
)


def load_demo_pipelines(session: Session, engine: ProcessEngine, now: datetime) -> None:
    """The shipped business types, then one demo deal per account, owned by its owner."""
    types = _business_types(session)
    accounts = session.scalars(select(Account).order_by(Account.id)).all()
    existing = set(session.scalars(select(Opportunity.name)))
    for deal, account in zip(DEALS, accounts, strict=False):
        business_type = types[deal.business_type]
        if deal.name not in existing and business_type is not None:
            _open(session, engine, deal, account, business_type, now)


def _business_types(session: Session) -> list[BusinessType | None]:
    """Each shipped business type, created when its pipeline is deployed and it is missing."""
    deployed = set(session.scalars(select(ProcessDefinition.key).distinct()))
    found = {t.process_key: t for t in session.scalars(select(BusinessType))}
    types: list[BusinessType | None] = []
    for name, key in BUSINESS_TYPES:
        if key not in found and key in deployed:
            found[key] = BusinessType(name=name, process_key=key, active=True)
            session.add(found[key])
        types.append(found.get(key))
    session.flush()
    return types


def _open(session: Session, engine: ProcessEngine, deal: _Deal, account: Account,
          business_type: BusinessType, now: datetime) -> None:
    owner = session.scalars(select(User).where(User.username == account.owner)).one()
    viewer = viewer_of(owner)
    opportunity = service.create_opportunity(session, engine, viewer, OpportunityInput(
        name=deal.name, account_id=str(account.id), business_type_id=str(business_type.id),
        amount=deal.amount, expected_close_date=(now + timedelta(days=90)).date().isoformat(),
        source=deal.source), now)
    for _ in range(deal.stages_done):
        work = service.current_stage_work(session, engine, opportunity)
        if work is None:
            return
        service.advance(session, engine, viewer, opportunity.id, dict(_filled(work.form)),
                        list(work.stage.playbook))
    if deal.closed:
        service.close(session, engine, viewer, opportunity.id, deal.closed, "客户预算取消 Budget cancelled")


def _filled(form: list[FormField]) -> Iterator[tuple[str, Any]]:
    """A plausible value for every field the stage gate insists on."""
    for field in form:
        if field.id != "outcome" and field.required_for({"outcome": "advance"}):
            yield field.id, field.options[0][0] if field.options else SAMPLE.get(field.type, "—")


