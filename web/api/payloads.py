"""What the API reads and writes: the request's JSON object, tasks and instances as JSON."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from flask import request
from flask_babel import gettext as _
from sqlalchemy import Row, Select, bindparam, select
from sqlalchemy.orm import Session

from core.errors import InvalidInput
from engine import HumanTask, ProcessInstance
from workflows.org.visibility import Viewer, visible_task_condition


def json_body() -> dict[str, Any]:
    """The request's JSON object, whatever its Content-Type says; anything else is a 400."""
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(_("The request body must be a JSON object."))
    return body


def task_json(task: HumanTask | Row[Any]) -> dict[str, Any]:
    """A task as the inbox shows it; amounts are decimal strings so no cent is lost."""
    return {
        "id": task.id, "name": task.name, "bpmn_id": task.bpmn_id, "process_key": task.process_key,
        "instance_id": task.instance_id, "lane": task.lane, "assignee": task.assignee,
        "form_key": task.form_key, "created_at": _iso(task.created_at), "due_at": _iso(task.due_at),
        "follow_up_at": _iso(task.follow_up_at), "business_key": task.business_key,
        "object_type": task.object_type, "object_id": task.object_id, "title": task.title,
        "amount": None if task.amount is None else str(task.amount), "stage": task.stage,
        "owner": task.owner, "region": task.region,
    }


def instance_json(session: Session, viewer: Viewer, instance: ProcessInstance) -> dict[str, Any]:
    """An instance with its open tasks the viewer may see: what a client works on next."""
    tasks = session.connection().execute(_open_tasks(viewer), {"instance_id": instance.id}).all()
    return {"id": instance.id, "process_key": instance.process_key, "business_key": instance.business_key,
            "status": instance.status, "open_tasks": [task_json(t) for t in tasks]}


@lru_cache(maxsize=1024)
def _open_tasks(viewer: Viewer) -> Select[Any]:
    """Built once per viewer (as its visibility condition is): every start and completion
    answers with it, read as plain rows (the engine has just written them; nothing is
    pending in the session)."""
    return select(*HumanTask.__table__.columns).where(
        HumanTask.instance_id == bindparam("instance_id"), visible_task_condition(viewer),
    ).order_by(HumanTask.created_at, HumanTask.id)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
