"""Settings a user changes for themselves (no admin rights needed)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.errors import NotFound, reject_fields
from core.phrases import Phrase

from .models import LOCALES, User


def set_locale(session: Session, user_id: int, locale: str) -> None:
    """Remember the interface language a user picked, for every later visit."""
    if locale not in LOCALES:
        reject_fields({"locale": Phrase("must be one of %(choices)s", choices=", ".join(LOCALES))})
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(Phrase("User %(id)s does not exist", id=user_id))
    user.locale = locale
