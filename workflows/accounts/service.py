"""Use cases for accounts: create, edit, read and list, each under the visibility rule.

Every function works in the caller's ``Session`` and never commits. Input comes as the
text a person typed (:class:`AccountInput`); every field is checked and all problems are
reported at once, named by field. An account the viewer may not see "does not exist".
An owned account is seen by whoever sees its owner; one waiting in a public pool (no
owner) by the pool's members, who may claim it (workflows.accounts.pools) but not simply
make it theirs by editing its owner.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, false, func, or_, select, update
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.phrases import Phrase
from workflows.dedupe.sources import refresh_match_columns
from workflows.inputs import Checker, page_window, parse_id
from workflows.leads.membership import in_pools_of, is_member
from workflows.org.models import User
from workflows.org.visibility import Viewer, can_see_owner, owner_condition, within_unit

from .cadence import not_contacted_for
from .models import ACCOUNT_TYPES, CATEGORIES, CREDIT_RATINGS, Account, Contact

MAX_PER_PAGE = 100
MAX_CHOICES = 500
MAX_DEPTH = 50  # a group deeper than this is a data error, not a company structure


@dataclass(frozen=True)
class AccountInput:
    """The account form as typed; ``owner`` empty means "me" (or, on edit, "unchanged")."""

    name: str
    parent_id: str = ""
    industry: str = ""
    category: str = "ordinary"
    account_type: str = "end_customer"
    region: str = ""
    credit_rating: str = ""
    phone: str = ""
    address: str = ""
    note: str = ""
    owner: str = ""


@dataclass(frozen=True)
class AccountFilter:
    """What an account list is narrowed to; empty strings mean "any". ``scope`` "pool": the
    accounts waiting in the viewer's pools instead of the owned ones they see; ``no_contact``
    (7, 15, 30 or 60): owned accounts nobody reached for that many days, longest first."""

    search: str = ""  # part of the name, any case
    category: str = ""
    account_type: str = ""
    region: str = ""
    unit_id: int | None = None  # the owner works in this org unit or below it
    owner: str = ""
    scope: str = ""
    no_contact: int | None = None


def create_account(session: Session, actor: Viewer, data: AccountInput, now: datetime) -> Account:
    """A rep's new accounts are their own; a manager may give one to someone in their subtree."""
    values = _checked(session, actor, data, None)
    account = Account(**values, assigned_at=now, created_at=now, updated_at=now)
    refresh_match_columns(account)
    session.add(account)
    session.flush()
    return account


def update_account(session: Session, actor: Viewer, account_id: int, data: AccountInput,
                   now: datetime) -> Account:
    """Edit every field; a new owner takes the account's contacts along, as they are its people,
    and follows it up from now; a new category, a new follow-up frequency."""
    account = get_account(session, actor, account_id, for_update=True)
    values = _checked(session, actor, data, account)
    owner = values.pop("owner")
    if owner != account.owner:
        session.execute(update(Contact).where(Contact.account_id == account.id).values(owner=owner))
        account.assign_to(str(owner), now)
    if values["category"] != account.category:
        account.reschedule_follow_up()
    for name, value in values.items():
        setattr(account, name, value)
    refresh_match_columns(account)
    account.updated_at = now
    session.flush()
    return account


def get_account(session: Session, viewer: Viewer, account_id: int, *, for_update: bool = False) -> Account:
    """The account, if the viewer may see it; otherwise it "does not exist"."""
    query = select(Account).where(Account.id == account_id, visible_condition(viewer))
    if for_update:
        query = query.with_for_update(of=Account).execution_options(populate_existing=True)
    account = session.scalars(query).first()
    if account is None:
        raise NotFound(Phrase("This account does not exist"))
    return account


def visible_condition(viewer: Viewer) -> ColumnElement[bool]:
    """Owned accounts by the visibility rule; pooled ones by pool membership."""
    return or_(owner_condition(viewer, Account.owner), pooled_condition(viewer))


def pooled_condition(viewer: Viewer) -> ColumnElement[bool]:
    """Accounts waiting in a pool the viewer is a member of (any pool, for an admin)."""
    return Account.owner.is_(None) & in_pools_of(viewer, Account.pool_id)


def sees_account(session: Session, viewer: Viewer, account: Account) -> bool:
    """Whether the viewer may see this (loaded) account, by the same rule as the queries."""
    if account.owner is None:
        return is_member(session, viewer, account.pool_id)
    return can_see_owner(session, viewer, account.owner)


def list_accounts(session: Session, viewer: Viewer, where: AccountFilter, page: int = 1,
                  per_page: int = 25, now: datetime | None = None) -> tuple[list[Account], int]:
    """One page of the accounts the viewer may see, by name (longest without contact first
    when that is the filter, counted to ``now``), with the total count."""
    limit, offset = page_window(page, per_page, MAX_PER_PAGE)
    seen = pooled_condition(viewer) if where.scope == "pool" else owner_condition(viewer, Account.owner)
    conditions = [seen, *_filter_conditions(where)]
    order: list[Any] = [Account.name, Account.id]
    if where.no_contact is not None:  # owned accounts only: the pool's have no contact to count from
        assert now is not None, "days without contact are counted to now"
        conditions.append(false() if where.scope == "pool" else not_contacted_for(where.no_contact, now))
        order = [Account.followup_since, Account.id]
    total = session.scalar(select(func.count()).select_from(Account).where(*conditions)) or 0
    rows = session.scalars(select(Account).where(*conditions).order_by(*order).limit(limit).offset(offset))
    return list(rows), total


