"""Input rules shared by the org use cases: every problem reads "field: message"."""

from __future__ import annotations

from core.errors import InvalidInput

from .passwords import MIN_LENGTH


def raise_if(problems: list[str]) -> None:
    """Report every bad field at once, so a form can mark them all."""
    if problems:
        raise InvalidInput("; ".join(problems), problems)


def password_problems(field: str, password: str) -> list[str]:
    if len(password) >= MIN_LENGTH:
        return []
    return [f"{field}: must be at least {MIN_LENGTH} characters"]
