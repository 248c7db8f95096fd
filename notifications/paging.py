"""One page of a list query, without counting the whole list.

Counting a user's 100,000 notifications to print "page 1 of 5,000" costs more than the
page itself; reading one row more than the page says whether there is a next one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

T = TypeVar("T")
PER_PAGE = 20
MAX_PAGE = 1_000_000  # past any real list; a larger number would overflow the OFFSET


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_of(session: Session, stmt: Select[Any], number: int, per_page: int = PER_PAGE) -> Page[Any]:
    """Page ``number`` (from 1) of ``stmt``'s single-entity rows, which must be ordered."""
    number = min(max(1, number), MAX_PAGE)
    rows = list(session.scalars(stmt.offset((number - 1) * per_page).limit(per_page + 1)))
    return Page(rows[:per_page], number, len(rows) > per_page)
