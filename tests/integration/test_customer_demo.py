"""The demo customers and catalogue: believable, owned by the demo reps, and loaded once."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from bootstrap import Container
from core.clock import ManualClock
from workflows.accounts.demo import HUAJIN, load_demo_accounts
from workflows.accounts.models import Account, Contact
from workflows.accounts.service import AccountFilter, child_accounts, list_accounts, visible_parent
from workflows.catalog.demo import STANDARD, load_demo_catalog
from workflows.catalog.models import PriceList, PriceListEntry, Product
from workflows.org.models import User, UserRole


def load(container: Container, clock: ManualClock) -> None:
    with container.uow() as uow:
        load_demo_catalog(uow.session)
        load_demo_accounts(uow.session, clock.now())
        uow.commit()


def counts(container: Container) -> dict[str, int]:
    with container.session_factory() as session:
        return {model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in (Account, Contact, Product, PriceList, PriceListEntry)}


def test_loading_twice_adds_nothing_and_keeps_edits(container, clock, demo):
    load(container, clock)
    first = counts(container)
    assert first["Account"] == 12 and 12 <= first["Contact"] <= 36 and first["Product"] >= 10
    with container.uow() as uow:
        uow.session.execute(Account.__table__.update().values(note="edited"))
        uow.commit()
    load(container, clock)
    assert counts(container) == first
    with container.session_factory() as session:
        assert set(session.scalars(select(Account.note))) == {"edited"}


def test_every_account_belongs_to_a_demo_rep_and_has_contacts(container, clock, demo):
    load(container, clock)
    with container.session_factory() as session:
        reps = set(session.scalars(select(User.username).join(UserRole).where(UserRole.role == "sales_rep")))
        accounts = session.scalars(select(Account)).all()
        assert {a.owner for a in accounts} <= reps and len({a.owner for a in accounts}) >= 8
        assert {a.region for a in accounts} == {"上海 Shanghai", "杭州 Hangzhou"}
        per_account = dict(session.execute(select(Contact.account_id, func.count()).group_by(Contact.account_id)).all())
        assert len(per_account) == 12 and set(per_account.values()) <= {1, 2, 3}
        owners = {c.owner for c in session.scalars(select(Contact))}
        assert owners <= {a.owner for a in accounts}


def test_one_default_price_list_prices_every_product(container, clock, demo):
    load(container, clock)
    with container.session_factory() as session:
        [default] = session.scalars(select(PriceList).where(PriceList.is_default.is_(True))).all()
        assert default.name == STANDARD and len(default.entries) == session.scalar(
            select(func.count()).select_from(Product))
        assert all(e.unit_price > Decimal("0") for e in default.entries)


def test_the_group_crosses_teams_and_each_rep_sees_their_part(container, clock, demo, as_):
    load(container, clock)
    sun_li, zhang_wei = as_("sun.li"), as_("zhang.wei")
    with container.session_factory() as session:
        group = session.scalars(select(Account).where(Account.name == HUAJIN)).one()
        assert len(child_accounts(session, zhang_wei, group)) == 1
        [hangzhou] = list_accounts(session, sun_li, AccountFilter(search="Huajin"))[0]
        assert hangzhou.parent_id == group.id and visible_parent(session, sun_li, hangzhou) is None
