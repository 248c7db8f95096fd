"""A contract's status transitions, for the approval routing to call.

draft or rejected → submitted → active or rejected; draft or rejected → cancelled. Each
function refuses any other move with a Conflict naming the contract, and never commits.
"""

from __future__ import annotations

from datetime import datetime

from core.errors import Conflict
from core.phrases import Phrase

from .models import EDITABLE, Contract

# The status as a sentence names it, translated where it is shown.
STATUS_NAMES = {"draft": Phrase("draft"), "submitted": Phrase("submitted for approval"),
                "active": Phrase("active"), "rejected": Phrase("sent back for revision"),
                "cancelled": Phrase("cancelled")}


def mark_submitted(contract: Contract, now: datetime) -> None:
    """Submitting locks the figures: they are what the approvers decide on."""
    _require(contract, EDITABLE)
    contract.status, contract.submitted_at, contract.updated_at = "submitted", now, now


def mark_active(contract: Contract, now: datetime) -> None:
    _require(contract, ("submitted",))
    contract.status, contract.activated_at, contract.updated_at = "active", now, now


def mark_rejected(contract: Contract, now: datetime) -> None:
    """Back to the owner for revision: the figures may change again until the next submission."""
    _require(contract, ("submitted",))
    contract.status, contract.updated_at = "rejected", now


def mark_cancelled(contract: Contract, now: datetime) -> None:
    _require(contract, EDITABLE)
    contract.status, contract.updated_at = "cancelled", now


def _require(contract: Contract, allowed: tuple[str, ...]) -> None:
    if contract.status not in allowed:
        raise Conflict(Phrase("Contract %(number)s is %(status)s; it cannot make this move",
                              number=contract.number, status=STATUS_NAMES[contract.status]))
