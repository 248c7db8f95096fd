"""Saved views: a person's named filters of a list ("my deals closing this month", "hot
leads in Shanghai"), kept for themselves; a lead view is also whom a bulk send reaches.

Only what the list understands is kept: each list registers how it reads its query
string, so a saved view never carries a key or value the list would have to second-guess.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base
from core.errors import NotFound, reject_fields
from core.phrases import Phrase
from workflows.org.visibility import Viewer

from .leads.lists import lead_ids, parse_lead_filter
from .opportunities.queries import parse_filter

MAX_NAME = 120  # the column's length
# Per list: its query string, reduced to the filters it would apply.
KEPT_FILTERS: dict[str, Callable[[Mapping[str, str]], dict[str, str]]] = {
    "opportunity": lambda params: parse_filter(params)[0].params(),
    "lead": lambda params: parse_lead_filter(params).params(),
}


class SavedView(Base):
    """A named list filter a user keeps."""

    __tablename__ = "saved_view"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    params: Mapped[dict[str, str]] = mapped_column(JSON)


def saved_views(session: Session, viewer: Viewer, object_type: str) -> list[SavedView]:
    """The viewer's own views of one list, by name; nobody sees anyone else's."""
    return list(session.scalars(select(SavedView).where(
        SavedView.user_id == viewer.user_id, SavedView.object_type == object_type).order_by(SavedView.name)))


def get_view(session: Session, viewer: Viewer, object_type: str, view_id: int) -> SavedView:
    """One of the viewer's views of that list; anyone else's "does not exist"."""
    view = session.get(SavedView, view_id)
    if view is None or view.user_id != viewer.user_id or view.object_type != object_type:
        raise NotFound(Phrase("This saved view does not exist"))
    return view


def save_view(session: Session, viewer: Viewer, object_type: str, name: str,
              params: Mapping[str, str]) -> SavedView:
    """Save the list's filters under ``name``; saving again under the same name replaces them."""
    name = name.strip()
    if not 0 < len(name) <= MAX_NAME:
        reject_fields({"name": Phrase("is required (at most %(count)s characters)", count=MAX_NAME)})
    kept = KEPT_FILTERS[object_type](params)
    view = session.scalars(select(SavedView).where(
        SavedView.user_id == viewer.user_id, SavedView.object_type == object_type,
        SavedView.name == name)).first()
    if view is None:
        view = SavedView(user_id=viewer.user_id, object_type=object_type, name=name, params=kept)
        session.add(view)
    else:
        view.params = kept
    session.flush()
    return view


def delete_view(session: Session, viewer: Viewer, object_type: str, view_id: int) -> None:
    session.delete(get_view(session, viewer, object_type, view_id))


def view_record_ids(session: Session, viewer: Viewer, view: SavedView, now: datetime,
                    limit: int) -> list[int]:
    """The ids of the records a view shows now, in list order, at most ``limit``: whom a send
    to the view reaches. Only lead views name recipients."""
    if view.object_type != "lead":
        raise NotFound(Phrase("This saved view does not exist"))
    return lead_ids(session, viewer, parse_lead_filter(view.params), now, limit)
