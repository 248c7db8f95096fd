"""Counting a list no further than a page needs to say "more than N"."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, literal, select
from sqlalchemy.orm import Session


def capped_count(session: Session, stmt: Select[Any], cap: int) -> int:
    """Rows of ``stmt``, counted up to ``cap + 1``: enough to say "more than ``cap``" while
    the database reads no more rows than that (the limit is written into the SQL, so the
    plan knows how few it needs)."""
    limited = stmt.limit(literal(cap + 1, literal_execute=True)).subquery()
    return session.scalar(select(func.count()).select_from(limited)) or 0
