"""Demo contracts: the two contract types and a couple of drafts on demo accounts.

Idempotent: types are matched by name and contracts by (account, note), so a second run
adds only what is missing. Load the demo accounts and catalogue first.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.accounts.models import Account
from workflows.catalog.models import Product

from .models import Contract, ContractLine, ContractType
from .service import add_contract

APPROVAL = "contract_approval"
PRODUCT_SALE, MAINTENANCE = "产品销售 Product sale", "维保服务 Maintenance service"

# account, type, note, (product code, quantity, unit price)..., sales expense, cost reserve, maintenance
DRAFTS = (
    ("申康医疗器械有限公司 Shenkang Medical Devices", PRODUCT_SALE, "洁净车间AGV 6台 Six cleanroom AGVs",
     (("AGV-L500", 6, "160000.00"), ("SVC-INSTALL", 12, "2500.00")), "18000.00", "640000.00", "36000.00"),
    ("恒通工业自动化有限公司 Hengtong Industrial Automation", MAINTENANCE, "2026年度维保 Maintenance 2026",
     (("SVC-MAINT", 2, "36000.00"),), "2000.00", "30000.00", "12000.00"),
)


def load_demo_contracts(session: Session, now: datetime) -> None:
    """Create whatever part of the demo contracts is missing; the caller commits."""
    types = {name: _contract_type(session, name) for name in (PRODUCT_SALE, MAINTENANCE)}
    products = {p.code: p for p in session.scalars(select(Product))}
    for account_name, type_name, note, lines, sales, reserve, maintenance in DRAFTS:
        account = session.scalars(select(Account).where(Account.name == account_name)).first()
        if account is None or session.scalars(select(Contract.id).where(
                Contract.account_id == account.id, Contract.note == note)).first() is not None:
            continue
        add_contract(session, Contract(
            account_id=account.id, contract_type_id=types[type_name].id, owner=account.owner, note=note,
            start_on=date(now.year, 1, 1), end_on=date(now.year, 12, 31), sales_expense=Decimal(sales),
            cost_reserve=Decimal(reserve), maintenance_reserve=Decimal(maintenance),
            lines=[ContractLine(position=position, product_id=products[code].id, quantity=quantity,
                                description=products[code].name, unit_price=Decimal(price))
                   for position, (code, quantity, price) in enumerate(lines, start=1)]), now)

def _contract_type(session: Session, name: str) -> ContractType:
    found = session.scalars(select(ContractType).where(ContractType.name == name)).first()
    if found is None:
        found = ContractType(name=name, approval_process_key=APPROVAL, active=True)
        session.add(found)
        session.flush()
    return found
