"""The opportunity list: filter, sort, page, totals of the filtered set, and saved views
(saved and deleted by ``saved_views``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session

from workflows import saved_views
from workflows.opportunities.board import latest_stages
from workflows.opportunities.pipeline import Stage
from workflows.opportunities.queries import (
    OpportunityFilter,
    opportunity_page,
    owner_choices,
    parse_filter,
)
from workflows.opportunities.service import business_types
from workflows.org.visibility import Viewer

from .choices import unit_choices
from .context import container
from .opportunities import STATUS_LABELS

bp = Blueprint("opportunity_lists", __name__)
FILTER_LABELS = {
    "business_type": _l("Business type"), "stage": _l("Stage"), "status": _l("Status"),
    "unit": _l("Org unit"), "owner": _l("Owner"), "close_from": _l("Closing from"),
    "close_to": _l("Closing to"), "q": _l("Name contains"),
}
COLUMNS = (("name", _l("Name")), ("account", _l("Account")), ("business_type", _l("Business type")),
           ("stage", _l("Stage")), ("probability", _l("Probability")), ("amount", _l("Amount")),
           ("close", _l("Expected close")), ("owner", _l("Owner")), ("status", _l("Status")))


@bp.get("/opportunities")
def index() -> str:
    """The list as the query string filters it; unusable filter values are named, not applied."""
    viewer: Viewer = current_user.viewer
    found, problems = parse_filter(request.args)
    with container().session_factory() as session:
        page = opportunity_page(session, viewer, found)
        choices = _choices(session, viewer, found)
        saved = saved_views.saved_views(session, viewer, "opportunity")
    params = found.params()
    return render_template(
        "opportunities/list.html", page=page, filter=found, params=params, problems=problems,
        labels=FILTER_LABELS, columns=COLUMNS, status_labels=STATUS_LABELS, saved=saved,
        list_url=lambda **changes: url_for("opportunity_lists.index", **{**params, **changes}), **choices)


def _choices(session: Session, viewer: Viewer, found: OpportunityFilter) -> dict[str, Any]:
    """The filter form's options: business types, the stages of their latest pipelines, and
    (for managers) the people whose opportunities the viewer sees."""
    types = business_types(session, active_only=False)
    chosen = [t for t in types if t.id == found.business_type_id] or [t for t in types if t.active]
    stages: dict[str, Stage] = {}
    for business_type in chosen:
        for stage in latest_stages(session, container().engine, business_type)[1]:
            stages.setdefault(stage.key, stage)
    owners = owner_choices(session, viewer) if viewer.is_manager or viewer.is_admin else []
    return {"business_types": types, "stages": list(stages.values()), "owners": owners,
            "units": unit_choices(session, viewer)}
