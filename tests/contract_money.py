"""A generated book of contracts, instalments and collections for the contract reports, as
plain rows (the reports read rows, never process state). Owners are demo people of two
branches: wang.fang and zhang.wei (Shanghai, team 1), zhao.qiang (Shanghai, team 2) and
sun.li (Hangzhou, team 3). Readers are in Asia/Shanghai (UTC+8).

Signed from 2026-01-01 to 2026-06-30, by month (amount; gross margin; margin band):
  Jan  C1 wang.fang  ACME (manufacturing)   AGV 2 x 100,000            200,000;  50,000.00; 20-30%
  Feb  C2 wang.fang  ACME, no signing day, approved 2026-01-31 17:30 UTC = 1 Feb in Shanghai
                     install 4 x 2,500 + maintenance 1 x 30,000      40,000;   3,998.40; 10-20% (0.09996)
  Feb  C4 sun.li     Westlake (manufacturing) AGV 3 x 90,000           270,000; 100,000.00; 30%+
  Mar  C3 zhang.wei  Huajin (logistics)     AGV 120,000 + install 2 x 2,500  125,000; -5,000.00; below 0%
  Apr  C9 zhang.wei  Huajin                 AGV 1 x 80,000              80,000;   6,000.00; 0-10%
  May  C5 zhao.qiang Pharma (no industry)   maintenance 2 x 36,000      72,000;   7,200.00; 10-20% (0.1000)
Left out: C6 (signed 2025-12-31), C7 (submitted, not approved), C8 (approved 2026-06-30 16:30
UTC, which is 1 July in Shanghai).

Collections, today 2026-04-15:
  C1 #1 due 02-15 100,000, received 60,000 on 02-10 and 40,000 on 03-01
  C1 #2 due 04-10 100,000, received 30,000 on 04-12: 70,000 overdue
  C3 #1 due 03-31 125,000, nothing received: overdue
  C4 #1 due 03-20 135,000, received on 03-18; C4 #2 due 07-20 (after the period)
  C9 #1 due 05-01 80,000: not yet due
  C6 #1 due 2025-12-20 50,000, received on 2026-01-05 (received in the period, due before it)
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select

from bootstrap import Container
from workflows.accounts.models import Account
from workflows.catalog.demo import load_demo_catalog
from workflows.catalog.models import Product
from workflows.contracts.models import Collection, Contract, ContractLine, ContractType, Instalment

TODAY = date(2026, 4, 15)
NOW = datetime(2026, 4, 15, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
ACCOUNTS = {"ACME": ("wang.fang", "Manufacturing"), "Huajin": ("zhang.wei", "Logistics"),
            "Westlake": ("sun.li", "Manufacturing"), "Pharma": ("zhao.qiang", "")}
# key: owner, account, status, signed on, activated at, costs, lines (product code, quantity, unit price)
CONTRACTS = {
    "C1": ("wang.fang", "ACME", "active", date(2026, 1, 15), None, "150000", (("AGV-L500", 2, "100000"),)),
    "C2": ("wang.fang", "ACME", "active", None, datetime(2026, 1, 31, 17, 30, tzinfo=UTC), "36001.60",
           (("SVC-INSTALL", 4, "2500"), ("SVC-MAINT", 1, "30000"))),
    "C3": ("zhang.wei", "Huajin", "active", date(2026, 3, 10), None, "130000",
           (("AGV-L500", 1, "120000"), ("SVC-INSTALL", 2, "2500"))),
    "C4": ("sun.li", "Westlake", "active", date(2026, 2, 20), None, "170000", (("AGV-L500", 3, "90000"),)),
    "C5": ("zhao.qiang", "Pharma", "active", date(2026, 5, 5), None, "64800", (("SVC-MAINT", 2, "36000"),)),
    "C6": ("wang.fang", "ACME", "active", date(2025, 12, 31), None, "0", (("AGV-L500", 1, "50000"),)),
    "C7": ("wang.fang", "ACME", "submitted", date(2026, 1, 20), None, "0", (("AGV-L500", 1, "99000"),)),
    "C8": ("sun.li", "Westlake", "active", None, datetime(2026, 6, 30, 16, 30, tzinfo=UTC), "0",
           (("AGV-L500", 1, "77000"),)),
    "C9": ("zhang.wei", "Huajin", "active", date(2026, 4, 1), None, "74000", (("AGV-L500", 1, "80000"),)),
}
# contract: (due on, amount, ((received on, amount), ...)), ...
PLANS = {
    "C1": ((date(2026, 2, 15), "100000", ((date(2026, 2, 10), "60000"), (date(2026, 3, 1), "40000"))),
           (date(2026, 4, 10), "100000", ((date(2026, 4, 12), "30000"),))),
    "C3": ((date(2026, 3, 31), "125000", ()),),
    "C4": ((date(2026, 3, 20), "135000", ((date(2026, 3, 18), "135000"),)), (date(2026, 7, 20), "135000", ())),
    "C9": ((date(2026, 5, 1), "80000", ()),),
    "C6": ((date(2025, 12, 20), "50000", ((date(2026, 1, 5), "50000"),)),),
}


def seed_money(container: Container) -> dict[str, int]:
    """The book above (the demo organisation must be loaded): the id of each contract by key,
    of each account by name, of each product by code, and of the contract type ("type")."""
    with container.uow() as uow:
        session = uow.session
        load_demo_catalog(session)
        products = dict(session.execute(select(Product.code, Product.id)).all())
        kind = ContractType(name="Product sale", approval_process_key="contract_approval")
        accounts = {name: Account(name=name, owner=owner, industry=industry, created_at=NOW, updated_at=NOW)
                    for name, (owner, industry) in ACCOUNTS.items()}
        session.add_all([kind, *accounts.values()])
        session.flush()
        ids: dict[str, int] = {}
        for key, (owner, account, status, signed_on, activated_at, costs, lines) in CONTRACTS.items():
            contract = Contract(
                number=key, account_id=accounts[account].id, contract_type_id=kind.id, owner=owner,
                status=status, signed_on=signed_on, activated_at=activated_at or (
                    datetime(signed_on.year, signed_on.month, signed_on.day, 3, tzinfo=UTC)
                    if status == "active" and signed_on else None),
                sales_expense=Decimal("0"), cost_reserve=Decimal(costs), maintenance_reserve=Decimal("0"),
                created_at=NOW, updated_at=NOW,
                lines=[ContractLine(position=n, product_id=products[code], quantity=quantity,
                                    unit_price=Decimal(price))
                       for n, (code, quantity, price) in enumerate(lines, start=1)],
                instalments=[_instalment(n, *plan) for n, plan in enumerate(PLANS.get(key, ()), start=1)])
            session.add(contract)
            session.flush()
            ids[key] = contract.id
            for instalment, (_due, _amount, received) in zip(contract.instalments, PLANS.get(key, ()), strict=True):
                session.add_all(Collection(instalment_id=instalment.id, received_on=day, amount=Decimal(paid),
                                           recorded_by="sun.yan", created_at=NOW) for day, paid in received)
        uow.commit()
    return ids | products | {name: account.id for name, account in accounts.items()} | {"type": kind.id}


def _instalment(position: int, due_on: date, amount: str,
                received: tuple[tuple[date, str], ...]) -> Instalment:
    return Instalment(position=position, due_on=due_on, amount=Decimal(amount),
                      collected=sum((Decimal(paid) for _day, paid in received), Decimal("0")))
