"""Instance page (the diagram with where it has been and where it waits, and its history) and
diagram files. Process designers and admins also see its data, the step that failed, and act
on it: retry that step, cancel it with a reason, move it to another version after a dry run."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime, format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import exists, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as Redirect

from core.errors import Conflict, DealflowError, InvalidInput, NotFound, PermissionDenied
from engine import HumanTask, MigrationRefused, ProcessDefinition, instance_view
from engine.queries import InstanceView
from workflows.inputs import parse_id
from workflows.instances import care
from workflows.org.visibility import Viewer, visible_task_condition

from .context import container
from .i18n import message_of, translated

bp = Blueprint("instances", __name__)
FAILURES = ("timer_failed", "retry_failed")


@bp.get("/instances/<int:instance_id>")
def show(instance_id: int) -> str:
    viewer: Viewer = current_user.viewer
    target_id = parse_id(request.args.get("target", ""))
    engine = container().engine
    designer: dict[str, Any] = {}
    with container().session_factory() as session:
        view = instance_view(session, instance_id)
        _require_visible(session, viewer, view)
        if viewer.is_designer:
            instance = view.instance
            designer["data"] = {name: _shown(value) for name, value in
                                care.instance_data(session, engine, viewer, instance_id).items()}
            designer["targets"] = care.targets(session, viewer, instance.process_key, instance.definition_id)
            if target_id is not None and instance.status == "running":
                designer["check"] = care.check_instance(session, engine, viewer, instance_id, target_id)
                designer["target"] = session.get(ProcessDefinition, target_id)
        failed = _failed_elements(view)
        return render_template(
            "instance.html", view=view, designer=designer, failed_at=failed,
            done=json.dumps(view.completed_elements), active=json.dumps(view.active_elements),
            errors=json.dumps(failed),
        )


@bp.post("/instances/<int:instance_id>/cancel")
def cancel(instance_id: int) -> Redirect:
    reason = request.form.get("reason", "")
    with container().uow() as uow:
        try:
            care.cancel_instance(uow.session, container().engine, current_user.viewer, instance_id, reason,
                                 _now())
        except InvalidInput as exc:
            flash(_("Reason: %(problem)s", problem=translated(exc.fields.get("reason", message_of(exc)))),
                  "error")
            return _back(instance_id)
        except Conflict as exc:  # cancelled or finished meanwhile
            flash(message_of(exc), "error")
            return _back(instance_id)
        uow.commit()
    flash(_("The process was cancelled."))
    return _back(instance_id)


@bp.post("/instances/<int:instance_id>/retry")
def retry(instance_id: int) -> Redirect:
    try:
        care.retry_instance(container().session_factory, container().engine, current_user.viewer, instance_id,
                            _now())
    except (PermissionDenied, NotFound):
        raise
    except DealflowError as exc:
        flash(_("The step failed again: %(error)s", error=message_of(exc)), "error")
        return _back(instance_id)
    flash(_("The failed step ran again and the process carried on."))
    return _back(instance_id)


@bp.post("/instances/<int:instance_id>/migrate")
def migrate(instance_id: int) -> Redirect:
    target_id = parse_id(request.form.get("target", "")) or 0
    with container().uow() as uow:
        try:
            moved = care.migrate_instance(uow.session, container().engine, current_user.viewer, instance_id,
                                          target_id, _now())
        except MigrationRefused as exc:
            flash(_("This process cannot move: %(reasons)s",
                    reasons="; ".join(translated(r) for r in exc.reasons)), "error")
            return _back(instance_id)
        uow.commit()
    flash(_("Moved from version %(old)s to version %(new)s.", old=moved.from_version, new=moved.to_version)
          if moved.moved else _("The process is already on version %(version)s.", version=moved.to_version))
    return _back(instance_id)


@bp.get("/processes/<int:definition_id>/diagram.bpmn")
def diagram(definition_id: int) -> Response:
    """The BPMN file holding a deployed process, for the diagram viewer."""
    with container().session_factory() as session:
        definition = session.get(ProcessDefinition, definition_id)
        if definition is None:
            raise NotFound("This process version does not exist")
        source = next((xml for name, xml in sorted(definition.sources.items())
                       if name.endswith(".bpmn") and f'id="{definition.key}"' in xml), None)
    if source is None:
        raise NotFound("This process version has no diagram")
    return Response(source, mimetype="application/xml")


def _require_visible(session: Session, viewer: Viewer, view: InstanceView) -> None:
    """Designers and admins see every instance; others those they started or have a task in."""
    if viewer.is_designer or view.instance.started_by == viewer.username:
        return
    sees_a_task = session.scalar(select(exists().where(
        HumanTask.instance_id == view.instance.id, visible_task_condition(viewer))))
    if not sees_a_task:
        raise NotFound("This process does not exist")


def _failed_elements(view: InstanceView) -> list[str]:
    """Where the step that failed is, while the instance says one failed."""
    if not view.instance.error:
        return []
    last = next((e for e in reversed(view.history) if e.event in FAILURES), None)
    return [last.bpmn_id] if last is not None and last.bpmn_id else []


def _shown(value: Any) -> str:
    """A variable as a designer reads it: numbers and dates in their locale, the rest as JSON."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, (int, float, Decimal)):
        return str(format_decimal(value))
    if isinstance(value, datetime):
        return str(format_datetime(value, "short"))
    if isinstance(value, date):
        return str(format_date(value, "medium"))
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def _back(instance_id: int) -> Redirect:
    return redirect(url_for("instances.show", instance_id=instance_id), 303)


def _now() -> datetime:
    return container().engine.clock.now()
