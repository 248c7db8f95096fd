"""Who may see what waits in a pool: its members and admins (an administrator: every pool).
One condition for leads and accounts alike, so a pool's page and a record's page agree."""

from __future__ import annotations

from sqlalchemy import ColumnElement, SQLColumnExpression, exists
from sqlalchemy.orm import Session

from workflows.org.visibility import Viewer

from .models import PoolMember


def in_pools_of(viewer: Viewer, pool_id: SQLColumnExpression[int | None]) -> ColumnElement[bool]:
    """Rows whose pool (``pool_id``) the viewer is a member of; any pool for an admin."""
    if viewer.is_admin:
        return pool_id.is_not(None)
    return exists().where(PoolMember.pool_id == pool_id, PoolMember.user_id == viewer.user_id)


def is_member(session: Session, viewer: Viewer, pool_id: int | None) -> bool:
    """Whether the viewer may see what waits in pool ``pool_id``."""
    if pool_id is None:
        return False
    return viewer.is_admin or session.get(PoolMember, (pool_id, viewer.user_id)) is not None
