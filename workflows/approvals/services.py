"""The service tasks of the contract approval diagram, by the names diagrams call them."""

from __future__ import annotations

from workflows.services import Service

from . import rounds
from .escalation import remind

# Each service by the name diagrams call it.
SERVICES: dict[str, Service] = {
    "contract.submit": rounds.submit,
    "approval.find_approvers": rounds.find_approvers,
    "contract.activate": rounds.activate,
    "contract.send_back": rounds.send_back,
    "contract.withdraw": rounds.withdraw,
    "approval.remind": remind,
}
