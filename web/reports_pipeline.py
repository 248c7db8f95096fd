"""Pipeline reports: the sales funnel of a business type and its stage-to-stage conversion
drawn on the pipeline diagram as a heatmap of where deals stall (``assets/diagram.js``, as
the process monitor draws where work waits). Both are scoped like every report and
download as CSV or XLSX."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from workflows.opportunities.service import business_types
from workflows.org.visibility import Viewer
from workflows.reports.conversion import Conversion, conversion, conversion_table
from workflows.reports.funnel import (
    Funnel,
    FunnelStage,
    PipelineFilter,
    funnel,
    funnel_table,
    parse_days,
    pick_business_type,
)
from workflows.reports.scope import Problems, ReportScope
from workflows.reports.table import Table

from .context import container
from .i18n import percent, select_timezone, translated
from .reports import chart_number, read_scope, respond

bp = Blueprint("reports_pipeline", __name__)
AMOUNT_COLOUR, WEIGHTED_COLOUR, WON_COLOUR = "#93c5fd", "#2563eb", "#16a34a"


@bp.get("/reports/funnel")
def funnel_page() -> str | Response:
    """A business type's funnel for the chosen scope and expected close dates."""
    viewer: Viewer = current_user.viewer
    problems: Problems = {}
    c = container()
    with c.session_factory() as session:
        scope, choices = read_scope(session, viewer, request.args, problems)
        chosen = pick_business_type(session, request.args.get("business_type", ""), problems)
        first, last = parse_days(request.args, ("close_from", "close_to"), problems)
        f = PipelineFilter(chosen.id if chosen else None, first, last)
        found = funnel(session, c.engine, viewer, scope, chosen, f) if chosen else None
        types = business_types(session, active_only=False)
    params = _params(scope, f, {"close_from": first, "close_to": last})
    return respond(funnel_table(found) if found else _empty(), "sales-funnel", "reports/funnel.html",
                   found=found, scope=scope, choices=choices, problems=problems, types=types, filter=f,
                   params=params, chart=_funnel_chart(found) if found else None,
                   list_url=lambda stage: _list_url(stage, scope, f))


@bp.get("/reports/conversion")
def conversion_page() -> str | Response:
    """Stage-to-stage conversion and time in stage, on the diagram and in a table."""
    viewer: Viewer = current_user.viewer
    problems: Problems = {}
    c = container()
    with c.session_factory() as session:
        scope, choices = read_scope(session, viewer, request.args, problems)
        chosen = pick_business_type(session, request.args.get("business_type", ""), problems)
        first, last = parse_days(request.args, ("since", "until"), problems)
        f = PipelineFilter(chosen.id if chosen else None, first, last)
        found = conversion(session, c.engine, viewer, scope, chosen, f, select_timezone()) if chosen else None
        types = business_types(session, active_only=False)
    params = _params(scope, f, {"since": first, "until": last})
    shown = {"chart": _conversion_chart(found), "heat": json.dumps(_stalled(found)),
             "labels": json.dumps(_labels(found))} if found else {}
    return respond(conversion_table(found) if found else _empty(), "stage-conversion",
                   "reports/conversion.html", found=found, scope=scope, choices=choices, problems=problems,
                   types=types, filter=f, params=params, waiting_url=lambda key: _waiting_url(key, scope, f),
                   **shown)


def _params(scope: ReportScope, f: PipelineFilter, days: Mapping[str, Any]) -> dict[str, str]:
    """The query string of what is shown, for the download links."""
    chosen = {"business_type": f.business_type_id, **days}
    return {**scope.params(), **{key: str(value) for key, value in chosen.items() if value is not None}}


def _list_url(stage: FunnelStage, scope: ReportScope, f: PipelineFilter) -> str:
    """The opportunity list of exactly a funnel row's opportunities, largest first."""
    days = {"close_from": f.first, "close_to": f.last}
    return url_for("opportunity_lists.index", business_type=f.business_type_id, sort="amount", desc="1",
                   **stage.list_params(), **scope.list_params(),
                   **{key: value.isoformat() for key, value in days.items() if value is not None})


def _waiting_url(stage: str, scope: ReportScope, f: PipelineFilter) -> str:
    """The list of the open opportunities waiting in a stage."""
    return url_for("opportunity_lists.index", business_type=f.business_type_id, status="open", stage=stage,
                   sort="amount", desc="1", **scope.list_params())


def _funnel_chart(found: Funnel) -> dict[str, Any]:
    """Horizontal bars in pipeline order, the open stages then won: amount and weighted amount."""
    shown = [*found.open_stages, *[s for s in found.stages if s.key == "won" and s.kind == "closed"]]
    return {
        "type": "bar",
        "data": {
            "labels": [f"{translated(s.name)} ({s.count})" for s in shown],
            "datasets": [
                {"label": _("Amount"), "data": [chart_number(s.amount) for s in shown],
                 "backgroundColor": [WON_COLOUR if s.kind == "closed" else AMOUNT_COLOUR for s in shown]},
                {"label": _("Weighted amount"), "data": [chart_number(s.weighted) for s in shown],
                 "backgroundColor": WEIGHTED_COLOUR},
            ],
        },
        "options": {"indexAxis": "y", "scales": {"x": {"beginAtZero": True}}},
    }


def _conversion_chart(found: Conversion) -> dict[str, Any]:
    """Per stage: how many entered, moved on and were won."""
    return {
        "type": "bar",
        "data": {
            "labels": [s.name for s in found.stages],
            "datasets": [
                {"label": _("Entered"), "data": [s.entered for s in found.stages],
                 "backgroundColor": AMOUNT_COLOUR},
                {"label": _("Moved on"), "data": [s.moved_on for s in found.stages],
                 "backgroundColor": WEIGHTED_COLOUR},
                {"label": _("Won"), "data": [s.won for s in found.stages], "backgroundColor": WON_COLOUR},
            ],
        },
        "options": {"scales": {"y": {"beginAtZero": True, "ticks": {"precision": 0}}}},
    }


def _stalled(found: Conversion) -> dict[str, int]:
    """The heatmap's badges: per stage's task, the opportunities that went no further."""
    return {s.element_id: s.stalled for s in found.stages if s.element_id}


def _labels(found: Conversion) -> dict[str, str]:
    """Under each stage's task: its conversion and median stay."""
    labels = {}
    for s in found.stages:
        if not s.element_id:
            continue
        if s.conversion is None:
            labels[s.element_id] = _("none entered")
            continue
        moved = _("%(rate)s moved on", rate=percent(s.conversion))
        labels[s.element_id] = moved if s.median_days is None else \
            _("%(moved)s · median %(days).1f days", moved=moved, days=s.median_days)
    return labels


def _empty() -> Table:
    return Table(columns=(), rows=())
