"""The business key that ties process instances to a contract: ``contract:<id>``."""

from __future__ import annotations

PREFIX = "contract:"


def business_key(contract_id: int) -> str:
    return f"{PREFIX}{contract_id}"


def contract_id_of(key: str | None) -> int | None:
    """The contract a business key names, or None for any other kind of key."""
    if key is None or not key.startswith(PREFIX):
        return None
    rest = key[len(PREFIX):]
    return int(rest) if rest.isdigit() else None
