"""Each person's private calendar feed address: issue (the secret shown once), regenerate,
revoke, and find whose feed an address opens.

The address carries ``dfc_`` plus 256 random bits, so guessing one is hopeless; as with
API tokens only its SHA-256 is stored. A person has at most one live address: issuing a
new one revokes the old, so a phone that leaked it can be cut off. A revoked address, or
one of a deactivated person, opens nothing.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflows.org.models import User
from workflows.org.tokens import hash_secret

from .models import CalendarFeed

PREFIX = "dfc_"


def issue_feed(session: Session, user_id: int, now: datetime) -> str:
    """A new feed secret for the user, replacing any live one; shown to them this once."""
    revoke_feed(session, user_id, now)
    secret = PREFIX + secrets.token_urlsafe(32)
    session.add(CalendarFeed(user_id=user_id, secret_hash=hash_secret(secret), created_at=now))
    session.flush()
    return secret


def revoke_feed(session: Session, user_id: int, now: datetime) -> bool:
    """Stop the user's live feed address; False when they had none."""
    result = session.execute(update(CalendarFeed).where(
        CalendarFeed.user_id == user_id, CalendarFeed.revoked_at.is_(None)).values(revoked_at=now))
    return bool(getattr(result, "rowcount", 0))


def live_feed(session: Session, user_id: int) -> CalendarFeed | None:
    return session.scalars(select(CalendarFeed).where(
        CalendarFeed.user_id == user_id, CalendarFeed.revoked_at.is_(None))).first()


def feed_owner(session: Session, secret: str) -> User | None:
    """The active person whose live feed ``secret`` opens, else None."""
    if not secret.startswith(PREFIX):
        return None
    return session.scalars(select(User).join(CalendarFeed, CalendarFeed.user_id == User.id).where(
        CalendarFeed.secret_hash == hash_secret(secret), CalendarFeed.revoked_at.is_(None),
        User.active.is_(True))).first()
