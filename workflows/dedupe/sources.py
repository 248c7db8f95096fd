"""Where each kind of record keeps the values duplicate rules compare, and how a typed value
is normalised to match them. The match columns are indexed, so candidates are found by
lookups; ``refresh_match_columns`` keeps them in step with what people typed.

A fuzzy or prefix rule looks a column up by its start (``LIKE 'xx%'``). PostgreSQL uses a
plain btree index for that only in the "C" collation; in any other (``C.UTF-8`` and
``en_US.UTF-8`` included) every such check read the whole table, so each match column has a
second index in the pattern operator class, which serves ``LIKE 'xx%'`` in any collation
(elsewhere it is an ordinary index).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Index
from sqlalchemy.orm import InstrumentedAttribute

from workflows.accounts.models import Account, Contact
from workflows.leads.models import Lead

from .normalize import normalize_company, normalize_email, normalize_text, phone_e164

Normalizer = Callable[[str], str]


def _phone(raw: str) -> str:
    return phone_e164(raw) or ""


@dataclass(frozen=True)
class Stored:
    """A field's column; ``normalize`` is applied to the stored value when the column holds
    the text as typed (an address), and is None when the column is already normalised."""

    column: InstrumentedAttribute[Any]
    typed: Normalizer  # what a typed value becomes before it is compared with the column
    normalize: Normalizer | None = None
    indexed: bool = True


@dataclass(frozen=True)
class Source:
    model: type[Any]
    fields: Mapping[str, Stored]
    label: Callable[[Any], str]
    # A matched field a record keeps under another attribute (an account's company is its name).
    kept_as: Mapping[str, str] = field(default_factory=dict)


SOURCES: dict[str, Source] = {
    "lead": Source(Lead, {
        "name": Stored(Lead.match_name, normalize_text),
        "company": Stored(Lead.match_company, normalize_company),
        "phone": Stored(Lead.phone_e164, _phone),
        "email": Stored(Lead.email, normalize_email),
        "address": Stored(Lead.address, normalize_text, normalize_text, indexed=False),
    }, lambda lead: " · ".join(part for part in (lead.name, lead.company) if part)),
    "account": Source(Account, {
        "name": Stored(Account.match_name, normalize_company),
        "company": Stored(Account.match_name, normalize_company),  # an account's name is its company
        "phone": Stored(Account.phone_e164, _phone),
        "address": Stored(Account.address, normalize_text, normalize_text, indexed=False),
    }, lambda account: str(account.name), kept_as={"company": "name"}),
    "contact": Source(Contact, {
        "name": Stored(Contact.match_name, normalize_text),
        "phone": Stored(Contact.phone_e164, _phone),
        "email": Stored(Contact.match_email, normalize_email),
    }, lambda contact: " · ".join(part for part in (contact.name, contact.email or contact.phone) if part)),
}


PREFIX_INDEXES = [
    Index(f"ix_{column.table.name}_{column.name}_prefix", column,
          postgresql_ops={column.name: "varchar_pattern_ops"})
    for column in dict.fromkeys(stored.column.expression for source in SOURCES.values()
                                for stored in source.fields.values() if stored.indexed)
]


def stored_value(source: Source, field: str, record: Any) -> str:
    """The record's value of ``field`` in normalised form."""
    stored = source.fields[field]
    value = getattr(record, stored.column.key) or ""
    return stored.normalize(value) if stored.normalize else str(value)


def refresh_match_columns(record: Lead | Account | Contact) -> None:
    """Recompute the normalised match columns from the typed values. Every create and update
    of a lead, account or contact calls this before flushing, or the duplicate checks would
    compare against stale values. A lead's email is its own match column, so it is stored
    lower-cased. Values are cut to their column's length (NFKC can lengthen text)."""
    record.phone_e164 = phone_e164(record.phone or "")
    if isinstance(record, Lead):  # a lead has no separate match column for its email
        record.match_name = normalize_text(record.name or "")[:120]
        record.match_company = normalize_company(record.company or "")[:200]
        record.email = normalize_email(record.email or "")
    elif isinstance(record, Account):
        record.match_name = normalize_company(record.name or "")[:200]
    else:
        record.match_name = normalize_text(record.name or "")[:120]
        record.match_email = normalize_email(record.email or "")[:200]
