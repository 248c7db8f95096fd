"""Dashboards: each person's saved reports as tiles (chart, table or both), in their order.

Until someone changes theirs they see their role's default (rep, manager or director, see
``builder_defaults``); their first change copies that default into a dashboard of their own,
so adding, removing or moving a tile always acts on what they were looking at. A tile whose
report is no longer shared with them is not shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound, reject_fields
from core.phrases import Phrase
from workflows.org.visibility import Viewer

from .builder_defaults import DASHBOARDS, REPORTS, role_key, shared_roles
from .builder_models import TILE_SHOWS, Dashboard, DashboardTile, ReportShare, SavedReport
from .builder_saved import get_report, visible_condition

MAX_TILES = 24
MOVES = ("up", "down")


@dataclass(frozen=True)
class Tile:
    id: int
    report: SavedReport
    show: str


@dataclass(frozen=True)
class DashboardView:
    own: bool  # False: the role's default, shown until the viewer changes it
    role_key: str
    tiles: list[Tile]


def dashboard_for(session: Session, viewer: Viewer) -> DashboardView:
    """The viewer's dashboard, or their role's default; only tiles of reports they may run."""
    board = _own_board(session, viewer)
    key = role_key(viewer.roles)
    if board is None:
        board = session.scalars(select(Dashboard).where(Dashboard.role_key == key)).first()
    if board is None:
        return DashboardView(False, key, [])
    rows = session.execute(select(DashboardTile, SavedReport).join(SavedReport)
                           .where(DashboardTile.dashboard_id == board.id, visible_condition(viewer))
                           .order_by(DashboardTile.position, DashboardTile.id))
    return DashboardView(board.user_id is not None, key, [Tile(t.id, r, t.show) for t, r in rows])


def needs_defaults(session: Session) -> bool:
    """Whether the shipped reports and default dashboards are still to be created."""
    found = set(session.scalars(select(Dashboard.role_key).where(Dashboard.role_key.is_not(None))))
    return not set(DASHBOARDS) <= found


def ensure_default_dashboards(session: Session, now: datetime) -> None:
    """Create whatever shipped report or default dashboard is missing (the demo loader and a
    first visit call this); a second run adds nothing. The caller commits."""
    shipped_query = select(SavedReport).where(SavedReport.system_key.is_not(None))
    reports = {r.system_key: r for r in session.scalars(shipped_query)}
    for key, shipped in REPORTS.items():
        if key not in reports:
            report = SavedReport(system_key=key, name=str(shipped.name), definition=shipped.definition,
                                 created_at=now, updated_at=now)
            report.shares = [ReportShare(role=role) for role in shared_roles(key)]
            session.add(report)
            reports[key] = report
    session.flush()
    boards = set(session.scalars(select(Dashboard.role_key).where(Dashboard.role_key.is_not(None))))
    for key, tiles in DASHBOARDS.items():
        if key not in boards:
            session.add(Dashboard(role_key=key, created_at=now, tiles=[
                DashboardTile(report_id=reports[report].id, position=n, show=show)
                for n, (report, show) in enumerate(tiles)]))
    session.flush()


def add_tile(session: Session, viewer: Viewer, report_id: int, show: str, now: datetime) -> DashboardTile:
    """Put a report the viewer may run at the end of their dashboard."""
    report = get_report(session, viewer, report_id)
    problems: dict[str, str] = {}
    if show not in TILE_SHOWS:
        problems["show"] = Phrase("is not one of the allowed values")
    board, _tiles = _editable(session, viewer, now)
    if any(t.report_id == report.id for t in board.tiles):
        problems["report"] = Phrase("is already on your dashboard")
    if len(board.tiles) >= MAX_TILES:
        problems["report"] = Phrase("cannot be added: a dashboard holds at most %(count)s reports",
                                    count=MAX_TILES)
    reject_fields(problems)
    tile = DashboardTile(report_id=report.id, position=len(board.tiles), show=show)
    board.tiles.append(tile)
    session.flush()
    return tile


def remove_tile(session: Session, viewer: Viewer, tile_id: int, now: datetime) -> None:
    board, tiles = _editable(session, viewer, now)
    board.tiles.remove(_tile(tiles, tile_id))
    _renumber(board)


def move_tile(session: Session, viewer: Viewer, tile_id: int, direction: str, now: datetime) -> None:
    """One place up or down; the first stays first, the last last."""
    if direction not in MOVES:
        reject_fields({"direction": Phrase("is not one of the allowed values")})
    board, tiles = _editable(session, viewer, now)
    tile = _tile(tiles, tile_id)
    order = list(board.tiles)
    at = order.index(tile)
    to = max(0, min(len(order) - 1, at + (-1 if direction == "up" else 1)))
    order.insert(to, order.pop(at))
    board.tiles = order
    _renumber(board)


def reset_dashboard(session: Session, viewer: Viewer) -> None:
    """Back to the role's default: the viewer's own dashboard goes."""
    board = _own_board(session, viewer)
    if board is not None:
        session.delete(board)
        session.flush()


def _own_board(session: Session, viewer: Viewer) -> Dashboard | None:
    return session.scalars(select(Dashboard).where(Dashboard.user_id == viewer.user_id)).first()


def _editable(session: Session, viewer: Viewer, now: datetime) -> tuple[Dashboard, dict[int, DashboardTile]]:
    """The viewer's own dashboard (made from the default they saw, on their first change), with
    each tile they were shown (by the id they saw) mapped to their own copy of it."""
    own = _own_board(session, viewer)
    if own is not None:
        return own, {t.id: t for t in own.tiles}
    shown = dashboard_for(session, viewer).tiles
    copies = [DashboardTile(report_id=t.report.id, position=n, show=t.show) for n, t in enumerate(shown)]
    own = Dashboard(user_id=viewer.user_id, created_at=now, tiles=copies)
    session.add(own)
    session.flush()
    return own, {seen.id: copy for seen, copy in zip(shown, own.tiles, strict=True)}


def _tile(tiles: dict[int, DashboardTile], tile_id: int) -> DashboardTile:
    if tile_id not in tiles:
        raise NotFound(Phrase("This tile is not on your dashboard"))
    return tiles[tile_id]


def _renumber(board: Dashboard) -> None:
    for n, tile in enumerate(board.tiles):
        tile.position = n
