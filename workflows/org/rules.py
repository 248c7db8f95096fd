"""Input rules shared by the org use cases. A problem is a field's message as a ``Phrase``,
raised with ``reject_fields`` so a form shows it beside the field, in the reader's language."""

from __future__ import annotations

from core.errors import InvalidInput
from core.phrases import Phrase

from .passwords import MIN_LENGTH


def raise_if(problems: list[str]) -> None:
    """Report every bad field at once, so a form can mark them all; each reads "field: message"."""
    if problems:
        raise InvalidInput("; ".join(problems), problems)


def password_problems(field: str, password: str) -> dict[str, Phrase]:
    """``field`` → why ``password`` is too weak; empty when it will do."""
    if len(password) >= MIN_LENGTH:
        return {}
    return {field: Phrase("must be at least %(count)s characters", count=MIN_LENGTH)}
