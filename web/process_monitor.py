"""Watching a deployed version (process designers and admins): where its running instances
wait, drawn on the diagram as a heatmap; how long each step takes; its instances page by
page. And moving them to another version: the dry run, the run (a background job, as imports
and bulk sends are), its progress and its results.

The progress page refreshes itself with a meta refresh, as the bulk send's does (the CSP
allows no inline scripts).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from core.errors import Conflict, NotFound
from core.phrases import Phrase
from engine import (
    ProcessDefinition,
    running_instances,
    time_per_element,
    version_counts,
    waiting_work,
)
from workflows.inputs import parse_id
from workflows.instances import bulk, care
from workflows.instances.models import OUTCOMES
from workflows.org.rules import require_designer
from workflows.org.visibility import Viewer

from . import background
from .context import container
from .i18n import message_of, translated

bp = Blueprint("process_monitor", __name__)
LAUNCHER = "dealflow.process_migration_launcher"
JOB_STATUS = {"queued": _l("Waiting to start"), "running": _l("Moving instances"), "done": _l("Finished"),
              "failed": _l("Stopped")}
OUTCOME_LABELS = {"moved": _l("Moved"), "refused": _l("Stayed")}


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"job_status": JOB_STATUS, "outcome_labels": OUTCOME_LABELS, "outcomes": OUTCOMES}


def init_app(app: Flask) -> None:
    background.install(app, LAUNCHER, bulk.MIGRATION_TASK, lambda c, job_id: bulk.run_migration(
        c.session_factory, c.engine, job_id, c.engine.clock))
    app.register_blueprint(bp)


@bp.get("/processes/versions/<int:definition_id>")
def version(definition_id: int) -> str:
    """The version's diagram with where work waits, time per step, and its running instances."""
    viewer: Viewer = current_user.viewer
    require_designer(viewer)
    at = request.args.get("at", "").strip()[:100] or None
    number = max(1, request.args.get("page", 1, type=int))
    engine = container().engine
    with container().session_factory() as session:
        definition = _definition(session, definition_id)
        names = {e.id: e.name for e in engine.outline(session, definition_id)}
        work = waiting_work(session, definition_id)
        times = time_per_element(session, definition_id)
        counts = version_counts(session, definition_id)
        page = running_instances(session, definition_id, number, at=at)
        targets = care.targets(session, viewer, definition.key, definition_id)
        jobs = bulk.jobs_of(session, viewer, definition_id)
    waiting = sum(w.total for w in work)
    return render_template(
        "monitor/version.html", definition=definition, names=names, work=work, waiting=waiting, times=times,
        counts=counts, page=page, at=at, targets=targets, jobs=jobs,
        heat=json.dumps({w.bpmn_id: w.total for w in work}),
        averages=json.dumps({t.bpmn_id: _("avg %(time)s", time=_short(t.average)) for t in times}),
    )


@bp.get("/processes/versions/<int:definition_id>/migrate")
def dry_run(definition_id: int) -> str:
    """What moving the version's running instances to the chosen version would do, a page at a time."""
    viewer: Viewer = current_user.viewer
    target_id = parse_id(request.args.get("target", "")) or 0
    number = max(1, request.args.get("page", 1, type=int))
    with container().session_factory() as session:
        pair = care.migration_pair(session, viewer, definition_id, target_id)
        page = bulk.dry_run(session, container().engine, viewer, definition_id, target_id, number)
        counts = version_counts(session, definition_id)
    return render_template("monitor/dry_run.html", source=pair.source, target=pair.target, page=page,
                           counts=counts)


@bp.post("/processes/versions/<int:definition_id>/migrate")
def run(definition_id: int) -> Response:
    """Queue the move of every running instance; its page shows the progress, then the results."""
    viewer: Viewer = current_user.viewer
    target_id = parse_id(request.form.get("target", "")) or 0
    try:
        with container().uow() as uow:
            job = bulk.start_migration(uow.session, viewer, definition_id, target_id, _now())
            job_id = job.id
            uow.after_commit(lambda: background.launch(LAUNCHER, job_id))
            uow.commit()
    except Conflict as exc:
        flash(message_of(exc), "error")
        return redirect(url_for("process_monitor.version", definition_id=definition_id))
    return redirect(url_for("process_monitor.job", job_id=job_id))


@bp.get("/processes/migrations/<int:job_id>")
def job(job_id: int) -> str:
    """How far a bulk migration got, and what became of each instance (filter by outcome)."""
    viewer: Viewer = current_user.viewer
    outcome = request.args.get("outcome", "")
    outcome = outcome if outcome in OUTCOMES else ""
    number = max(1, request.args.get("page", 1, type=int))
    with container().session_factory() as session:
        found = bulk.get_job(session, viewer, job_id)
        page = bulk.items(session, viewer, job_id, outcome, number)
    return render_template("monitor/job.html", job=found, page=page, outcome=outcome)


@bp.post("/processes/migrations/<int:job_id>/restart")
def restart(job_id: int) -> Response:
    try:
        with container().uow() as uow:
            bulk.start_again(uow.session, current_user.viewer, job_id, _now())
            uow.after_commit(lambda: background.launch(LAUNCHER, job_id))
            uow.commit()
    except Conflict as exc:
        flash(message_of(exc), "error")
    return redirect(url_for("process_monitor.job", job_id=job_id))


@bp.app_template_filter("reasons")
def reasons_text(reasons: list[str]) -> str:
    """Why an instance cannot move, in the reader's language, one reason after the other."""
    return "; ".join(translated(reason) for reason in reasons)


def _definition(session: Session, definition_id: int) -> ProcessDefinition:
    definition = session.get(ProcessDefinition, definition_id)
    if definition is None:
        raise NotFound(Phrase("This process version does not exist"))
    return definition


def _short(duration: timedelta) -> str:
    return str(format_timedelta(duration, threshold=1.0))


def _now() -> datetime:
    return container().engine.clock.now()

