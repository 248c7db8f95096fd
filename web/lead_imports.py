"""Lead import pages: upload a CSV or XLSX file, map its columns, preview, run, watch, report.

The run happens after the "run" click commits: as a Celery job when a broker is set,
else on a thread of this process (the embedded default). The progress page refreshes
itself with a meta refresh, since the CSP allows no inline scripts.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from core.errors import Conflict, InvalidInput
from core.phrases import Phrase
from workflows.leads.capture_models import ImportJob
from workflows.leads.imports import (
    IMPORT_TASK,
    create_import,
    get_import,
    list_imports,
    owner_choices,
    preview,
    report,
    run_import,
    sample_rows,
    set_mapping,
    start_import,
)
from workflows.leads.service import FIELDS
from workflows.org.visibility import Viewer

from . import background
from .context import container
from .forms import field_messages
from .i18n import translated
from .lead_forms import FIELD_LABELS

bp = Blueprint("lead_imports", __name__)
LAUNCHER = "dealflow.import_launcher"
OUTCOME_LABELS = {"created": Phrase("Created"), "updated": Phrase("Updated"),
                  "unchanged": Phrase("Matched, nothing to change"),
                  "skipped": Phrase("Skipped as duplicate"), "rejected": Phrase("Rejected")}
UPDATE_OUTCOMES = ("updated", "unchanged")  # only when the job updates the leads its rows match
ON_MATCH_LABELS = {
    "skip": Phrase("skip it"), "fill": Phrase("update the existing lead's empty fields"),
    "overwrite": Phrase("overwrite the existing lead's fields with the row's non-empty values"),
}


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"field_labels": FIELD_LABELS, "lead_fields": FIELDS, "outcome_labels": OUTCOME_LABELS,
            "on_match_labels": ON_MATCH_LABELS, "outcomes_of": outcomes_of, "explain": explain}


@bp.route("/leads/import", methods=["GET", "POST"])
def upload() -> Any:
    viewer: Viewer = current_user.viewer
    form = FlaskForm()
    error = ""
    if form.validate_on_submit():
        file = request.files.get("file")
        try:
            if file is None or not file.filename:
                raise InvalidInput(Phrase("Choose a file"), fields={"file": Phrase("Choose a file")})
            with container().uow() as uow:
                job = create_import(uow.session, viewer, file.filename, file.read(), _now())
                uow.commit()
            return redirect(url_for("lead_imports.mapping", job_id=job.id))
        except InvalidInput as exc:
            error = "; ".join(field_messages(exc).values())
    with container().session_factory() as session:
        jobs = list_imports(session, viewer)
    return render_template("leads/import.html", form=form, jobs=jobs, error=error), 400 if error else 200


@bp.route("/leads/import/<int:job_id>/mapping", methods=["GET", "POST"])
def mapping(job_id: int) -> Any:
    viewer: Viewer = current_user.viewer
    form = FlaskForm()
    errors: dict[str, str] = {}
    with container().session_factory() as session:
        job = get_import(session, viewer, job_id)
        people, pools = owner_choices(session, viewer)
        sample = sample_rows(session, viewer, job_id)
    if form.validate_on_submit():
        chosen = [request.form.get(f"column-{i}", "") for i in range(len(job.columns))]
        target, on_match = request.form.get("target", ""), request.form.get("on_match", "skip")
        try:
            with container().uow() as uow:
                set_mapping(uow.session, viewer, job_id, chosen, target, _now(), on_match)
                uow.commit()
            return redirect(url_for("lead_imports.review", job_id=job_id))
        except (InvalidInput, Conflict) as exc:
            errors = field_messages(exc)
            job.mapping, job.on_match = chosen, on_match
    return render_template("leads/import_mapping.html", form=form, job=job, people=people, pools=pools,
                           sample=sample, errors=errors), 400 if errors else 200


@bp.get("/leads/import/<int:job_id>/preview")
def review(job_id: int) -> str:
    viewer: Viewer = current_user.viewer
    with container().session_factory() as session:
        job = get_import(session, viewer, job_id)
        plans = preview(session, viewer, job_id)
    counts = {outcome: sum(1 for p in plans if p.outcome == outcome) for outcome in outcomes_of(job)}
    return render_template("leads/import_preview.html", form=FlaskForm(), job=job, plans=plans, counts=counts)


@bp.post("/leads/import/<int:job_id>/run")
def run(job_id: int) -> Response:
    viewer: Viewer = current_user.viewer
    form = FlaskForm()
    if form.validate_on_submit():
        try:
            with container().uow() as uow:
                start_import(uow.session, viewer, job_id, _now())
                uow.after_commit(lambda: background.launch(LAUNCHER, job_id))
                uow.commit()
        except Conflict as exc:
            flash(translated(str(exc.args[0])), "error")
    return redirect(url_for("lead_imports.progress", job_id=job_id))


@bp.get("/leads/import/<int:job_id>")
def progress(job_id: int) -> str:
    with container().session_factory() as session:
        job = get_import(session, current_user.viewer, job_id)
    return render_template("leads/import_progress.html", job=job, form=FlaskForm())


@bp.get("/leads/import/<int:job_id>/report.csv")
def download(job_id: int) -> Response:
    viewer: Viewer = current_user.viewer
    buffer = io.StringIO()
    buffer.write("\ufeff")  # the BOM makes Excel read UTF-8, so Chinese shows correctly
    out = csv.writer(buffer)
    with container().session_factory() as session:
        job = get_import(session, viewer, job_id)
        out.writerow([_("Row"), _("Outcome"), _("Reason"), _("Lead"), *job.columns])
        for row in report(session, viewer, job_id):
            outcome = translated(OUTCOME_LABELS[row.outcome]) if row.outcome else _("Not run")
            out.writerow([row.number, outcome, explain(row.reasons), row.lead_id or "", *row.cells])
    name = f"import-{job_id}-report.csv"
    return Response(buffer.getvalue().encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def outcomes_of(job: ImportJob) -> list[str]:
    """The outcomes a job's rows can have, in the order pages list them."""
    return [o for o in OUTCOME_LABELS if job.on_match != "skip" or o not in UPDATE_OUTCOMES]


def explain(reasons: list[dict[str, Any]]) -> str:
    """A row's reasons in the reader's language: "Phone: is not a valid phone number; ..."."""
    parts = []
    for item in reasons:
        label = FIELD_LABELS.get(item.get("field", ""), "")
        message = translated(Phrase(str(item.get("msgid", "")), **dict(item.get("values") or {})))
        parts.append(f"{label}: {message}" if label else message)
    return "; ".join(parts)


def init_app(app: Flask) -> None:
    background.install(app, LAUNCHER, IMPORT_TASK,
                       lambda c, job_id: run_import(c.session_factory, job_id, c.engine.clock))
    app.register_blueprint(bp)


def _now() -> datetime:
    return container().engine.clock.now()
