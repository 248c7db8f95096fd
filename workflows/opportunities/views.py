"""Saved views: a person's named filters of the opportunity list ("my deals closing this month").

Only what the list understands is kept (see ``queries.parse_filter``), so a saved view
can never carry a key or value the list would have to second-guess later.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound, reject_fields
from core.phrases import Phrase
from workflows.org.visibility import Viewer

from .models import SavedView
from .queries import parse_filter

OBJECT_TYPE = "opportunity"
MAX_NAME = 120  # the column's length


def saved_views(session: Session, viewer: Viewer) -> list[SavedView]:
    """The viewer's own opportunity views, by name; nobody sees anyone else's."""
    return list(session.scalars(select(SavedView).where(
        SavedView.user_id == viewer.user_id, SavedView.object_type == OBJECT_TYPE).order_by(SavedView.name)))


def save_view(session: Session, viewer: Viewer, name: str, params: Mapping[str, str]) -> SavedView:
    """Save the filters under ``name``; saving again under the same name replaces them."""
    name = name.strip()
    if not 0 < len(name) <= MAX_NAME:
        reject_fields({"name": Phrase("is required (at most %(count)s characters)", count=MAX_NAME)})
    kept = parse_filter(params)[0].params()
    view = session.scalars(select(SavedView).where(
        SavedView.user_id == viewer.user_id, SavedView.object_type == OBJECT_TYPE,
        SavedView.name == name)).first()
    if view is None:
        view = SavedView(user_id=viewer.user_id, object_type=OBJECT_TYPE, name=name, params=kept)
        session.add(view)
    else:
        view.params = kept
    session.flush()
    return view


def delete_view(session: Session, viewer: Viewer, view_id: int) -> None:
    """Delete one of the viewer's views; anyone else's "does not exist"."""
    view = session.get(SavedView, view_id)
    if view is None or view.user_id != viewer.user_id or view.object_type != OBJECT_TYPE:
        raise NotFound(Phrase("This saved view does not exist"))
    session.delete(view)
