"""Registering the CRM's service tasks with the engine: each told the engine clock's time."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Any

from core.clock import Clock
from engine import ServiceCall, ServiceRegistry

Service = Callable[[ServiceCall, datetime], Any]


def register(registry: ServiceRegistry, clock: Clock, services: Mapping[str, Service]) -> None:
    """Make ``services`` callable from diagrams by name."""
    for name, service in services.items():
        registry.register(name, partial(_at_now, service, clock))


def _at_now(service: Service, clock: Clock, call: ServiceCall) -> Any:
    return service(call, clock.now())
