"""The service tasks of the contract approval diagram, registered with the engine by name."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from core.clock import Clock
from engine import ServiceCall, ServiceRegistry

from . import rounds
from .escalation import remind

Service = Callable[[ServiceCall, datetime], Any]


# Each service by the name diagrams call it.
SERVICES: dict[str, Service] = {
    "contract.submit": rounds.submit,
    "approval.find_approvers": rounds.find_approvers,
    "contract.activate": rounds.activate,
    "contract.send_back": rounds.send_back,
    "contract.withdraw": rounds.withdraw,
    "approval.remind": remind,
}


def register(registry: ServiceRegistry, clock: Clock) -> None:
    """Make the approval services callable from diagrams, each told the engine's time."""
    for name, service in SERVICES.items():
        registry.register(name, partial(_at_now, service, clock))


def _at_now(service: Service, clock: Clock, call: ServiceCall) -> Any:
    return service(call, clock.now())
