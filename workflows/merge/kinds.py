"""The kinds of record that merge, and for each: the fields a person picks a value for (and
the columns that come along with a pick), who may see a record, and what follows from the
picks. The survivor keeps its id; everything else is worked out by the service."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, or_, select
from sqlalchemy.orm import Session

from core.phrases import Phrase
from engine import ProcessEngine, ProcessInstance
from workflows.accounts.contacts import visible_condition as visible_contact
from workflows.accounts.models import Account, Contact
from workflows.accounts.service import is_within
from workflows.accounts.service import visible_condition as visible_account
from workflows.inputs import Checker
from workflows.keys import ACCOUNT, LEAD
from workflows.leads.models import Lead, Pooled
from workflows.leads.service import visible_condition as visible_lead
from workflows.org.visibility import Viewer

from .moving import Move, move

Settle = Callable[[Session, dict[str, Any], Sequence[Any], Checker], None]


def _unchanged(*_args: Any) -> None:
    """Nothing to do for this kind."""


def _nothing_follows(session: Session, record: Any) -> list[Move]:
    return []


@dataclass(frozen=True)
class Kind:
    name: str
    model: type[Any]
    fields: Mapping[str, tuple[str, ...]]  # a field a person picks → the columns taken with it
    visible: Callable[[Viewer], ColumnElement[bool]]
    search: Callable[[str], ColumnElement[bool]]  # finds records by part of their name
    matched_on: Mapping[str, str]  # duplicate-rule field → the attribute holding it as typed
    missing: Phrase
    settle: Settle = _unchanged  # adjusts the picked values and names problems, before anything changes
    refuse: Callable[[Sequence[Any]], Phrase | None] = lambda records: None
    retire: Callable[[Session, ProcessEngine, Any, str], None] = _unchanged  # before a record goes
    follow: Callable[[Session, Any], list[Move]] = _nothing_follows  # changes along with the saved survivor
    restored: Callable[[Session, Sequence[int]], None] = _unchanged  # after undo, with the records' ids
    key_kind: str | None = None  # the business-key kind of processes run about such a record
    account_columns: tuple[str, ...] = ()  # fields holding an account, shown by its name


def _single(*names: str) -> dict[str, tuple[str, ...]]:
    return {name: (name,) for name in names}


# --- accounts -----------------------------------------------------------------------------


def _settle_account(session: Session, values: dict[str, Any], records: Sequence[Any], check: Checker) -> None:
    """A parent that is being merged means "none"; one below a merged account would make a loop.
    The merged account was last reached when any of them was."""
    _last_contact(session, values, records, check)
    merged = {record.id for record in records}
    if values["parent_id"] in merged:
        values["parent_id"] = None
    elif values["parent_id"] is not None and is_within(session.get(Account, values["parent_id"]), merged):
        check.problem("parent_id", Phrase("cannot be a subsidiary of the accounts being merged"))


def _contacts_follow(session: Session, account: Account) -> list[Move]:
    """An account's contacts belong to its owner (none, in a pool): the moved ones, and all of
    them when the owner changed. Its follow-up cycle is redone for the merged account."""
    account.reschedule_follow_up()
    owners = session.scalars(select(Contact.owner).distinct().where(
        Contact.account_id == account.id, Contact.owner.is_distinct_from(account.owner))).all()
    table: Table = Contact.__table__  # type: ignore[assignment]
    moved = (move(session, table, "owner", owner, account.owner, table.c.account_id == account.id,
                  follows=True) for owner in owners)
    return [m for m in moved if m is not None]


# --- contacts -----------------------------------------------------------------------------


def _settle_contact(session: Session, values: dict[str, Any], records: Sequence[Any], check: Checker) -> None:
    """A contact belongs to whoever owns its account."""
    values["owner"] = session.get_one(Account, values["account_id"]).owner


# --- leads --------------------------------------------------------------------------------


def _last_contact(session: Session, values: dict[str, Any], records: Sequence[Any], check: Checker) -> None:
    """The merged record was last reached when any of them was: their activities are all its own now."""
    contacted = [record.last_contacted_at for record in records if record.last_contacted_at is not None]
    values["last_contacted_at"] = max(contacted, default=None)


def _converted(records: Sequence[Any]) -> Phrase | None:
    """A converted lead lives on as its account and contact; merging into or out of it would
    leave the conversion pointing at a lead that is not the one converted."""
    if any(record.status == "converted" for record in records):
        return Phrase("A converted lead cannot be merged: convert the other lead into the same account "
                      "instead")
    return None


def _end_cycle(session: Session, engine: ProcessEngine, record: Pooled, actor: str) -> None:
    """A lead or account that goes has nobody to follow up: its follow-up cycle ends (the
    survivor's is redone)."""
    cycle = session.get(ProcessInstance, record.followup_instance_id) if record.followup_instance_id else None
    if cycle is not None and cycle.status == "running":
        engine.cancel(session, cycle.id, actor, "the record was merged into another")


def _reschedule(session: Session, lead: Lead) -> list[Move]:
    """Its owner, rating or last contact may have changed: the cadence redoes its follow-up cycle."""
    lead.reschedule_follow_up()
    return []


def _rescheduled(model: type[Pooled]) -> Callable[[Session, Sequence[int]], None]:
    """After an undo: each record back, and the survivor, gets the follow-up cycle it now needs."""
    def reschedule_all(session: Session, ids: Sequence[int]) -> None:
        for record in session.scalars(select(model).where(model.id.in_(ids))):
            record.reschedule_follow_up()
    return reschedule_all


# Who has a lead or an account goes whole: an owner with another record's pool would not fit.
_HOLDER = ("owner", "pool_id", "former_owner", "released_at", "assigned_at")


KINDS: dict[str, Kind] = {
    "account": Kind(
        name="account", model=Account,
        fields={**_single("name", "parent_id", "industry", "category", "account_type", "region",
                          "credit_rating", "phone", "address", "note"), "owner": _HOLDER},
        visible=visible_account,
        search=lambda term: Account.name.icontains(term, autoescape=True),
        matched_on={"name": "name", "company": "name", "phone": "phone", "address": "address"},
        missing=Phrase("This account does not exist"), settle=_settle_account, retire=_end_cycle,
        follow=_contacts_follow, restored=_rescheduled(Account), key_kind=ACCOUNT,
        account_columns=("parent_id",)),
    "contact": Kind(
        name="contact", model=Contact,
        fields=_single("account_id", "name", "title", "phone", "email", "birthday"),
        visible=visible_contact,
        search=lambda term: Contact.name.icontains(term, autoescape=True),
        matched_on={"name": "name", "phone": "phone", "email": "email"},
        missing=Phrase("This contact does not exist"), settle=_settle_contact,
        account_columns=("account_id",)),
    "lead": Kind(
        name="lead", model=Lead,
        fields={**_single("name", "company", "title", "phone", "email", "address", "region", "industry",
                          "size", "source", "rating", "note"),
                # A lead's status and team go with who has it.
                "owner": (*_HOLDER, "status", "team_unit_id", "assigned_via")},
        visible=visible_lead,
        search=lambda term: or_(Lead.name.icontains(term, autoescape=True),
                                Lead.company.icontains(term, autoescape=True)),
        matched_on={"name": "name", "company": "company", "phone": "phone", "email": "email",
                    "address": "address"},
        missing=Phrase("This lead does not exist"), settle=_last_contact, refuse=_converted,
        retire=_end_cycle, follow=_reschedule, restored=_rescheduled(Lead), key_kind=LEAD),
}
