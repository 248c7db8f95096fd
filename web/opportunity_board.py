"""The kanban board of a business type; dragging a card to the next column opens the
opportunity's own stage gate (``opportunities.stage_form``) in a dialog (web/assets/board.js)."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from workflows.opportunities.board import Column, board
from workflows.opportunities.queries import owner_choices, parse_filter
from workflows.opportunities.service import business_types
from workflows.org.visibility import Viewer

from .context import container
from .opportunity_lists import FILTER_LABELS

bp = Blueprint("opportunity_board", __name__)


@bp.get("/opportunities/board")
def index() -> str:
    """The chosen business type's board, or the first active one's. Owner, name and close-date
    filters narrow it; stage and status do not (the columns are the stages and statuses)."""
    viewer: Viewer = current_user.viewer
    found, problems = parse_filter(request.args)
    c = container()
    with c.session_factory() as session:
        types = business_types(session, active_only=False)
        chosen = found.business_type_id or next((t.id for t in types if t.active), None)
        shown = board(session, c.engine, viewer, replace(found, business_type_id=chosen)) if chosen else None
        owners = owner_choices(session, viewer) if viewer.is_manager or viewer.is_admin else []
    params = {**found.params(), "business_type": str(chosen)}
    return render_template(
        "opportunities/board.html", board=shown, business_types=types, owners=owners, filter=found,
        problems=problems, labels=FILTER_LABELS, now=c.engine.clock.now(),
        names={column.key: column.name for column in shown.columns} if shown else {},
        list_url=lambda column: _list_url(column, params))


def _list_url(column: Column, params: dict[str, str]) -> str:
    """The list of exactly the column's opportunities, largest first as the cards are."""
    order = {"sort": "amount", "desc": "1"}
    return url_for("opportunity_lists.index", **{**params, **order, **column.list_params()})
