"""Input rules shared by the org use cases. A problem is a field's message as a ``Phrase``,
raised with ``reject_fields`` so a form shows it beside the field, in the reader's language."""

from __future__ import annotations

from collections.abc import Collection

from core.errors import InvalidInput, PermissionDenied
from core.phrases import Phrase

from .passwords import MIN_LENGTH
from .visibility import Viewer

NAME_MAX = 120  # a unit's name and a user's display name


def raise_if(problems: list[str]) -> None:
    """Report every bad field at once, so a form can mark them all; each reads "field: message"."""
    if problems:
        raise InvalidInput("; ".join(problems), problems)


def password_problems(field: str, password: str) -> dict[str, Phrase]:
    """``field`` → why ``password`` is too weak; empty when it will do."""
    if len(password) >= MIN_LENGTH:
        return {}
    return {field: Phrase("must be at least %(count)s characters", count=MIN_LENGTH)}


def require_admin(actor: Viewer) -> None:
    if not actor.is_admin:
        raise PermissionDenied(Phrase("Only administrators may manage users and org units"))


def require_designer(actor: Viewer) -> None:
    if not actor.is_designer:
        raise PermissionDenied(Phrase("Only process designers and administrators may do this"))


def required_text_problems(field: str, text: str) -> dict[str, Phrase]:
    if 0 < len(text) <= NAME_MAX:
        return {}
    return {field: Phrase("required, at most %(count)s characters", count=NAME_MAX)}


def one_of(choices: Collection[str]) -> Phrase:
    return Phrase("must be one of %(choices)s", choices=", ".join(choices))


def no_unit(org_unit_id: int) -> Phrase:
    return Phrase("org unit %(id)s does not exist", id=org_unit_id)
