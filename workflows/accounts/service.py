"""Use cases for accounts: create, edit, read and list, each under the visibility rule.

Every function works in the caller's ``Session`` and never commits. Input comes as the
text a person typed (:class:`AccountInput`); every field is checked and all problems are
reported at once, named by field. An account the viewer may not see "does not exist".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, select, update
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.phrases import Phrase
from workflows.dedupe.sources import refresh_match_columns
from workflows.inputs import Checker, page_window, parse_id
from workflows.org.models import User
from workflows.org.visibility import Viewer, can_see_owner, owner_condition

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
    """What an account list is narrowed to; empty strings mean "any"."""

    search: str = ""  # part of the name, any case
    category: str = ""
    account_type: str = ""
    region: str = ""
    owner: str = ""


def create_account(session: Session, actor: Viewer, data: AccountInput, now: datetime) -> Account:
    """A rep's new accounts are their own; a manager may give one to someone in their subtree."""
    values = _checked(session, actor, data, None)
    account = Account(**values, created_at=now, updated_at=now)
    refresh_match_columns(account)
    session.add(account)
    session.flush()
    return account


def update_account(session: Session, actor: Viewer, account_id: int, data: AccountInput,
                   now: datetime) -> Account:
    """Edit every field; a new owner takes the account's contacts along, as they are its people."""
    account = get_account(session, actor, account_id)
    values = _checked(session, actor, data, account)
    if values["owner"] != account.owner:
        session.execute(update(Contact).where(Contact.account_id == account.id).values(owner=values["owner"]))
    for name, value in values.items():
        setattr(account, name, value)
    refresh_match_columns(account)
    account.updated_at = now
    session.flush()
    return account


def get_account(session: Session, viewer: Viewer, account_id: int) -> Account:
    """The account, if the viewer may see it; otherwise it "does not exist"."""
    account = session.get(Account, account_id)
    if account is None or not can_see_owner(session, viewer, account.owner):
        raise NotFound(Phrase("This account does not exist"))
    return account


def list_accounts(session: Session, viewer: Viewer, where: AccountFilter, page: int = 1,
                  per_page: int = 25) -> tuple[list[Account], int]:
    """One page of the accounts the viewer may see, by name, with the total count."""
    limit, offset = page_window(page, per_page, MAX_PER_PAGE)
    conditions = [owner_condition(viewer, Account.owner), *_filter_conditions(where)]
    total = session.scalar(select(func.count()).select_from(Account).where(*conditions)) or 0
    rows = session.scalars(select(Account).where(*conditions).order_by(Account.name, Account.id)
                           .limit(limit).offset(offset)).all()
    return list(rows), total


def _filter_conditions(where: AccountFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if term := where.search.strip():
        conditions.append(Account.name.icontains(term, autoescape=True))
    for column, value in ((Account.category, where.category), (Account.account_type, where.account_type),
                          (Account.region, where.region), (Account.owner, where.owner.strip().lower())):
        if value:
            conditions.append(column == value)
    return conditions


def regions(session: Session, viewer: Viewer) -> list[str]:
    """The regions of the accounts the viewer may see: the choices of the region filter."""
    return list(session.scalars(select(Account.region).distinct()
                                .where(owner_condition(viewer, Account.owner), Account.region != "")
                                .order_by(Account.region)))


def account_choices(session: Session, viewer: Viewer) -> list[tuple[int, str]]:
    """(id, name) of visible accounts by name, for pickers such as the parent account."""
    return [(row.id, row.name) for row in session.execute(
        select(Account.id, Account.name).where(owner_condition(viewer, Account.owner))
        .order_by(Account.name, Account.id).limit(MAX_CHOICES))]


def child_accounts(session: Session, viewer: Viewer, account: Account) -> list[Account]:
    """The subsidiaries the viewer may see, by name."""
    return list(session.scalars(select(Account).where(
        Account.parent_id == account.id, owner_condition(viewer, Account.owner)).order_by(Account.name)))


def visible_parent(session: Session, viewer: Viewer, account: Account) -> Account | None:
    """The parent account, unless the viewer may not see it (then it is not mentioned at all)."""
    parent = account.parent
    return parent if parent is not None and can_see_owner(session, viewer, parent.owner) else None


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
    if parent is None or not can_see_owner(session, actor, parent.owner):
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


def _owner(session: Session, actor: Viewer, check: Checker, raw: str, before: Account | None) -> str:
    """Me, the unchanged owner, or an active user in the actor's part of the organisation."""
    owner = raw.strip().lower() or (before.owner if before is not None else actor.username)
    if owner == actor.username or (before is not None and owner == before.owner):
        return owner
    active = session.scalar(select(exists().where(User.username == owner, User.active.is_(True))))
    if not active or not can_see_owner(session, actor, owner):
        check.problem("owner", Phrase("must be you or someone in your part of the organisation"))
    return owner