def _filter_conditions(where: AccountFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if term := where.search.strip():
        conditions.append(Account.name.icontains(term, autoescape=True))
    if where.unit_id is not None:
        conditions.append(within_unit(Account.owner, where.unit_id))
    for column, value in ((Account.category, where.category), (Account.account_type, where.account_type),
                          (Account.region, where.region), (Account.owner, where.owner.strip().lower())):
        if value:
            conditions.append(column == value)
    return conditions


def regions(session: Session, viewer: Viewer) -> list[str]:
    """The regions of the accounts the viewer may see: the choices of the region filter."""
    return list(session.scalars(select(Account.region).distinct()
                                .where(visible_condition(viewer), Account.region != "")
                                .order_by(Account.region)))


def account_choices(session: Session, viewer: Viewer) -> list[tuple[int, str]]:
    """(id, name) of visible accounts by name, for pickers such as the parent account."""
    return [(row.id, row.name) for row in session.execute(
        select(Account.id, Account.name).where(owner_condition(viewer, Account.owner))
        .order_by(Account.name, Account.id).limit(MAX_CHOICES))]


def child_accounts(session: Session, viewer: Viewer, account: Account) -> list[Account]:
    """The subsidiaries the viewer may see, by name."""
    return list(session.scalars(select(Account).where(
        Account.parent_id == account.id, visible_condition(viewer)).order_by(Account.name)))


def visible_parent(session: Session, viewer: Viewer, account: Account) -> Account | None:
    """The parent account, unless the viewer may not see it (then it is not mentioned at all)."""
    parent = account.parent
    return parent if parent is not None and sees_account(session, viewer, parent) else None


# --- checks -----------------------------------------------------------------------------


def _checked(session: Session, actor: Viewer, data: AccountInput,
             before: Account | None) -> dict[str, object]:
    """Every field checked at once; the values ready to set on the row."""
    check = Checker()
    values: dict[str, object] = {
        "name": check.text("name", data.name, 200, required=True),
        "industry": check.text("industry", data.industry, 100),
        "category": check.choice("category", data.category, CATEGORIES),
        "account_type": check.choice("account_type", data.account_type, ACCOUNT_TYPES),
        "region": check.text("region", data.region, 100),
        "credit_rating": check.choice("credit_rating", data.credit_rating.upper(), ("", *CREDIT_RATINGS)),
        "phone": check.text("phone", data.phone, 40),
        "address": check.text("address", data.address, 300),
        "note": check.text("note", data.note, 5000),
        "parent_id": _parent(session, actor, check, data.parent_id, before),
        "owner": _owner(session, actor, check, data.owner, before),
    }
    check.done()
    return values


def _parent(session: Session, actor: Viewer, check: Checker, raw: str, before: Account | None) -> int | None:
    """A visible account that is neither this one nor one of its subsidiaries (no cycles)."""
    if not raw.strip():
        return None
    parent_id = parse_id(raw)
    if before is not None and parent_id is not None and parent_id == before.parent_id:
        return parent_id  # kept as it was, even where the actor may not see the parent
    parent = session.get(Account, parent_id) if parent_id is not None else None
    if parent is None or not sees_account(session, actor, parent):
        check.problem("parent_id", Phrase("choose an account you can see"))
        return None
    if before is not None and is_within(parent, {before.id}):
        check.problem("parent_id", Phrase("cannot be this account or one of its subsidiaries"))
        return None
    return parent.id


def is_within(account: Account | None, roots: Collection[int]) -> bool:
    """Whether ``account`` is one of ``roots`` or somewhere below one of them in its group."""
    current = account
    for _ in range(MAX_DEPTH):
        if current is None:
            return False
        if current.id in roots:
            return True
        current = current.parent
    return True  # deeper than any real group: treat as a cycle rather than loop on


def _owner(session: Session, actor: Viewer, check: Checker, raw: str, before: Account | None) -> str | None:
    """Me, the unchanged owner, or an active user in the actor's part of the organisation; an
    account waiting in a pool stays there (it is claimed, with the pool's limits, not edited)."""
    if before is not None and before.owner is None:
        if raw.strip():
            check.problem("owner", Phrase("this account waits in a public pool: claim it to make it yours"))
        return None
    owner = raw.strip().lower() or (before.owner if before is not None else actor.username)
    if owner == actor.username or (before is not None and owner == before.owner):
        return owner
    active = session.scalar(select(exists().where(User.username == owner, User.active.is_(True))))
    if not active or not can_see_owner(session, actor, owner):
        check.problem("owner", Phrase("must be you or someone in your part of the organisation"))
    return owner
