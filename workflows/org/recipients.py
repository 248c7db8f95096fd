"""People as others address them: by display name, and as the notifications package does,
by id, in their language and time zone."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications import Recipient

from .models import User


def recipient(session: Session, username: str) -> Recipient | None:
    """The active user ``username`` as a recipient, or None for someone unknown or gone."""
    user = session.scalars(select(User).where(User.username == username, User.active.is_(True))).first()
    if user is None:
        return None
    return Recipient(user_id=user.id, username=user.username, name=user.display_name, email=user.email,
                     locale=user.locale, time_zone=user.timezone)


def display_name(session: Session, username: str) -> str:
    """How a person is named to others; their username if they are unknown."""
    return display_names(session, [username]).get(username, username)


def display_names(session: Session, usernames: Iterable[str]) -> dict[str, str]:
    """Username → display name, in one query; unknown usernames are left out."""
    wanted = set(usernames)
    if not wanted:
        return {}
    rows = session.execute(select(User.username, User.display_name).where(User.username.in_(wanted)))
    return {username: name for username, name in rows}
