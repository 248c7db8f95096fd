"""Business keys: how a process instance names the record it is about, ``<kind>:<id>``.

One format for every kind, so an observer, a service task or a handover can tell which
record an instance drives without asking the engine anything.
"""

from __future__ import annotations

OPPORTUNITY, CONTRACT, LEAD, VISIT, ACCOUNT = "opportunity", "contract", "lead", "visit", "account"


def business_key(kind: str, record_id: int) -> str:
    return f"{kind}:{record_id}"


def record_id(kind: str, key: str | None) -> int | None:
    """The id of the ``kind`` record ``key`` names; None for a key of any other kind."""
    prefix, _colon, rest = (key or "").partition(":")
    return int(rest) if prefix == kind and rest.isascii() and rest.isdigit() and len(rest) < 18 else None
