"""Reports: the index, and what every report page shares — reading the scope (unit, person)
from the query string, and answering either the page or, with ``?format=csv|xlsx``, the
same table as a download."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_login import current_user
from sqlalchemy.orm import Session

from workflows.org.visibility import Viewer
from workflows.reports.scope import Problems, ReportScope, parse_scope
from workflows.reports.table import Table

from .choices import people_choices, unit_choices
from .report_export import FORMATS, export

bp = Blueprint("reports", __name__)


@dataclass(frozen=True)
class ScopeChoices:
    """What the scope pickers offer: units (a manager's subtree) and people the reader sees."""

    units: list[tuple[int, str]]
    people: list[tuple[str, str]]


def read_scope(session: Session, viewer: Viewer, args: Mapping[str, str],
               problems: Problems) -> tuple[ReportScope, ScopeChoices]:
    scope = parse_scope(session, viewer, args, problems)
    units = unit_choices(session, viewer)
    return scope, ScopeChoices(units, people_choices(session, viewer))


def respond(table: Table, name: str, template: str, **context: Any) -> str | Response:
    """The report page, or its table as a file when the query string asks for one."""
    fmt = request.args.get("format", "")
    if fmt in FORMATS:
        return export(table, name, fmt)
    return render_template(template, table=table, **context)


def chart_number(value: Decimal | int | float | None) -> float:
    """A figure for a chart, which plots numbers; the table keeps the exact Decimal."""
    return float(value or 0)


@bp.get("/reports")
def index() -> str:
    return render_template("reports/index.html", viewer=current_user.viewer)
