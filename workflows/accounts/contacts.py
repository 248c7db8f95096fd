"""Use cases for contacts: the people at an account.

A contact belongs to the owner of its account (``Contact.owner`` follows the account's
owner, and is empty while the account waits in a pool), so whoever may see the account
sees its people and no one else does. Functions work in the caller's ``Session`` and never
commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.phrases import Phrase
from workflows.dedupe.sources import refresh_match_columns
from workflows.inputs import Checker, parse_id
from workflows.org.visibility import Viewer, owner_condition

from .models import Account, Contact
from .service import pooled_condition, sees_account

SECTION_LIMIT = 50


@dataclass(frozen=True)
class ContactInput:
    """The contact form as typed; ``birthday`` is an ISO date or empty."""

    account_id: str
    name: str
    title: str = ""
    phone: str = ""
    email: str = ""
    birthday: str = ""


def create_contact(session: Session, actor: Viewer, data: ContactInput, now: datetime) -> Contact:
    """Add a person to an account the actor may see."""
    values = _checked(session, actor, data, now)
    contact = Contact(**values, created_at=now, updated_at=now)
    refresh_match_columns(contact)
    session.add(contact)
    session.flush()
    return contact


def update_contact(session: Session, actor: Viewer, contact_id: int, data: ContactInput,
                   now: datetime) -> Contact:
    """Edit every field; moving the contact to another visible account gives it that owner."""
    contact = get_contact(session, actor, contact_id)
    for name, value in _checked(session, actor, data, now).items():
        setattr(contact, name, value)
    refresh_match_columns(contact)
    contact.updated_at = now
    session.flush()
    return contact


def get_contact(session: Session, viewer: Viewer, contact_id: int) -> Contact:
    """The contact, if the viewer may see it; otherwise it "does not exist"."""
    found = select(Contact).where(Contact.id == contact_id, visible_condition(viewer))
    contact = session.scalars(found).first()
    if contact is None:
        raise NotFound(Phrase("This contact does not exist"))
    return contact


def visible_condition(viewer: Viewer) -> ColumnElement[bool]:
    """Contacts of accounts the viewer sees: by their owner, or their account's pool."""
    return or_(owner_condition(viewer, Contact.owner), Contact.owner.is_(None) & Contact.account_id.in_(
        select(Account.id).where(pooled_condition(viewer))))


def contacts_of(session: Session, viewer: Viewer, account_id: int) -> tuple[list[Contact], int]:
    """The first contacts of an account by name, and how many it has, as the viewer sees them."""
    condition = (Contact.account_id == account_id, visible_condition(viewer))
    total = session.scalar(select(func.count()).select_from(Contact).where(*condition)) or 0
    rows = session.scalars(select(Contact).where(*condition).order_by(Contact.name, Contact.id)
                           .limit(SECTION_LIMIT))
    return list(rows), total


def _checked(session: Session, actor: Viewer, data: ContactInput, now: datetime) -> dict[str, object]:
    check = Checker()
    account_id = parse_id(data.account_id)
    account = session.get(Account, account_id) if account_id is not None else None
    if account is None or not sees_account(session, actor, account):
        check.problem("account_id", Phrase("choose an account you can see"))
    values: dict[str, object] = {
        "name": check.text("name", data.name, 120, required=True),
        "title": check.text("title", data.title, 120),
        "phone": check.text("phone", data.phone, 40),
        "email": check.email("email", data.email),
        "birthday": check.date("birthday", data.birthday, latest=now.date()),
    }
    check.done()
    assert account is not None  # done() raised otherwise
    return {**values, "account_id": account.id, "owner": account.owner}
