"""Demo leads: a public pool per branch with its people as members (managers as pool
admins), a few leads being worked by the reps (last reached days or weeks ago, so their
follow-up cycles have something to show), and a few waiting in each pool.

Idempotent: pools are matched by name and leads by (name, company).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.org.models import MANAGER_ROLES, OrgUnit, User

from .models import Lead, Pool, PoolMember
from .service import LeadInput, create_lead

POOLS = (
    ("上海公海 Shanghai pool", "上海分公司 Shanghai branch"),
    ("杭州公海 Hangzhou pool", "杭州分公司 Hangzhou branch"),
)


def _lead(name: str, company: str, title: str, phone: str, region: str, industry: str, size: str,
          source: str, rating: str, email: str = "") -> LeadInput:
    return LeadInput(name=name, company=company, title=title, phone=phone, email=email, region=region,
                     industry=industry, size=size, source=source, rating=rating)


# owner (None: waiting in the pool), the branch pool's index, days since it was last reached, the lead
LEADS = (
    ("zhang.wei", 0, 2, _lead("刘建华", "上海锦程物流有限公司", "物流总监", "13816612345", "上海", "物流",
                           "200-999", "website", "hot")),
    ("wang.fang", 0, 10, _lead("Emily Zhou", "Suzhou Precision Parts Co., Ltd.", "Plant manager",
                               "13962150001", "江苏", "制造", "50-199", "event", "warm",
                               "emily.zhou@szprecision.example")),
    ("sun.li", 1, 28, _lead("陈思远", "杭州云栖电子科技有限公司", "采购经理", "13757112233", "浙江", "电子",
                        "50-199", "referral", "warm")),
    (None, 0, 0, _lead("周立群", "上海申达仓储有限公司", "总经理", "13901770011", "上海", "仓储", "1-49",
                    "phone_in", "cold")),
    (None, 0, 0, _lead("孙海", "昆山立达机械有限公司", "设备科长", "13584560099", "江苏", "机械", "200-999",
                    "business_card", "warm")),
    (None, 1, 0, _lead("郑晓", "宁波港联供应链有限公司", "运营总监", "13805741234", "浙江", "物流", "1000+",
                    "wechat", "hot")),
)


def load_demo_leads(session: Session, now: datetime) -> None:
    """Create whatever part of the demo pools and leads is missing; the caller commits."""
    pools = [_pool(session, name, branch, now) for name, branch in POOLS]
    existing = {(name, company) for name, company in session.execute(select(Lead.name, Lead.company))}
    for owner, pool_index, days, data in LEADS:
        if (data.name, data.company) not in existing:
            lead = create_lead(session, None, data, now, owner=owner, pool_id=pools[pool_index].id)
            if owner is not None:  # so the demo shows follow-ups due, no-contact flags and a warning
                lead.assigned_at = lead.last_contacted_at = now - timedelta(days=days)
                lead.status = "working"


def _pool(session: Session, name: str, branch: str, now: datetime) -> Pool:
    pool = session.scalars(select(Pool).where(Pool.name == name)).first()
    if pool is not None:
        return pool
    pool = Pool(name=name, created_at=now)
    session.add(pool)
    session.flush()
    unit_path = session.scalars(select(OrgUnit.path).where(OrgUnit.name == branch)).one()
    people = session.scalars(select(User).join(OrgUnit, OrgUnit.id == User.org_unit_id)
                             .where(OrgUnit.path.startswith(unit_path)))
    for person in people:
        role = "admin" if set(person.roles) & MANAGER_ROLES else "member"
        session.add(PoolMember(pool_id=pool.id, user_id=person.id, role=role))
    session.flush()
    return pool
