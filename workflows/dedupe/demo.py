"""The default duplicate rules a new installation starts with. Idempotent: rules are matched
by kind and name, so a second run adds only what is missing and never undoes an admin's edit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import DuplicateRule

DEFAULT_RULES: tuple[tuple[str, str, str, list[dict[str, Any]]], ...] = (
    ("lead", "Same phone", "block", [{"field": "phone", "match": "exact"}]),
    ("lead", "Same email", "block", [{"field": "email", "match": "exact"}]),
    ("lead", "Similar company and name", "warn", [{"field": "company", "match": "fuzzy", "threshold": 90},
                                                   {"field": "name", "match": "fuzzy", "threshold": 85}]),
    ("account", "Similar name", "warn", [{"field": "name", "match": "fuzzy", "threshold": 92}]),
    ("contact", "Same phone", "warn", [{"field": "phone", "match": "exact"}]),
)


def load_default_rules(session: Session) -> None:
    """Add the default rules that are missing; the caller commits."""
    rows = session.execute(select(DuplicateRule.object, DuplicateRule.name))
    existing = {(row.object, row.name) for row in rows}
    for position, (object, name, action, fields) in enumerate(DEFAULT_RULES):
        if (object, name) not in existing:
            session.add(DuplicateRule(object=object, name=name, action=action, fields=fields,
                                      active=True, position=position * 10))
    session.flush()
