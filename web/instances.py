"""Instance page (the diagram with where it has been and where it waits) and diagram files."""

from __future__ import annotations

import json

from flask import Blueprint, Response, render_template
from flask_login import current_user
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from core.errors import NotFound
from engine import HumanTask, ProcessDefinition, instance_view
from engine.queries import InstanceView
from workflows.org.visibility import Viewer, visible_task_condition

from .context import container

bp = Blueprint("instances", __name__)
SEE_EVERY_INSTANCE = {"admin", "process_designer"}


@bp.get("/instances/<int:instance_id>")
def show(instance_id: int) -> str:
    with container().session_factory() as session:
        view = instance_view(session, instance_id)
        _require_visible(session, current_user.viewer, view)
        return render_template(
            "instance.html", view=view,
            done=json.dumps(view.completed_elements), active=json.dumps(view.active_elements),
        )


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
    if viewer.roles & SEE_EVERY_INSTANCE or view.instance.started_by == viewer.username:
        return
    sees_a_task = session.scalar(select(exists().where(
        HumanTask.instance_id == view.instance.id, visible_task_condition(viewer))))
    if not sees_a_task:
        raise NotFound("This process does not exist")
