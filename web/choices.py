"""Select options: from (value, label) pairs as WTForms wants them, and the org units a
manager may narrow a list or report to."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session
from wtforms import SelectChoice

from workflows.org.service import list_active_users
from workflows.org.visibility import Viewer, units_in_sight


def choices(pairs: Iterable[tuple[str, str]], blank: str | None = None) -> list[SelectChoice]:
    """The options in order; ``blank`` (a label) puts an empty choice first."""
    first = [SelectChoice("", blank)] if blank is not None else []
    return first + [SelectChoice(str(value), label) for value, label in pairs]


def unit_choices(session: Session, viewer: Viewer) -> list[tuple[int, str]]:
    """The units in the viewer's sight as (id, name), indented by an ideographic space per
    level, so the picker shows the tree's shape; none for a rep."""
    return [(unit.id, "\u3000" * (unit.path.count("/") - 2) + unit.name)
            for unit in units_in_sight(session, viewer)]


def people_choices(session: Session, viewer: Viewer) -> list[tuple[str, str]]:
    """Whom a manager may pick to see; nobody for a rep, who sees only their own."""
    if not (viewer.is_manager or viewer.is_admin):
        return []
    return [(u.username, u.display_name) for u in list_active_users(session, viewer)]
