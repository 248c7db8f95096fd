"""Contracts and money reports: the amount signed per period, product, industry, team or rep;
how the margins spread over the approval bands; collections due, received and overdue with
the contracts to chase; and how fast each approver decides. Every page is a table and a
chart of what the reader may see, narrowed to a unit or person of theirs, and downloads
as CSV or XLSX."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from math import ceil
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from workflows.org.visibility import Viewer
from workflows.reports.approvals import turnaround
from workflows.reports.collections import COLLECTIONS_BY, MAX_PER_PAGE, collections_report, overdue_contracts
from workflows.reports.contracts import (
    BUCKETS,
    SIGNED_BY,
    MoneyFilter,
    margin_distribution,
    parse_money_filter,
    signed_report,
)
from workflows.reports.scope import Problems, ReportScope
from workflows.reports.table import Table

from .context import container
from .i18n import translated
from .report_export import FORMATS
from .reports import ScopeChoices, chart_number, read_scope, respond

bp = Blueprint("reports_contracts", __name__)
OVERDUE_PER_PAGE = 50
CHART_ROWS = 20  # a breakdown's chart shows its largest rows; the table has them all
BLUE, DARK_BLUE, GREEN, RED = "#93c5fd", "#2563eb", "#16a34a", "#dc2626"
BY_LABELS = {"period": _l("Period"), "product": _l("Product"), "industry": _l("Industry"), "team": _l("Team"),
             "rep": _l("Rep")}
BUCKET_LABELS = {"month": _l("Month"), "quarter": _l("Quarter")}

# (column key, how it is drawn, its axis, colour)
Series = tuple[str, str, str, str]


@bp.get("/reports/contracts")
def index() -> Response:
    return redirect(url_for(".signed"))


@bp.get("/reports/contracts/signed")
def signed() -> str | Response:
    """Signed amount per month or quarter, or per product, industry, team or rep."""
    viewer: Viewer = current_user.viewer
    problems: Problems = {}
    with container().session_factory() as session:
        scope, choices = read_scope(session, viewer, request.args, problems)
        f = parse_money_filter(request.args, _today(), problems)
        table = signed_report(session, viewer, scope, f, current_user.timezone)
    if f.by == "period":
        chart = _chart(table, [("amount", "bar", "y", BLUE), ("contracts", "line", "y1", DARK_BLUE)])
    else:
        chart = _chart(table, [("amount", "bar", "x", BLUE)], horizontal=True)
    return respond(table, f"signed-amount-by-{f.by}", "reports/contracts_signed.html",
                   **_page(scope, choices, problems, f), chart=chart, breakdowns=SIGNED_BY, buckets=BUCKETS,
                   by_labels=BY_LABELS, bucket_labels=BUCKET_LABELS)


@bp.get("/reports/contracts/margins")
def margins() -> str | Response:
    """How many contracts, for how much, were signed in each margin band."""
    viewer: Viewer = current_user.viewer
    problems: Problems = {}
    with container().session_factory() as session:
        scope, choices = read_scope(session, viewer, request.args, problems)
        f = parse_money_filter(request.args, _today(), problems, breakdowns=())
        table = margin_distribution(session, viewer, scope, f, current_user.timezone)
    chart = _chart(table, [("contracts", "bar", "y", BLUE), ("amount", "bar", "y1", DARK_BLUE)])
    return respond(table, "contract-margins", "reports/contracts_margins.html",
                   **_page(scope, choices, problems, f), chart=chart)


@bp.get("/reports/contracts/collections")
def collections() -> str | Response:
    """Due, received and overdue per team or rep, and the contracts with money overdue;
    ``?list=overdue`` downloads that list whole instead of the summary."""
    viewer: Viewer = current_user.viewer
    problems: Problems = {}
    today = _today()
    page = max(1, request.args.get("page", 1, type=int))
    whole = request.args.get("list") == "overdue" and request.args.get("format") in FORMATS
    with container().session_factory() as session:
        scope, choices = read_scope(session, viewer, request.args, problems)
        f = parse_money_filter(request.args, today, problems, breakdowns=COLLECTIONS_BY)
        table = collections_report(session, viewer, scope, f, today)
        overdue = overdue_contracts(session, viewer, scope, f, today, 1 if whole else page,
                                    MAX_PER_PAGE if whole else OVERDUE_PER_PAGE)
    if whole:
        return respond(overdue.table, "overdue-contracts", "reports/contracts_collections.html")
    chart = _chart(table, [("due", "bar", "y", BLUE), ("received", "bar", "y", GREEN),
                           ("overdue", "bar", "y", RED)])
    return respond(table, f"collections-by-{f.by}", "reports/contracts_collections.html",
                   **_page(scope, choices, problems, f), chart=chart, today=today, overdue=overdue, page=page,
                   pages=max(1, ceil(overdue.total / OVERDUE_PER_PAGE)), breakdowns=COLLECTIONS_BY,
                   by_labels=BY_LABELS)


@bp.get("/reports/contracts/approvals")
def approvals() -> str | Response:
    """Per approver: decisions, approved and rejected, median and average days to decide."""
    viewer: Viewer = current_user.viewer
    problems: Problems = {}
    with container().session_factory() as session:
        scope, choices = read_scope(session, viewer, request.args, problems)
        f = parse_money_filter(request.args, _today(), problems, breakdowns=())
        table = turnaround(session, viewer, scope, f, current_user.timezone)
    chart = _chart(table, [("median", "bar", "y", DARK_BLUE), ("average", "bar", "y", BLUE)])
    return respond(table, "approval-turnaround", "reports/contracts_approvals.html",
                   **_page(scope, choices, problems, f), chart=chart)


def _page(scope: ReportScope, choices: ScopeChoices, problems: Problems, f: MoneyFilter) -> dict[str, Any]:
    """What every page of the family shows: the filters as chosen, the query string of the
    figures shown (for the download links) and of the scope and days (for the tabs)."""
    days = {"since": f.since.isoformat(), "until": f.until.isoformat()}
    return {"scope": scope, "choices": choices, "problems": problems, "filter": f,
            "params": {**scope.params(), **f.params()}, "tab_params": {**scope.params(), **days}}


def _chart(table: Table, series: Sequence[Series], horizontal: bool = False) -> dict[str, Any]:
    """A Chart.js config of some of the table's columns against its first one; a second axis
    (``y1``) on the right for a series of another unit; an axis of counts ticks in whole numbers."""
    columns = {column.key: (index, column) for index, column in enumerate(table.columns)}
    shown = table.rows[:CHART_ROWS] if horizontal else table.rows
    datasets = [{"type": kind, "label": translated(columns[key][1].label),
                 "data": [chart_number(row[columns[key][0]]) for row in shown], "backgroundColor": colour,
                 "borderColor": colour, **({} if horizontal else {"yAxisID": axis})}
                for key, kind, axis, colour in series]
    scales: dict[str, Any] = {}
    for key, _kind, axis, _colour in series:
        scale = scales.setdefault(axis, {"beginAtZero": True, **({"position": "right", "grid": {
            "drawOnChartArea": False}} if axis == "y1" else {})})
        if columns[key][1].kind == "count":
            scale["ticks"] = {"precision": 0}
    return {"type": "bar", "data": {"labels": [translated(row[0]) for row in shown], "datasets": datasets},
            "options": {"scales": scales, **({"indexAxis": "y"} if horizontal else {})}}


def _today() -> date:
    return container().engine.clock.now().astimezone(ZoneInfo(current_user.timezone)).date()
