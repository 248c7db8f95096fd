"""Dashboards: each person's saved reports as tiles (chart, table or both), added, removed and
moved with small forms; their role's default until they change it. Every tile runs its report
with the reader's own visibility."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from core.errors import InvalidInput
from workflows.inputs import parse_id
from workflows.reports import builder_saved, dashboards
from workflows.reports.builder_models import TILE_SHOWS, SavedReport
from workflows.reports.builder_run import ReportResult
from workflows.reports.table import Table

from .context import container
from .forms import field_messages
from .reports_builder import TILE_SHOW_LABELS, present

bp = Blueprint("dashboards", __name__)
TILE_ROWS = 10  # a listed report's first records on its tile; the report itself pages through the rest


@dataclass(frozen=True)
class TileView:
    id: int
    report: SavedReport
    name: str
    show: str
    first: bool
    last: bool
    problems: dict[str, str]
    result: ReportResult | None = None
    table: Table | None = None
    chart: dict[str, Any] | None = None


@bp.get("/dashboards")
def index() -> str:
    viewer = current_user.viewer
    _seed_defaults()
    with container().session_factory() as session:
        board = dashboards.dashboard_for(session, viewer)
        last = len(board.tiles) - 1
        tiles = [_tile(session, tile, n == 0, n == last) for n, tile in enumerate(board.tiles)]
        shown = {tile.report.id for tile in board.tiles}
        addable = [(r.id, builder_saved.report_name(r)) for r in builder_saved.report_choices(session, viewer)
                   if r.id not in shown]
    return render_template("dashboards/index.html", board=board, tiles=tiles, addable=addable,
                           shows=TILE_SHOWS, tile_shows=TILE_SHOW_LABELS)


@bp.post("/dashboards/tiles")
def add() -> Response:
    report_id = parse_id(request.form.get("report_id", ""))
    _seed_defaults()  # the first change copies the role's default: it must be there
    try:
        with container().uow() as uow:
            tile = dashboards.add_tile(uow.session, current_user.viewer, report_id or 0,
                                       request.form.get("show", "both"), container().engine.clock.now())
            tile_id = tile.id
            uow.commit()
    except InvalidInput as exc:
        for message in field_messages(exc).values():
            flash(_("Not added: the report %(problem)s", problem=message))
        return redirect(url_for(".index"))
    flash(_("The report is on your dashboard."))
    return redirect(url_for(".index", _anchor=f"tile-{tile_id}"))


@bp.post("/dashboards/tiles/<int:tile_id>/remove")
def remove(tile_id: int) -> Response:
    _seed_defaults()
    with container().uow() as uow:
        dashboards.remove_tile(uow.session, current_user.viewer, tile_id, container().engine.clock.now())
        uow.commit()
    flash(_("The report was taken off your dashboard."))
    return redirect(url_for(".index"))


@bp.post("/dashboards/tiles/<int:tile_id>/move")
def move(tile_id: int) -> Response:
    _seed_defaults()
    with container().uow() as uow:
        dashboards.move_tile(uow.session, current_user.viewer, tile_id, request.form.get("direction", ""),
                             container().engine.clock.now())
        uow.commit()
    return redirect(url_for(".index"))


@bp.post("/dashboards/reset")
def reset() -> Response:
    with container().uow() as uow:
        dashboards.reset_dashboard(uow.session, current_user.viewer)
        uow.commit()
    flash(_("You see your role's default dashboard again."))
    return redirect(url_for(".index"))


def _tile(session: Session, tile: dashboards.Tile, first: bool, last: bool) -> TileView:
    definition, problems = builder_saved.definition_of(tile.report)
    name = builder_saved.report_name(tile.report)
    view = TileView(tile.id, tile.report, name, tile.show, first, last, problems)
    if definition is None:
        return view
    result, table, chart = present(session, definition, per_page=TILE_ROWS)
    return replace(view, result=result, table=table, chart=chart)


def _seed_defaults() -> None:
    """The shipped reports and role dashboards, on the first visit of an installation without the demo."""
    with container().session_factory() as session:
        if not dashboards.needs_defaults(session):
            return
    try:
        with container().uow() as uow:
            dashboards.ensure_default_dashboards(uow.session, container().engine.clock.now())
            uow.commit()
    except IntegrityError:
        pass  # another first visit seeded them at the same moment
