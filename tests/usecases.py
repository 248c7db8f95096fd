"""Running a use case the way a request does: in its own unit of work, committed on success."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bootstrap import Container
from core.errors import InvalidInput


def run(container: Container, use_case: Callable[..., Any], *args: Any) -> Any:
    with container.uow() as uow:
        result = use_case(uow.session, *args)
        uow.commit()
    return result


def refused(container: Container, use_case: Callable[..., Any], *args: Any) -> dict[str, str]:
    """The field problems of a use case that must refuse its input (and so saves nothing)."""
    with pytest.raises(InvalidInput) as caught:
        run(container, use_case, *args)
    return caught.value.fields
