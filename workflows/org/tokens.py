"""Personal API tokens: issue one (its secret shown once), list, revoke, authenticate.

A secret is ``dfk_`` plus 256 random bits, so guessing one is hopeless and no rate limit
is needed. Only its SHA-256 is stored (a slow password hash would buy nothing against
random secrets and would cost every API call), found through a unique index. A token
stops working the moment it is revoked or its user is deactivated.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.phrases import Phrase

from .models import ApiToken, OrgUnit, User, UserRole
from .rules import raise_if
from .visibility import Viewer

PREFIX = "dfk_"
NAME_MAX = 100
# last_used_at is written at most this often per token, so API calls stay read-only.
USE_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown to its owner once; never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(session: Session, user_id: int, name: str, now: datetime) -> IssuedToken:
    """A new token for an active user; ``name`` says what it is for (a script, a machine)."""
    name = name.strip()
    raise_if(_name_problems(name))
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise NotFound(Phrase("User %(id)s does not exist", id=user_id))
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user_id, name=name, secret_hash=hash_secret(secret), created_at=now)
    session.add(token)
    session.flush()
    return IssuedToken(token, secret)


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    """A user's tokens, newest first; revoked ones stay listed as a record."""
    return list(session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())))


def revoke_token(session: Session, user_id: int, token_id: int, now: datetime) -> ApiToken:
    """Revoke one of the user's own tokens; revoking twice keeps the first moment."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise NotFound(Phrase("This token does not exist"))
    if token.revoked_at is None:
        token.revoked_at = now
    return token


# Every API call runs these, so they are built once (SQLAlchemy then skips rebuilding and
# re-keying them per call) and run as plain rows rather than ORM objects.
_LIVE_TOKEN = (
    select(ApiToken.id, ApiToken.last_used_at, User.id, User.username, OrgUnit.path, UserRole.role)
    .join(User, User.id == ApiToken.user_id).join(OrgUnit, OrgUnit.id == User.org_unit_id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .where(ApiToken.secret_hash == bindparam("secret_hash"), ApiToken.revoked_at.is_(None),
           User.active.is_(True))
)
_TOKEN_USED = (update(ApiToken).where(ApiToken.id == bindparam("token_id"))
               .values(last_used_at=bindparam("now")))


def authenticate_token(session: Session, secret: str, now: datetime) -> Viewer | None:
    """The viewer behind a live token of an active user, else None; the caller commits."""
    rows = session.connection().execute(_LIVE_TOKEN, {"secret_hash": hash_secret(secret)}).all()
    if not rows:
        return None
    token_id, last_used_at, user_id, username, unit_path, _role = rows[0]
    if last_used_at is None or now - last_used_at >= USE_PRECISION:
        session.connection().execute(_TOKEN_USED, {"token_id": token_id, "now": now})
    return Viewer(user_id=user_id, username=username, roles=frozenset(r.role for r in rows if r.role),
                  unit_path=unit_path)


def _name_problems(name: str) -> list[str]:
    if not name:
        return [Phrase("name: is required")]
    if len(name) > NAME_MAX:
        return [Phrase("name: must be at most %(count)s characters", count=NAME_MAX)]
    return []
