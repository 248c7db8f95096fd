"""Settings a user changes for themselves (no admin rights needed)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.errors import InvalidInput, NotFound

from .models import LOCALES, User


def set_locale(session: Session, user_id: int, locale: str) -> None:
    """Remember the interface language a user picked, for every later visit."""
    if locale not in LOCALES:
        raise InvalidInput(f"locale: must be one of {', '.join(LOCALES)}", [f"locale: {locale!r}"])
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} does not exist")
    user.locale = locale
