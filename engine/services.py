"""Service tasks call Python functions that ``workflows`` registers here by name.

The engine knows nothing of CRM objects; it hands each function the call's context
(the session of the current transaction, the instance and a stable idempotency key) so
side effects land in the same transaction as the step, and a timer that catches up on
several overdue cycles can tell one call from another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class ServiceCall:
    session: Session
    instance_id: int
    business_key: str | None
    task_id: str
    element_id: str
    params: Mapping[str, Any]
    data: Mapping[str, Any]

    @property
    def idempotency_key(self) -> str:
        return f"{self.instance_id}:{self.task_id}"


ServiceFunction = Callable[[ServiceCall], Any]


class ServiceRegistry:
    def __init__(self) -> None:
        self._functions: dict[str, ServiceFunction] = {}

    def register(self, name: str, function: ServiceFunction | None = None) -> Any:
        """Register ``function`` under ``name``; usable as a decorator."""
        if function is None:
            return lambda fn: self.register(name, fn)
        if name in self._functions:
            raise ValueError(f"service {name!r} is already registered")
        self._functions[name] = function
        return function

    def get(self, name: str) -> ServiceFunction:
        return self._functions[name]

    def __contains__(self, name: object) -> bool:
        return name in self._functions

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._functions))
