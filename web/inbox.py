"""The task inbox: my tasks, my groups' tasks and all I may see; claim and give back."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import exists, select
from werkzeug.wrappers import Response

from core.errors import Conflict, NotFound, PermissionDenied
from engine import list_tasks
from engine.queries import SORTABLE
from workflows.accounts.cadence import no_contact_counts as accounts_without_contact
from workflows.leads.follow_up_status import no_contact_counts
from workflows.org.models import User
from workflows.org.visibility import Viewer, can_see_owner, require_task_visible, tab_counts, task_filter

from .context import container
from .i18n import message_of

bp = Blueprint("inbox", __name__)
TABS = {"mine": _l("My tasks"), "claimable": _l("My groups' tasks"), "visible": _l("All I may see")}
FILTERS = ("process_key", "object_type", "stage", "owner")


@bp.get("/tasks")
def index() -> str:
    """The three tabs with their counts ("200+" past the cap); filters, sort and page come from
    the query string."""
    viewer: Viewer = current_user.viewer
    tab = request.args.get("tab", "mine") if request.args.get("tab") in TABS else "mine"
    filters = {name: request.args.get(name) or None for name in FILTERS}
    sort = request.args.get("sort", "created") if request.args.get("sort") in SORTABLE else "created"
    page = max(1, request.args.get("page", 1, type=int))
    with container().session_factory() as session:
        result = list_tasks(session, task_filter(
            viewer, tab, sort=sort, descending=request.args.get("desc") == "1", page=page, **filters))
        unfiltered = not any(filters.values())
        counted = tab_counts(session, viewer, {tab: result.total} if unfiltered else None)
        now = container().engine.clock.now()
        no_contact = no_contact_counts(session, viewer, now)
        accounts_no_contact = accounts_without_contact(session, viewer, now)
    return render_template("inbox.html", tabs=TABS, tab=tab, counts=counted.counts, capped=counted.capped,
                           page=result, sort=sort, filters=filters, now=now, no_contact=no_contact,
                           accounts_no_contact=accounts_no_contact,
                           manager=viewer.is_manager or viewer.is_admin)


@bp.post("/tasks/claim")
def claim() -> Response:
    """Claim one or many tasks; ones someone else took first are reported, the rest claimed."""
    return _claim_all(request.form.getlist("task_ids"))


@bp.post("/tasks/<task_id>/claim")
def claim_one(task_id: str) -> Response:
    """The per-row Claim button; a task the viewer may not see answers 404."""
    _require_visible(task_id)
    return _claim_all([task_id])


def _claim_all(task_ids: list[str]) -> Response:
    """Each claim is its own unit of work, so one lost race does not undo the others."""
    claimed, taken = 0, []
    for task_id in task_ids:
        try:
            with container().uow() as uow:
                require_task_visible(uow.session, current_user.viewer, task_id)
                container().engine.claim(uow.session, task_id, current_user.viewer.username)
                uow.commit()
            claimed += 1
        except (Conflict, NotFound) as exc:
            taken.append(message_of(exc))
    if claimed:
        flash(_("Claimed %(count)d task(s).", count=claimed))
    for message in taken:
        flash(_("Not claimed: %(reason)s", reason=message))
    if not task_ids:
        flash(_("Select at least one task."))
    return redirect(request.referrer or url_for("inbox.index"))


@bp.post("/tasks/<task_id>/unclaim")
def unclaim(task_id: str) -> Response:
    """Give a claimed task back to its group; only its assignee may."""
    try:
        with container().uow() as uow:
            require_task_visible(uow.session, current_user.viewer, task_id)
            container().engine.unclaim(uow.session, task_id, current_user.viewer.username)
            uow.commit()
        flash(_("The task is back in its group's list."))
    except Conflict as exc:
        flash(message_of(exc))
    return redirect(request.referrer or url_for("inbox.index"))


@bp.post("/tasks/assign")
def assign() -> Response:
    """Managers hand one or many tasks to someone in their part of the organisation."""
    return _assign_all(request.form.getlist("task_ids"))


@bp.post("/tasks/<task_id>/assign")
def assign_one(task_id: str) -> Response:
    """The per-row Assign button; same rules as the bulk form, 404 for unseen tasks."""
    _require_visible(task_id)
    return _assign_all([task_id])


def _assign_all(task_ids: list[str]) -> Response:
    viewer: Viewer = current_user.viewer
    if not (viewer.is_manager or viewer.is_admin):
        raise PermissionDenied("Only managers can assign tasks")
    assignee = (request.form.get("assignee") or "").strip().lower()
    if not _assignable(viewer, assignee):
        flash(_("%(name)s is not someone you can assign work to.", name=assignee or "—"))
        return redirect(request.referrer or url_for("inbox.index"))
    done, failed = 0, []
    for task_id in task_ids:
        try:
            with container().uow() as uow:
                require_task_visible(uow.session, viewer, task_id)
                container().engine.assign(uow.session, task_id, assignee, viewer.username)
                uow.commit()
            done += 1
        except (Conflict, NotFound) as exc:  # gone meanwhile: report it, keep the others
            failed.append(message_of(exc))
    flash(_("Assigned %(count)d task(s) to %(name)s.", count=done, name=assignee))
    for message in failed:
        flash(_("Not assigned: %(reason)s", reason=message))
    return redirect(request.referrer or url_for("inbox.index"))


def _assignable(viewer: Viewer, assignee: str) -> bool:
    """Only active users inside the manager's part of the organisation can receive work."""
    if not assignee:
        return False
    with container().session_factory() as session:
        return can_see_owner(session, viewer, assignee) and bool(session.scalar(
            select(exists().where(User.username == assignee, User.active.is_(True)))))


def _require_visible(task_id: str) -> None:
    with container().session_factory() as session:
        require_task_visible(session, current_user.viewer, task_id)
