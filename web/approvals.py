"""The approver inbox: open approval tasks with their contracts' figures, filtered, sorted
and paged; approve or reject one from its row, or many at once after a confirmation page
that lists them, then a page with each task's own outcome.

Every action is a plain form (CSRF-checked like every POST), so the page works without
JavaScript. A task the viewer may not see answers 404 when it is asked for by itself, and
"not found" among the outcomes of a bulk decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from core.errors import InvalidInput, NotFound
from workflows.approvals.deciding import MAX_TASKS, Result, decide_tasks, preview_tasks
from workflows.approvals.inbox import (
    MAX_PER_PAGE,
    has_approval_tasks,
    inbox_page,
    oversees,
    parse_inbox,
    submitter_choices,
)
from workflows.approvals.models import DECISIONS
from workflows.contracts.types import contract_types
from workflows.org.visibility import Viewer

from .context import container
from .errors import is_api_request
from .forms import field_messages
from .i18n import translated

bp = Blueprint("approvals", __name__)
TABS = {"mine": _l("Waiting for me"), "team": _l("My team's")}
COLUMNS = (("number", _l("Contract")), ("account", _l("Account")), ("type", _l("Contract type")),
           ("total", _l("Total")), ("margin", _l("Margin")), ("submitter", _l("Submitted by")),
           ("age", _l("Age")), ("round", _l("Round")))
FILTER_LABELS = {"contract_type": _l("Contract type"), "account": _l("Account contains"),
                 "margin_min": _l("Margin from (%)"), "margin_max": _l("Margin to (%)"),
                 "submitter": _l("Submitted by"), "min_age": _l("Waiting at least (days)")}
RESULT_LABELS = {"approved": _l("Approved"), "rejected": _l("Rejected"), "already_decided": _l("Not decided"),
                 "closed": _l("Not decided"), "not_yours": _l("Not decided"), "not_found": _l("Not found"),
                 "refused": _l("Not decided")}
# A task this old is flagged even when its diagram set no deadline: the shipped one allows
# two working days.
OLD_AFTER = timedelta(days=2)


@bp.before_app_request
def _approvals_waiting() -> None:
    """Whether the nav links the inbox for someone who oversees no one: asked before the view
    opens its own session (on SQLite a second one would wait for the first's write lock), on
    page loads only."""
    viewer: Viewer | None = getattr(current_user, "viewer", None)
    if request.method == "GET" and viewer is not None and not oversees(viewer) and not is_api_request():
        with container().session_factory() as session:
            g.approvals_waiting = has_approval_tasks(session, viewer.username)


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    """The main nav links the inbox for whoever oversees others or has approvals waiting."""
    viewer: Viewer | None = getattr(current_user, "viewer", None)
    shown = viewer is not None and (oversees(viewer) or g.get("approvals_waiting", False))
    return {"shows_approvals": shown}


@bp.get("/approvals")
def index() -> str:
    """The inbox as the query string asks; unusable filter values are named, not applied."""
    viewer: Viewer = current_user.viewer
    found, problems = parse_inbox(request.args, viewer)
    with container().session_factory() as session:
        page = inbox_page(session, viewer, found, _now())
        types = contract_types(session, active_only=False)
        team_tab = oversees(viewer)
        people = submitter_choices(session, viewer) if team_tab else []
    params = found.params()
    return render_template(
        "approvals/index.html", page=page, filter=found, params=params, problems=problems, tabs=TABS,
        team_tab=team_tab,
        columns=COLUMNS + ((("assignee", _l("Assignee")),) if found.tab == "team" else ()),
        labels=FILTER_LABELS, types=types, people=people, now=_now(), old_after=OLD_AFTER, age=age,
        max_per_page=MAX_PER_PAGE, here=url_for("approvals.index", **params, page=page.page),
        list_url=lambda **changes: url_for("approvals.index", **{**params, **changes}))


@bp.post("/approvals/confirm")
def confirm() -> Response | str:
    """The contracts ticked in the list, to approve or reject together after one more look."""
    decision, task_ids = request.form.get("decision", ""), request.form.getlist("task_ids")
    if decision not in DECISIONS:
        flash(_("Choose to approve or to reject."))
    elif not task_ids:
        flash(_("Select at least one task."))
    elif len(task_ids) > MAX_TASKS:
        flash(_("At most %(count)d tasks can be decided at once.", count=MAX_TASKS))
    else:
        return _confirmation(task_ids, decision, "", {})
    return redirect(_back())


@bp.get("/approvals/<task_id>/reject")
def reject_one(task_id: str) -> str:
    """A row's Reject: the confirmation page for that one contract, where the comment goes."""
    return _confirmation([task_id], "reject", "", {}, single=True)


@bp.post("/approvals/<task_id>/approve")
def approve_one(task_id: str) -> Response:
    """A row's Approve: decided at once, the outcome said above the list it came from."""
    c = container()
    [result] = decide_tasks(c.session_factory, c.engine, current_user.viewer, [task_id], "approve", "")
    if result.status == "not_found":
        raise NotFound(result.problem or "")
    _flash_result(result)
    return redirect(_back())


@bp.post("/approvals/decide")
def decide() -> tuple[str, int]:
    """Decide every confirmed task, each on its own; the page lists what became of each."""
    task_ids, decision = request.form.getlist("task_ids"), request.form.get("decision", "")
    comment = request.form.get("comment", "")
    c = container()
    try:
        results = decide_tasks(c.session_factory, c.engine, current_user.viewer, task_ids, decision, comment)
    except InvalidInput as exc:
        return _confirmation(task_ids, decision, comment, field_messages(exc)), 400
    return render_template("approvals/results.html", results=results, decision=decision, back=_back(),
                           labels=RESULT_LABELS,
                           decided=sum(1 for r in results if r.decided)), 200


def age(created_at: datetime, now: datetime) -> timedelta:
    """How long a task has waited, in whole days (then hours, then minutes) as people say it."""
    waited = max(now - created_at, timedelta(0))
    if waited.days:
        return timedelta(days=waited.days)
    hours = waited.seconds // 3600
    return timedelta(hours=hours) if hours else timedelta(minutes=max(1, waited.seconds // 60))


def _confirmation(task_ids: Sequence[str], decision: str, comment: str, errors: dict[str, str],
                  single: bool = False) -> str:
    """The page listing the chosen contracts with the comment box; a single task out of the
    viewer's sight answers 404."""
    with container().session_factory() as session:
        rows, gone = preview_tasks(session, current_user.viewer, list(task_ids))
    if single and not rows and all(result.status == "not_found" for result in gone):
        raise NotFound(gone[0].problem if gone else "")
    return render_template("approvals/confirm.html", rows=rows, gone=gone, decision=decision,
                           comment=comment, errors=errors, back=_back(), labels=RESULT_LABELS)


def _flash_result(result: Result) -> None:
    if result.decided:
        flash(_("Approved %(number)s.", number=result.number) if result.status == "approved"
              else _("Rejected %(number)s.", number=result.number))
    else:
        flash(_("Not decided: %(reason)s", reason=translated(result.problem or "")))


def _back() -> str:
    """Where the list was (its tab, filters, order and page), if the form says; else the inbox."""
    back = request.values.get("back", "")
    return back if back.startswith("/approvals") and "//" not in back else url_for("approvals.index")


def _now() -> datetime:
    return container().engine.clock.now()
