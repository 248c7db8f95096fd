"""Opportunities as plain rows, for tests of lists and boards (which never read workflow state).

Two branches of the demo organisation own them: wang.fang and zhang.wei (Shanghai,
team 1, managed by liu.yang) and sun.li (Hangzhou, team 3, managed by xu.tao).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import bootstrap
from workflows.accounts.models import Account
from workflows.opportunities.models import BusinessType, Opportunity

# name, account, business type, owner, stage, stage name, probability, status, amount, expected close
DEALS = (
    ("ACME robots", "ACME", "sale", "wang.fang", "discover", "Discover opportunity", 0, "open", "120000",
     date(2026, 3, 31)),
    ("ACME conveyors", "ACME", "sale", "wang.fang", "quotation", "Quotation", 40, "open", "50000",
     date(2026, 1, 15)),
    ("ACME spare parts 100%", "ACME", "tender", "zhang.wei", "won", "Closed (won)", 100, "won", "8000",
     date(2025, 12, 1)),
    ("Huajin AGVs", "Huajin", "sale", "zhang.wei", "quotation", "Quotation", 40, "open", "333.33", None),
    ("Westlake AGVs", "Westlake", "sale", "sun.li", "analysis", "Opportunity analysis", 20, "open", "300000",
     date(2026, 2, 1)),
    ("Westlake cranes", "Westlake", "sale", "sun.li", "lost", "Lost", 0, "lost", "10000", date(2026, 1, 20)),
)


def seed_deals(container: bootstrap.Container) -> dict[str, int]:
    """The DEALS above; returns the ids of the business types ("sale", "tender") and of each deal by name."""
    now = container.engine.clock.now()
    with container.uow() as uow:
        types = {"sale": BusinessType(name="Standard sale", process_key="standard_sale"),
                 "tender": BusinessType(name="Project tender", process_key="project_tender")}
        accounts = {name: Account(name=name, owner=owner, created_at=now, updated_at=now)
                    for name, owner in (("ACME", "wang.fang"), ("Huajin", "zhang.wei"), ("Westlake", "sun.li"))}
        uow.session.add_all([*types.values(), *accounts.values()])
        uow.session.flush()
        ids = {key: t.id for key, t in types.items()}
        for days, (name, account, kind, owner, stage, stage_name, chance, status, amount, close) in enumerate(DEALS):
            ids[name] = add_deal(uow.session, name=name, account_id=accounts[account].id,
                                 business_type_id=types[kind].id, owner=owner, stage=stage,
                                 stage_name=stage_name, probability=chance, status=status,
                                 amount=Decimal(amount), expected_close_date=close,
                                 stage_entered_at=now - timedelta(days=days), created_at=now, updated_at=now)
        uow.commit()
    return ids


def standard_sale(container: bootstrap.Container) -> dict[str, int]:
    """The shipped pipelines deployed, a Standard sale business type and wang.fang's account ACME."""
    bootstrap.deploy_shipped(container)
    now = container.engine.clock.now()
    with container.uow() as uow:
        kind = BusinessType(name="Standard sale", process_key="standard_sale")
        acme = Account(name="ACME", owner="wang.fang", created_at=now, updated_at=now)
        uow.session.add_all([kind, acme])
        uow.commit()
        return {"type": kind.id, "account": acme.id}


def add_deal(session, **fields) -> int:  # type: ignore[no-untyped-def]
    """One opportunity row with exactly these columns; no pipeline instance behind it."""
    opportunity = Opportunity(**fields)
    session.add(opportunity)
    session.flush()
    return opportunity.id
