"""Lead and activity reports: leads by source, region and assignment with their conversion,
leads and accounts without contact (each count opening its list), conversion per rep; and
visits and calls per rep over time with the rankings of reps and teams. Scoped like every
report; each table downloads as CSV or XLSX (``?table=`` names which)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from workflows.activities.statistics import UNITS, StatisticsFilter, StatisticsRow
from workflows.org.visibility import Viewer
from workflows.reports import activity, leads
from workflows.reports.scope import Problems, ReportScope
from workflows.reports.table import Table

from .activities import UNIT_LABELS
from .context import container
from .i18n import translated
from .reports import chart_number, read_scope, respond

bp = Blueprint("reports_leads", __name__)
COLOURS = ("#2563eb", "#16a34a", "#f59e0b", "#db2777", "#7c3aed", "#0891b2", "#9ca3af")
LEAD_TABLES = ("source", "region", "assignment", "no_contact", "reps")
ACTIVITY_TABLES = ("activity", "reps", "teams")


@bp.get("/reports/leads")
def leads_page() -> str | Response:
    """Leads created in a period by source, region and assignment; no-contact bands; per rep."""
    viewer: Viewer = current_user.viewer
    now, time_zone = _now(), current_user.timezone
    problems: Problems = {}
    with container().session_factory() as session:
        scope, choices = read_scope(session, viewer, request.args, problems)
        f = leads.parse_lead_period(request.args, now.astimezone(ZoneInfo(time_zone)).date(), problems)
        bands = leads.no_contact(session, viewer, scope, now)
        tables = {"source": leads.by_source(session, viewer, scope, f, time_zone),
                  "region": leads.by_region(session, viewer, scope, f, time_zone),
                  "assignment": leads.by_assignment(session, viewer, scope, f, time_zone),
                  "no_contact": leads.no_contact_table(bands),
                  "reps": leads.conversion_per_rep(session, viewer, scope, f, time_zone)}
    chosen = _chosen(LEAD_TABLES)
    params = {**scope.params(), **f.params()}
    charts = {"source": _conversion_chart(tables["source"]), "region": _conversion_chart(tables["region"]),
              "assignment": _share_chart(tables["assignment"]), "no_contact": _no_contact_chart(bands),
              "reps": _rates_chart(tables["reps"])}
    return respond(tables[chosen], f"leads-{chosen}", "reports/leads.html",
                   tables=tables, charts=charts, bands=bands, scope=scope, choices=choices, problems=problems,
                   period=f, params=params, no_contact_links=_no_contact_links(scope))


@bp.get("/reports/activity")
def activity_page() -> str | Response:
    """Visits, calls and meetings per rep over time; reps and teams ranked by won amount or activity."""
    viewer: Viewer = current_user.viewer
    now, time_zone = _now(), current_user.timezone
    problems: Problems = {}
    with container().session_factory() as session:
        scope, choices = read_scope(session, viewer, request.args, problems)
        f, by, found = activity.parse_activity_report(session, viewer, request.args,
                                                      now.astimezone(ZoneInfo(time_zone)).date())
        problems.update(found)
        rows = activity.activity_rows(session, viewer, scope, f, time_zone)
        people, teams = activity.rankings(session, viewer, scope, f, by, time_zone)
    tables = {"activity": activity.activity_table(rows),
              "reps": activity.ranking_table(people, by, teams=False),
              "teams": activity.ranking_table(teams, by, teams=True)}
    chosen = _chosen(ACTIVITY_TABLES)
    params = {**scope.params(), "group": f.unit, "since": f.since.isoformat(), "until": f.until.isoformat(),
              "by": by}
    charts = {"activity": _activity_chart(rows, f), "reps": _ranking_chart(people, by),
              "teams": _ranking_chart(teams, by)}
    return respond(tables[chosen], f"activity-{chosen}", "reports/activity.html", tables=tables,
                   charts=charts, scope=scope, choices=choices, problems=problems, filter=f, by=by,
                   params=params, units=UNITS, unit_labels=UNIT_LABELS)


def _chosen(names: Sequence[str]) -> str:
    """The table a download asks for (``?table=``); the first one by default."""
    wanted = request.args.get("table", "")
    return wanted if wanted in names else names[0]


def _no_contact_links(scope: ReportScope) -> Callable[[str, int], str]:
    """Each band's list: the leads or accounts that long without contact, in the report's scope."""
    narrowed = scope.list_params()

    def link(kind: str, days: int) -> str:
        if kind == "leads":
            return url_for("leads.index", scope="visible", no_contact=days, **narrowed)
        return url_for("accounts.index", no_contact=days, **narrowed)
    return link


def _labels(table: Table) -> list[str]:
    return [translated(label) for label in table.column(table.columns[0].key)]


def _conversion_chart(table: Table) -> dict[str, Any]:
    """Leads and converted ones per row (source, region)."""
    return _bars(_labels(table), [(_("Leads"), table.column("leads")),
                                  (_("Converted"), table.column("converted"))])


def _share_chart(table: Table) -> dict[str, Any]:
    """How the leads were assigned, as shares of a doughnut."""
    return {"type": "doughnut",
            "data": {"labels": _labels(table),
                     "datasets": [{"label": _("Leads"), "data": table.column("leads"),
                                   "backgroundColor": list(COLOURS)}]}}


def _no_contact_chart(bands: Sequence[leads.NoContactBand]) -> dict[str, Any]:
    labels = [_("%(days)s days or more", days=band.days) for band in bands]
    return _bars(labels, [(_("Leads"), [band.leads for band in bands]),
                          (_("Accounts"), [band.accounts for band in bands])])


def _rates_chart(table: Table) -> dict[str, Any]:
    """Each rep's lead-to-opportunity and lead-to-customer rates, in percent."""
    def percents(key: str) -> list[float | None]:
        return [None if rate is None else float(rate * 100) for rate in table.column(key)]
    chart = _bars(_labels(table), [(_("Lead to opportunity"), percents("opportunity_rate")),
                                   (_("Lead to customer"), percents("customer_rate"))])
    chart["options"]["scales"]["y"] = {"beginAtZero": True, "max": 100,
                                       "title": {"display": True, "text": "%"}}
    return chart


def _activity_chart(rows: Sequence[StatisticsRow], f: StatisticsFilter) -> dict[str, Any]:
    """Visits, calls and meetings over time; over a whole period, per rep instead."""
    if f.unit == "period":
        labels = [row.owner_name for row in rows]
        series = [(_("Visits"), [r.visits for r in rows]), (_("Calls"), [r.calls for r in rows]),
                  (_("Meetings"), [r.meetings for r in rows])]
        return _bars(labels, series)
    buckets = activity.over_time(rows, f)
    labels = [format_date(first, "medium") for first, *_counts in buckets]
    return {"type": "line",
            "data": {"labels": labels, "datasets": [
                {"label": label, "data": [bucket[i] for bucket in buckets], "borderColor": COLOURS[i - 1],
                 "backgroundColor": COLOURS[i - 1]}
                for i, label in enumerate((_("Visits"), _("Calls"), _("Meetings")), start=1)]},
            "options": {"scales": {"y": {"beginAtZero": True, "ticks": {"precision": 0}}}}}


def _ranking_chart(ranked: Sequence[activity.Ranked], by: str) -> dict[str, Any]:
    """The ranking's measure as horizontal bars, best on top."""
    if by == "activity":
        label, data = _("Activities"), [item.activities for item in ranked]
    else:
        label, data = _("Won amount"), [chart_number(item.won_amount) for item in ranked]
    chart = _bars([item.name for item in ranked], [(label, data)])
    chart["options"] = {"indexAxis": "y", "scales": {"x": {"beginAtZero": True, "ticks": {"precision": 0}}}}
    return chart


def _bars(labels: list[str], series: Sequence[tuple[str, Sequence[Any]]]) -> dict[str, Any]:
    return {"type": "bar",
            "data": {"labels": labels,
                     "datasets": [{"label": label, "data": list(data), "backgroundColor": COLOURS[i]}
                                  for i, (label, data) in enumerate(series)]},
            "options": {"scales": {"y": {"beginAtZero": True, "ticks": {"precision": 0}}}}}


def _now() -> datetime:
    return container().engine.clock.now()
