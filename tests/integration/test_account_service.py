"""Account and contact use cases on SQLite and PostgreSQL: checks, owners, groups, visibility."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bootstrap import Container
from core.errors import NotFound
from engine import HistoryEvent
from tests import diagrams
from tests.deals import add_deal
from tests.usecases import refused, run
from workflows.accounts import contacts, overview, service
from workflows.accounts.contacts import ContactInput
from workflows.accounts.models import Account, Contact
from workflows.accounts.service import AccountFilter, AccountInput
from workflows.catalog.models import Product
from workflows.opportunities.models import BusinessType, Quote, QuoteLine


def create(container: Container, viewer, **fields: str) -> Account:
    return run(container, service.create_account, viewer, AccountInput(**{"name": "ACME", **fields}),
               container.engine.clock.now())


def count(container: Container, model: type) -> int:
    with container.session_factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


# --- accounts ---------------------------------------------------------------------------


def test_a_rep_creates_an_account_that_is_theirs(container, as_):
    account = create(container, as_("wang.fang"), industry=" Manufacturing ", category="vip",
                     credit_rating="a", region="上海 Shanghai")
    assert (account.owner, account.industry, account.category, account.credit_rating) == (
        "wang.fang", "Manufacturing", "vip", "A")


def test_every_bad_field_is_named_and_nothing_is_saved(container, as_):
    problems = refused(container, service.create_account, as_("wang.fang"), AccountInput(
        name=" ", category="gold", account_type="reseller", credit_rating="Z", parent_id="999999",
        phone="1" * 41), container.engine.clock.now())
    assert set(problems) == {"name", "category", "account_type", "credit_rating", "parent_id", "phone"}
    assert "is required" in problems["name"]
    assert count(container, Account) == 0


def test_a_rep_cannot_give_an_account_to_someone_else(container, as_):
    problems = refused(container, service.create_account, as_("wang.fang"),
                       AccountInput(name="ACME", owner="zhang.wei"), container.engine.clock.now())
    assert problems == {"owner": "must be you or someone in your part of the organisation"}


def test_a_manager_gives_accounts_within_the_team_only(container, as_):
    manager = as_("liu.yang")
    assert create(container, manager, owner="zhang.wei").owner == "zhang.wei"
    problems = refused(container, service.create_account, manager, AccountInput(name="B", owner="sun.li"),
                       container.engine.clock.now())
    assert "owner" in problems
    assert "owner" in refused(container, service.create_account, as_("admin"),
                              AccountInput(name="C", owner="nobody"), container.engine.clock.now())


def test_a_parent_must_be_visible_and_a_group_has_no_cycles(container, as_):
    rep = as_("wang.fang")
    theirs = create(container, as_("sun.li"), name="Westlake")
    assert "parent_id" in refused(container, service.create_account, rep,
                                  AccountInput(name="Sub", parent_id=str(theirs.id)), container.engine.clock.now())
    group = create(container, rep, name="Group")
    child = create(container, rep, name="Child", parent_id=str(group.id))
    grandchild = create(container, rep, name="Grandchild", parent_id=str(child.id))
    problems = refused(container, service.update_account, rep, group.id,
                       AccountInput(name="Group", parent_id=str(grandchild.id)), container.engine.clock.now())
    assert problems == {"parent_id": "cannot be this account or one of its subsidiaries"}


def test_editing_keeps_a_parent_the_editor_cannot_see(container, as_):
    group = create(container, as_("zhang.wei"), name="Huajin Group")
    sub = create(container, as_("admin"), name="Huajin Hangzhou", parent_id=str(group.id), owner="sun.li")
    edited = run(container, service.update_account, as_("sun.li"), sub.id,
                 AccountInput(name="Huajin Hangzhou Co.", parent_id=str(group.id)), container.engine.clock.now())
    assert (edited.name, edited.parent_id, edited.owner) == ("Huajin Hangzhou Co.", group.id, "sun.li")


def test_a_new_owner_takes_the_contacts_along(container, as_):
    manager = as_("liu.yang")
    account = create(container, manager, owner="wang.fang")
    run(container, contacts.create_contact, manager, ContactInput(account_id=str(account.id), name="Ann"),
        container.engine.clock.now())
    run(container, service.update_account, manager, account.id, AccountInput(name="ACME", owner="zhang.wei"),
        container.engine.clock.now())
    with container.session_factory() as session:
        assert session.scalars(select(Contact.owner)).all() == ["zhang.wei"]


def test_out_of_sight_is_not_found(container, as_):
    account = create(container, as_("wang.fang"))
    for username in ("zhang.wei", "sun.li", "xu.tao"):  # same team, other branch, other manager
        viewer = as_(username)
        with container.session_factory() as session, pytest.raises(NotFound):
            service.get_account(session, viewer, account.id)
    for username in ("liu.yang", "chen.hao", "admin"):
        viewer = as_(username)
        with container.session_factory() as session:
            assert service.get_account(session, viewer, account.id).name == "ACME"
    with pytest.raises(NotFound):
        run(container, service.update_account, as_("sun.li"), account.id, AccountInput(name="Mine now"),
            container.engine.clock.now())


def test_lists_are_scoped_searched_filtered_and_paged(container, as_):
    admin = as_("admin")
    for index in range(30):
        create(container, admin, name=f"Team account {index:02d}", owner="zhang.wei" if index % 2 else "wang.fang",
               category="vip" if index % 3 == 0 else "ordinary", region="杭州" if index < 5 else "上海")
    create(container, admin, name="Westlake", owner="sun.li")
    viewers = {name: as_(name) for name in ("wang.fang", "sun.li", "liu.yang", "admin")}
    with container.session_factory() as session:
        def names(username: str, page: int = 1, **where: str) -> tuple[list[str], int]:
            rows, total = service.list_accounts(session, viewers[username], AccountFilter(**where), page, 10)
            return [a.name for a in rows], total

        assert names("wang.fang")[1] == 15 and names("sun.li") == (["Westlake"], 1)
        assert names("liu.yang")[1] == 30 and names("admin")[1] == 31
        first, _ = names("liu.yang")
        assert first[0] == "Team account 00" and len(first) == 10
        assert names("liu.yang", page=3)[0][-1] == "Team account 29"
        assert names("liu.yang", search="ACCOUNT 1")[1] == 10
        assert names("liu.yang", category="vip", region="杭州") == (["Team account 00", "Team account 03"], 2)
        assert names("liu.yang", owner="zhang.wei")[1] == 15
        assert names("liu.yang", search="100%")[1] == 0  # wildcards are text
        assert service.regions(session, viewers["sun.li"]) == []


# --- contacts ---------------------------------------------------------------------------


def test_contacts_belong_to_a_visible_account_and_follow_its_owner(container, as_, clock):
    account = create(container, as_("liu.yang"), owner="wang.fang")
    person = run(container, contacts.create_contact, as_("liu.yang"), ContactInput(
        account_id=str(account.id), name="Ann Lee", email="ann@acme.example.com", birthday="1990-02-28"),
        clock.now())
    assert (person.owner, person.birthday) == ("wang.fang", date(1990, 2, 28))
    rep, stranger = as_("wang.fang"), as_("sun.li")
    with container.session_factory() as session:
        assert contacts.get_contact(session, rep, person.id).name == "Ann Lee"
        with pytest.raises(NotFound):
            contacts.get_contact(session, stranger, person.id)
    assert refused(container, contacts.create_contact, as_("sun.li"),
                   ContactInput(account_id=str(account.id), name="Spy"), clock.now()) == {
        "account_id": "choose an account you can see"}


def test_a_contact_with_bad_fields_is_refused_whole(container, as_, clock):
    account = create(container, as_("wang.fang"))
    problems = refused(container, contacts.create_contact, as_("wang.fang"), ContactInput(
        account_id=str(account.id), name="", email="ann@", birthday="tomorrow"), clock.now())
    assert problems == {"name": "is required (at most 120 characters)", "email": "is not a valid email address",
                        "birthday": "must be a date (YYYY-MM-DD)"}
    future = refused(container, contacts.create_contact, as_("wang.fang"), ContactInput(
        account_id=str(account.id), name="Ann", birthday="2026-01-06"), clock.now())  # the clock says Jan 5
    assert future == {"birthday": "cannot be in the future"}
    assert count(container, Contact) == 0


# --- the 360° view ----------------------------------------------------------------------


@pytest.fixture
def customer(container: Container, as_, clock) -> dict[str, int]:
    """ACME (wang.fang) with deals of wang.fang and zhang.wei, a quote, and a running process."""
    account = create(container, as_("liu.yang"), owner="wang.fang")
    run(container, contacts.create_contact, as_("wang.fang"),
        ContactInput(account_id=str(account.id), name="Ann Lee"), clock.now())
    with container.uow() as uow:
        kind = BusinessType(name="Standard sale", process_key="p")
        uow.session.add(kind)
        uow.session.flush()
        deal = {"account_id": account.id, "business_type_id": kind.id, "created_at": clock.now(),
                "updated_at": clock.now()}
        mine = add_deal(uow.session, name="40 AGVs", owner="wang.fang", amount=Decimal("120000"), stage="qualify",
                        stage_name="Qualify", probability=20, **deal)
        hidden = add_deal(uow.session, name="Secret deal", owner="zhang.wei", amount=Decimal("5"), **deal)
        uow.session.add(Quote(opportunity_id=mine, number="Q-2026-00001", created_by="wang.fang",
                              created_at=clock.now(), lines=[QuoteLine(position=1, product_id=_product(uow.session),
                                                                       quantity=2, unit_price=Decimal("10.50"))]))
        container.engine.deploy(uow.session, {"p.bpmn": diagrams.two_stages()}, "designer")
        for number, owner in ((mine, "wang.fang"), (hidden, "zhang.wei")):
            container.engine.start(uow.session, "p", f"opportunity:{number}",
                                   {"owner": owner, "title": f"Deal {number}", "amount": "1"}, owner)
        uow.commit()
    return {"account": account.id, "mine": mine, "hidden": hidden}


def _product(session) -> int:
    product = Product(code="AGV", name="AGV", unit="台", active=True)
    session.add(product)
    session.flush()
    return product.id


def test_the_360_view_shows_only_what_the_viewer_may_see(container, as_, customer):
    viewers = {name: as_(name) for name in ("wang.fang", "liu.yang", "sun.li")}
    with container.session_factory() as session:
        rep = overview.account_overview(session, viewers["wang.fang"], customer["account"])
        assert [c.name for c in rep.contacts] == ["Ann Lee"]
        assert [(d.name, d.stage_name, d.probability) for d in rep.opportunities] == [("40 AGVs", "Qualify", 20)]
        assert [(q.quote.number, q.quote.total, q.opportunity_name) for q in rep.quotes] == [
            ("Q-2026-00001", Decimal("21.00"), "40 AGVs")]
        assert [t.business_key for t in rep.tasks] == [f"opportunity:{customer['mine']}"]
        assert rep.history and {e.business_key for e in rep.history} == {f"opportunity:{customer['mine']}"}
        assert rep.history[0].id == max(e.id for e in rep.history)  # newest first
        manager = overview.account_overview(session, viewers["liu.yang"], customer["account"])
        assert {d.name for d in manager.opportunities} == {"40 AGVs", "Secret deal"}
        assert len(manager.tasks) == 2 and manager.opportunity_count == 2
        assert len({e.business_key for e in manager.history}) == 2
        with pytest.raises(NotFound):
            overview.account_overview(session, viewers["sun.li"], customer["account"])
        total_events = session.scalar(select(func.count()).select_from(HistoryEvent))
        assert total_events and len(manager.history) <= overview.HISTORY_LIMIT
