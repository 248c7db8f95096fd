"""Error kinds shared by every layer. They carry no HTTP codes: ``web`` maps them."""

from __future__ import annotations

from collections.abc import Mapping

from .phrases import Phrase


class DealflowError(Exception):
    """Base of every error meant to be shown to a user; ``str()`` is the message."""


class NotFound(DealflowError):
    """The thing does not exist, or the caller may not see it (indistinguishable on purpose)."""


class Conflict(DealflowError):
    """The request raced with another change; retrying or reloading resolves it."""


class PermissionDenied(DealflowError):
    """The caller is known but may not do this."""


class InvalidInput(DealflowError):
    """The input was rejected; ``problems`` lists one message per field or element, and
    ``fields`` maps a form field to its message, for forms that show it beside the field."""

    def __init__(self, message: str, problems: list[str] | None = None,
                 fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})
        self.problems = problems or [f"{name}: {problem}" for name, problem in self.fields.items()]


def reject_fields(fields: Mapping[str, str]) -> None:
    """Raise one InvalidInput naming every bad field, so a form can mark them all at once."""
    if fields:
        raise InvalidInput(Phrase("Please correct: %(fields)s", fields=", ".join(fields)), fields=fields)
