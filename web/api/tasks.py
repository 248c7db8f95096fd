"""Tasks over the API: the inbox tabs, one task with its form, claim, give back, complete.

The rules are the HTML inbox's (``workflows.org.visibility``): a task the caller may not
see is 404 whatever they try; one completed meanwhile is 409 for any action on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core.errors import InvalidInput, NotFound
from engine import HumanTask, TaskAlreadyCompleted, TaskNotFound, list_tasks, task_completion
from engine.queries import SORTABLE
from workflows.org.visibility import (
    TASK_TABS,
    Viewer,
    require_task_visible,
    tab_counts,
    task_filter,
    visible_task_condition,
)

from ..context import container
from . import bp
from .auth import authenticated
from .payloads import instance_json, json_body, task_json

FILTERS = ("process_key", "object_type", "stage", "owner")
MAX_PER_PAGE = 100
MAX_PAGE = 10_000


@bp.get("/tasks")
def task_list() -> dict[str, Any]:
    """One page of a tab, filtered and sorted, with every tab's count as the inbox shows them.

    ``counts=false`` leaves the counts out: each is a count over a whole tab, which a client
    that only pages through one tab need not pay for. A count stops at ``COUNT_CAP``; the tabs
    with more are listed in ``counts_capped`` (the inbox shows "200+").
    """
    with authenticated() as (uow, viewer):
        tab, with_counts, options = _list_query()
        page = list_tasks(uow.session, task_filter(viewer, tab, **options))
        body = {"tab": tab, "items": [task_json(t) for t in page.items], "page": page.page,
                "per_page": page.per_page, "total": page.total, "pages": page.pages}
        if with_counts:
            unfiltered = not any(options[name] for name in FILTERS)
            counted = tab_counts(uow.session, viewer, {tab: page.total} if unfiltered else None)
            body["counts"], body["counts_capped"] = counted.counts, sorted(counted.capped)
        uow.commit()
    return body


@bp.get("/tasks/<task_id>")
def task_detail(task_id: str) -> dict[str, Any]:
    """A task with its form definition and instructions, everything a client needs to fill it."""
    engine = container().engine
    with authenticated() as (uow, viewer):
        require_task_visible(uow.session, viewer, task_id)
        form = engine.task_form(uow.session, task_id)
        instructions = engine.task_instructions(uow.session, task_id)
        task = task_json(uow.session.get_one(HumanTask, task_id))
        uow.commit()
    return {**task, "form": [f.to_dict() for f in form], "instructions": instructions}


@bp.post("/tasks/<task_id>/claim")
def claim(task_id: str) -> dict[str, Any]:
    return _change_assignee(task_id, container().engine.claim)


@bp.post("/tasks/<task_id>/unclaim")
def unclaim(task_id: str) -> dict[str, Any]:
    """Give a claimed task back to its group; only its assignee may (409 otherwise)."""
    return _change_assignee(task_id, container().engine.unclaim)


@bp.post("/tasks/<task_id>/complete")
def complete(task_id: str) -> dict[str, Any]:
    """Complete with the body's field values; answers the instance and its next open tasks."""
    with authenticated() as (uow, viewer):
        values = json_body()
        try:  # the visibility check rides on the statement that locks the instance
            instance = container().engine.complete(uow.session, task_id, values, viewer.username,
                                                   within=visible_task_condition(viewer))
        except (TaskNotFound, TaskAlreadyCompleted):
            _require_open(uow.session, viewer, task_id)  # the API's answers: 404 out of sight, else 409
            raise
        body = instance_json(uow.session, viewer, instance)
        uow.commit()
    return body


def _change_assignee(task_id: str, change: Callable[[Session, str, str], None]) -> dict[str, Any]:
    """Claim or give back as the caller, answering the task as it now stands."""
    with authenticated() as (uow, viewer):
        _require_open(uow.session, viewer, task_id)
        change(uow.session, task_id, viewer.username)
        body = task_json(uow.session.get_one(HumanTask, task_id))
        uow.commit()
    return body


def _require_open(session: Session, viewer: Viewer, task_id: str) -> None:
    """404 for a task out of sight; 409 for one already completed, so a client's retry of a
    completion that did go through reads as "done", not "never existed"."""
    try:
        require_task_visible(session, viewer, task_id)
    except NotFound:
        if task_completion(session, task_id) is not None:
            raise TaskAlreadyCompleted(_("This task was already completed")) from None
        raise


def _list_query() -> tuple[str, bool, dict[str, object]]:
    """The list's tab, whether to count every tab, and its options; every bad parameter is named."""
    args, problems = request.args, []
    tab = args.get("tab", "mine")
    if tab not in TASK_TABS:
        problems.append(_("tab: must be one of %(names)s", names=", ".join(TASK_TABS)))
    counts = args.get("counts", "true")
    if counts not in ("true", "false"):
        problems.append(_("counts: must be true or false"))
    sort = args.get("sort", "created")
    if sort.removeprefix("-") not in SORTABLE:
        problems.append(_("sort: must be one of %(names)s, with a leading - for descending",
                          names=", ".join(SORTABLE)))
    options: dict[str, object] = {
        "page": _whole_number("page", 1, MAX_PAGE, problems),
        "per_page": _whole_number("per_page", 25, MAX_PER_PAGE, problems),
        "sort": sort.removeprefix("-"), "descending": sort.startswith("-"),
        **{name: args.get(name) or None for name in FILTERS},
    }
    if problems:
        raise InvalidInput(_("Some query parameters are not valid."), problems)
    return tab, counts == "true", options


def _whole_number(name: str, default: int, highest: int, problems: list[str]) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if raw.isdigit() and 1 <= int(raw) <= highest:
        return int(raw)
    problems.append(_("%(name)s: must be a whole number from 1 to %(highest)s", name=name, highest=highest))
    return default
