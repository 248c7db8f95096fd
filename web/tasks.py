"""Open a task: its form, the business object, its process history; submit to complete it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.errors import NotFound
from engine import FormInvalid, HumanTask, TaskAlreadyCompleted, TaskAssignedToOther, history
from workflows.approvals.inbox import is_approval_task
from workflows.approvals.review import approval_review
from workflows.org.visibility import require_task_visible

from .context import container
from .i18n import message_of

bp = Blueprint("tasks", __name__)


@bp.get("/tasks/<task_id>")
def show(task_id: str) -> str:
    return _render(task_id, values={}, errors={})


@bp.post("/tasks/<task_id>")
def complete(task_id: str) -> Any:
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        with container().uow() as uow:
            require_task_visible(uow.session, current_user.viewer, task_id)
            approval = is_approval_task(uow.session, task_id)  # its decider goes back to the approvals
            container().engine.complete(uow.session, task_id, values, current_user.viewer.username)
            uow.commit()
    except FormInvalid as exc:
        return _render(task_id, values=values, errors=exc.field_errors), 400
    except (TaskAlreadyCompleted, TaskAssignedToOther) as exc:
        flash(message_of(exc))
        return redirect(url_for("inbox.index"))
    except NotFound:  # completed or withdrawn meanwhile: say so, don't show an error page
        flash(_("This task is no longer open; someone may have completed it meanwhile."))
        return redirect(url_for("inbox.index"))
    flash(_("Task completed."))
    return redirect(url_for("approvals.index" if approval else "inbox.index"))


def _render(task_id: str, values: dict[str, str], errors: dict[str, str]) -> str:
    c = container()
    with c.session_factory() as session:
        require_task_visible(session, current_user.viewer, task_id)
        task = session.get(HumanTask, task_id)
        assert task is not None
        form = c.engine.task_form(session, task_id)
        instructions = c.engine.task_instructions(session, task_id)
        events = history(session, task.instance_id)
        review = approval_review(session, c.engine, current_user.viewer, task_id)
        return render_template("task.html", task=task, form=form, instructions=instructions,
                               values=values, errors=errors, review=review,
                               events=events, now=c.engine.clock.now())
