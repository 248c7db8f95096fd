"""The records activities are logged against: finding one as a viewer may see it, naming many
at once for a list, and the path of each one's page for links in messages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.accounts.contacts import get_contact
from workflows.accounts.models import Account, Contact
from workflows.accounts.service import get_account
from workflows.leads.models import Lead
from workflows.leads.service import get_lead
from workflows.opportunities.models import Opportunity
from workflows.opportunities.service import get_opportunity
from workflows.org.visibility import Viewer

# How each kind of record is found for a viewer; each answers NotFound for what they may not see.
RECORDS: dict[str, Callable[[Session, Viewer, int], Any]] = {
    "lead": get_lead, "account": get_account, "contact": get_contact, "opportunity": get_opportunity,
}
_MODELS: dict[str, type[Lead] | type[Account] | type[Contact] | type[Opportunity]] = {
    "lead": Lead, "account": Account, "contact": Contact, "opportunity": Opportunity,
}
_PAGES = {"lead": "/leads/{}", "account": "/accounts/{}", "contact": "/contacts/{}",
          "opportunity": "/opportunities/{}"}

Ref = tuple[str, int]


def record_titles(session: Session, refs: Iterable[Ref]) -> dict[Ref, str]:
    """(type, id) → the record's name, one query per kind of record; gone records are left out."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for subject_type, subject_id in refs:
        wanted[subject_type].add(subject_id)
    titles: dict[Ref, str] = {}
    for subject_type, ids in wanted.items():
        model = _MODELS[subject_type]
        for record_id, name in session.execute(select(model.id, model.name).where(model.id.in_(ids))):
            titles[subject_type, record_id] = name
    return titles


def record_path(subject_type: str, subject_id: int) -> str:
    """The record's page within the site."""
    return _PAGES[subject_type].format(subject_id)
