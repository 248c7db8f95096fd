"""Error kinds shared by every layer. They carry no HTTP codes: ``web`` maps them."""

from __future__ import annotations


class DealflowError(Exception):
    """Base of every error meant to be shown to a user; ``str()`` is the message."""


class NotFound(DealflowError):
    """The thing does not exist, or the caller may not see it (indistinguishable on purpose)."""


class Conflict(DealflowError):
    """The request raced with another change; retrying or reloading resolves it."""


class PermissionDenied(DealflowError):
    """The caller is known but may not do this."""


class InvalidInput(DealflowError):
    """The input was rejected; ``problems`` lists one message per field or element."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []
