"""The report builder: pick an object, columns, filters, grouping and a chart, preview as you
go (each step is a GET re-render), save under a name, share with a role or an org unit; the
saved reports (mine and those shared with me), each run with the reader's own visibility.

Choice values (statuses, sources, kinds) reach the page and the downloads under the labels the
rest of the app uses for them; the definitions themselves keep the codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from core.errors import InvalidInput
from workflows.activities.filters import page_number
from workflows.inputs import parse_id
from workflows.reports import builder_saved
from workflows.reports.builder import (
    MAX_FILTERS,
    ReportDefinition,
    check_definition,
    params_of,
    raw_from_params,
)
from workflows.reports.builder_catalog import AGGREGATES, CHARTS, DATED, NUMERIC, OBJECTS, OPERATORS, PERIODS
from workflows.reports.builder_models import TILE_SHOWS
from workflows.reports.builder_run import EXPORT_ROWS, ChartData, ReportResult, run_report
from workflows.reports.scope import ReportScope
from workflows.reports.table import Table

from .accounts import CATEGORY_LABELS, TYPE_LABELS
from .activities import KIND_LABELS, RECORD_LABELS
from .admin import ROLE_LABELS
from .context import container
from .contracts import CONTRACT_STATUS_LABELS
from .forms import field_messages
from .i18n import translated
from .leads import LEAD_STATUS_LABELS, RATING_LABELS
from .leads import SOURCE_LABELS as LEAD_SOURCE_LABELS
from .opportunities import SOURCE_LABELS, STATUS_LABELS
from .report_export import FORMATS
from .reports import read_scope, respond

bp = Blueprint("reports_builder", __name__)
# How the app names each choice field's codes, per object.
CHOICE_LABELS: dict[str, dict[str, Mapping[str, Any]]] = {
    "leads": {"status": LEAD_STATUS_LABELS, "source": LEAD_SOURCE_LABELS, "rating": RATING_LABELS},
    "accounts": {"category": CATEGORY_LABELS, "account_type": TYPE_LABELS},
    "opportunities": {"status": STATUS_LABELS, "source": SOURCE_LABELS},
    "contracts": {"status": CONTRACT_STATUS_LABELS},
    "activities": {"kind": KIND_LABELS, "subject_type": RECORD_LABELS},
}
TILE_SHOW_LABELS = {"both": _l("Chart and table"), "chart": _l("Chart only"), "table": _l("Table only")}


@bp.get("/reports/builder")
def builder() -> str | Response:
    """Each step re-renders with a preview of what has been chosen so far."""
    return _builder_page(raw_from_params(request.args), {})


@bp.post("/reports/builder")
def save() -> str | Response | BaseResponse:
    """Save the previewed report (new, or changes to one's own); refused, the builder shows why."""
    raw = raw_from_params(request.form)
    editing = parse_id(request.form.get("report", ""))
    try:
        with container().uow() as uow:
            report = builder_saved.save_report(
                uow.session, current_user.viewer, raw, request.form.get("name", ""),
                request.form.get("share", ""), container().engine.clock.now(),
                editing if request.form.get("save") == "changes" else None)
            report_id = report.id
            uow.commit()
    except InvalidInput as exc:
        return _builder_page(raw, field_messages(exc))
    flash(_("The report is saved."))
    return redirect(url_for(".show", report_id=report_id))


def _builder_page(raw: dict[str, Any], save_problems: dict[str, str]) -> str | Response:
    definition, problems = check_definition(raw) if raw["object"] else (None, {})
    viewer = current_user.viewer
    editing = parse_id(request.values.get("report", ""))
    result = table = chart = None
    with container().session_factory() as session:
        if definition is not None:
            result, table, chart = present(session, definition, _page())
            if _export_asked():
                return respond(table, f"report-{definition.object.key}", "reports/builder.html")
        roles, units = builder_saved.share_choices(session, viewer)
        mine = editing is not None and builder_saved.owns(session, viewer, editing)
    blank = [{"field": "", "op": "", "value": "", "value2": ""}] if len(raw["filters"]) < MAX_FILTERS else []
    return render_template(
        "reports/builder.html", raw=raw, object=OBJECTS.get(raw["object"]), objects=OBJECTS,
        filters=raw["filters"] + blank, groups=(raw["groups"] + [{}, {}])[:2],
        problems={**problems, **save_problems}, definition=definition, result=result, table=table,
        chart=chart, params=params_of(raw), operators=OPERATORS, periods=PERIODS, aggregates=AGGREGATES,
        charts=CHARTS, numeric=NUMERIC, dated=DATED, pairs=_pairs(raw["object"]), roles=roles, units=units,
        role_labels=ROLE_LABELS, editing=editing if mine else None, name=request.form.get("name", ""),
        share=request.form.get("share", ""))


def _pairs(object_key: str) -> dict[str, Any]:
    """The builder's options as (value, label): fields, those that group, those that sum, and
    each choice field's codes under the app's labels for them."""
    report_object = OBJECTS.get(object_key)
    if report_object is None:
        return {}
    fields = list(report_object.fields.values())
    labels = CHOICE_LABELS.get(object_key, {})
    return {"fields": [(f.key, f.label) for f in fields],
            "groupable": [(f.key, f.label) for f in fields if f.groupable],
            "measures": [(f.key, f.label) for f in fields if f.kind in NUMERIC],
            "choices": {f.key: [(code, labels.get(f.key, {}).get(code, code)) for code in f.choices]
                        for f in fields if f.kind == "choice"}}


@bp.get("/reports/saved")
def saved() -> str:
    viewer = current_user.viewer
    with container().session_factory() as session:
        found = builder_saved.list_reports(session, viewer, _page())
        owners = builder_saved.owner_names(session, found.reports)
        units = builder_saved.unit_names(session, found.reports)
        names = {r.id: builder_saved.report_name(r) for r in found.reports}
    return render_template("reports/builder_saved.html", found=found, names=names, owners=owners, units=units,
                           objects=OBJECTS, role_labels=ROLE_LABELS, me=viewer.user_id)


@bp.get("/reports/saved/<int:report_id>")
def show(report_id: int) -> str | Response:
    """A saved report run for the reader: only what they may see, narrowed to a unit or person of theirs."""
    viewer = current_user.viewer
    scope_problems: dict[str, str] = {}
    result = table = chart = None
    with container().session_factory() as session:
        report = builder_saved.get_report(session, viewer, report_id)
        definition, problems = builder_saved.definition_of(report)
        scope, choices = read_scope(session, viewer, request.args, scope_problems)
        if definition is not None:
            result, table, chart = present(session, definition, _page(), scope)
            if _export_asked():
                return respond(table, f"report-{report.id}", "reports/builder_report.html")
        roles, units = builder_saved.share_choices(session, viewer)
        context = {"owner": builder_saved.owner_names(session, [report]).get(report.id),
                   "unit_names": builder_saved.unit_names(session, [report]),
                   "name": builder_saved.report_name(report), "shares": list(report.shares)}
    return render_template(
        "reports/builder_report.html", report=report, definition=definition, problems=problems, result=result,
        table=table, chart=chart, scope=scope, choices=choices, scope_problems=scope_problems, roles=roles,
        units=units, role_labels=ROLE_LABELS, mine=report.owner_id == viewer.user_id,
        builder_params=params_of(report.definition), tile_shows=TILE_SHOW_LABELS, shows=TILE_SHOWS,
        args=scope.params(), **context)


@bp.post("/reports/saved/<int:report_id>/shares")
def share(report_id: int) -> BaseResponse:
    try:
        with container().uow() as uow:
            builder_saved.add_share(uow.session, current_user.viewer, report_id,
                                    request.form.get("share", ""))
            uow.commit()
    except InvalidInput as exc:
        for message in field_messages(exc).values():
            flash(_("Not shared: %(problem)s", problem=message))
        return redirect(url_for(".show", report_id=report_id))
    flash(_("The report is shared. Each reader sees only the records they may see."))
    return redirect(url_for(".show", report_id=report_id))


@bp.post("/reports/saved/<int:report_id>/shares/<int:share_id>/delete")
def unshare(report_id: int, share_id: int) -> BaseResponse:
    with container().uow() as uow:
        builder_saved.remove_share(uow.session, current_user.viewer, report_id, share_id)
        uow.commit()
    flash(_("The report is no longer shared that way."))
    return redirect(url_for(".show", report_id=report_id))


@bp.post("/reports/saved/<int:report_id>/delete")
def delete(report_id: int) -> BaseResponse:
    with container().uow() as uow:
        builder_saved.delete_report(uow.session, current_user.viewer, report_id)
        uow.commit()
    flash(_("The report was deleted."))
    return redirect(url_for(".saved"))


def present(session: Session, definition: ReportDefinition, page: int = 1, scope: ReportScope | None = None,
            per_page: int | None = None) -> tuple[ReportResult, Table, dict[str, Any] | None]:
    """Run a definition for the reader and present it: choice codes under their labels, and the
    chart as Chart.js's config. Dashboards draw their tiles with this too."""
    exporting = _export_asked()
    size = EXPORT_ROWS if exporting else per_page
    result = run_report(session, current_user.viewer, definition, current_user.timezone,
                        page=1 if exporting else page, scope=scope, **({"per_page": size} if size else {}))
    labels = CHOICE_LABELS.get(definition.object.key, {})
    drawn = result.chart is not None and result.table.rows  # an empty chart says less than "nothing yet"
    chart = _chart_spec(definition, result.chart, labels) if drawn and result.chart is not None else None
    return result, _relabelled(result.table, labels), chart


def _relabelled(table: Table, labels: Mapping[str, Mapping[str, Any]]) -> Table:
    at = [labels.get(column.key) for column in table.columns]
    rows = [[_label(names, value) for names, value in zip(at, row, strict=True)] for row in table.rows]
    return Table(table.columns, rows, table.totals, table.notes)


def _label(names: Mapping[str, Any] | None, value: Any) -> Any:
    return str(names[value]) if names and isinstance(value, str) and value in names else value


def _chart_spec(definition: ReportDefinition, chart: ChartData,
                labels: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Chart.js's config: labels from the first grouping, a dataset per series (the second
    grouping's values, stacked for bars), numbers as plain floats for the browser."""
    first = labels.get(definition.groups[0].field.key)
    second = labels.get(definition.groups[-1].field.key, {}) if len(definition.groups) > 1 else None

    def name(names: Mapping[str, Any] | None, value: Any) -> str:
        return _("(none)") if value is None or value == "" else str(_label(names, value))

    datasets = [{"label": translated(series) if second is None else name(second, series),
                 "data": [float(v) if v is not None else None for v in values]}
                for series, values in chart.series]
    spec: dict[str, Any] = {"type": chart.kind, "data": {
        "labels": [name(first, value) for value in chart.labels], "datasets": datasets}}
    if chart.kind == "bar" and len(definition.groups) > 1:
        spec["options"] = {"scales": {"x": {"stacked": True}, "y": {"stacked": True}}}
    return spec


def _page() -> int:
    return page_number(request.args.get("page", "")) or 1


def _export_asked() -> bool:
    return request.args.get("format", "") in FORMATS
