"""Record visibility: the one place that decides whose records a user may see.

A rep sees their own records, a manager those of everyone in their org subtree, an
admin everything. Every list, detail page and JSON endpoint asks this module, so HTML
and API answer alike; anything outside the viewer's reach is reported as "not found"
(404), never "forbidden", so its existence does not leak.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache

from sqlalchemy import (
    ColumnElement,
    Exists,
    Select,
    SQLColumnExpression,
    and_,
    bindparam,
    exists,
    false,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.phrases import Phrase
from engine import HumanTask, TaskFilter, count_tasks
from engine.models import TaskCandidate

from .models import DESIGNER_ROLES, MANAGER_ROLES, OrgUnit, User

# The task inbox's tabs: assigned to me, claimable by me or my groups, all I may see.
TASK_TABS = ("mine", "claimable", "visible")
# Tab counts stop here: past it a tab reads "200+", eight pages and more, which tells a person
# as much as an exact figure would (a client that needs one asks for the tab's ``total``).
# Counting the claimable tab costs an index probe per task (5-8 microseconds on the
# benchmark machine), so the cap bounds each inbox load's counting at about 1.5 ms, where
# an exact count of a team's pool at 100,000 open instances (10,000 tasks) took 30-90 ms.
COUNT_CAP = 200


@dataclass(frozen=True)
class Viewer:
    """Who is looking: enough to scope any query without loading the user again."""

    user_id: int
    username: str
    roles: frozenset[str]
    unit_path: str

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def is_manager(self) -> bool:
        """Managers, directors and finance see their whole org subtree."""
        return bool(self.roles & MANAGER_ROLES)

    @property
    def is_designer(self) -> bool:
        """Process designers and admins edit, deploy, watch and migrate processes."""
        return bool(self.roles & DESIGNER_ROLES)

    @property
    def groups(self) -> frozenset[str]:
        """The engine's candidate groups are role names."""
        return self.roles


def viewer_for(session: Session, user_id: int) -> Viewer | None:
    """The viewer for a logged-in user id; None once the user is gone or deactivated."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    return viewer_of(user)


def viewer_of(user: User) -> Viewer:
    """A viewer built from an already loaded user (e.g. straight after authentication)."""
    return Viewer(
        user_id=user.id,
        username=user.username,
        roles=frozenset(user.roles),
        unit_path=user.org_unit.path,
    )


def _sees_subtree(viewer: Viewer) -> bool:
    # An empty path would match every unit: treat a broken row as "self only", not "all".
    return viewer.is_manager and bool(viewer.unit_path)


def visible_usernames(viewer: Viewer) -> Select[str]:
    """Usernames whose records the viewer may see, as a subquery for ``owner IN (...)``."""
    if viewer.is_admin:
        return select(User.username)
    if _sees_subtree(viewer):
        return (
            select(User.username)
            .join(OrgUnit, OrgUnit.id == User.org_unit_id)
            .where(OrgUnit.path.startswith(viewer.unit_path, autoescape=True))
        )
    return select(User.username).where(User.username == viewer.username)


def owner_condition(viewer: Viewer, owner: SQLColumnExpression[str | None]) -> ColumnElement[bool]:
    """A WHERE clause "this owner column is visible" for any table with an owner column."""
    if viewer.is_admin:
        return true()
    if not _sees_subtree(viewer):
        return owner == viewer.username
    return owner.in_(visible_usernames(viewer))


def within_unit(owner: SQLColumnExpression[str | None], unit_id: int) -> ColumnElement[bool]:
    """``owner`` is someone in the unit or any unit below it; combine it with ``owner_condition``
    (it narrows what the viewer sees, never widens it)."""
    path = select(OrgUnit.path).where(OrgUnit.id == unit_id).scalar_subquery()
    return owner.in_(select(User.username).join(OrgUnit, OrgUnit.id == User.org_unit_id)
                     .where(OrgUnit.path.startswith(path)))


def units_in_sight(session: Session, viewer: Viewer) -> list[OrgUnit]:
    """The units a viewer may narrow a list or report to: all for an admin, a manager's own
    subtree, none for a rep (who sees only their own records)."""
    if viewer.is_admin:
        query = select(OrgUnit)
    elif _sees_subtree(viewer):
        query = select(OrgUnit).where(OrgUnit.path.startswith(viewer.unit_path, autoescape=True))
    else:
        return []
    return list(session.scalars(query.order_by(OrgUnit.path)))


def can_see_owner(session: Session, viewer: Viewer, owner_username: str | None) -> bool:
    """Whether a record owned by ``owner_username`` is visible; unowned ones only to admins."""
    if viewer.is_admin:
        return True
    if owner_username is None:
        return False
    if owner_username == viewer.username:
        return True
    if not _sees_subtree(viewer):
        return False
    query = visible_usernames(viewer).where(User.username == owner_username)
    return bool(session.scalar(select(exists(query))))


def require_visible(
    session: Session, viewer: Viewer, owner_username: str | None, what: str = "This record"
) -> None:
    """Raise NotFound (never PermissionDenied) when the viewer may not see the record."""
    if not can_see_owner(session, viewer, owner_username):
        raise NotFound(f"{what} does not exist")


@lru_cache(maxsize=1024)
def visible_task_condition(viewer: Viewer) -> ColumnElement[bool]:
    """``human_task`` rows for "all I may see": assigned to me, claimable by me, or (for
    managers and admins) owned by or assigned to someone in my subtree.

    Cached per viewer: building the expression costs more than running its query, and
    SQL expressions are immutable, so one may serve every request of the same viewer.
    """
    if viewer.is_admin:
        return true()
    mine = HumanTask.assignee == viewer.username
    offered = exists().where(
        TaskCandidate.task_id == HumanTask.id,
        or_(
            and_(TaskCandidate.kind == "user", TaskCandidate.name == viewer.username),
            and_(TaskCandidate.kind == "group", TaskCandidate.name.in_(sorted(viewer.groups)))
            if viewer.groups else false(),
        ),
    )
    claimable = and_(HumanTask.assignee.is_(None), offered)
    if not _sees_subtree(viewer):
        return or_(mine, claimable)
    team = visible_usernames(viewer)
    return or_(mine, claimable, HumanTask.owner.in_(team), HumanTask.assignee.in_(team))


def require_task_visible(session: Session, viewer: Viewer, task_id: str) -> None:
    """Anything outside what the viewer may see answers 404, as if it did not exist."""
    if not session.scalar(_task_visible(viewer), {"task_id": task_id}):
        raise NotFound(Phrase("This task does not exist or is no longer open"))


@lru_cache(maxsize=1024)
def _task_visible(viewer: Viewer) -> Select[tuple[bool]]:
    """Built once per viewer, like the condition it wraps: every task action asks it."""
    seen: Exists = exists().where(HumanTask.id == bindparam("task_id"), visible_task_condition(viewer))
    return select(seen)


def task_filter(viewer: Viewer, tab: str, **options: object) -> TaskFilter:
    """The inbox query for a tab; "all I may see" follows the organisation's visibility rule."""
    base = TaskFilter(user=viewer.username, groups=tuple(viewer.groups), scope=tab)
    if tab == "visible":
        base = replace(base, condition=visible_task_condition(viewer))
    return replace(base, **options)  # type: ignore[arg-type]


@dataclass(frozen=True)
class TabCounts:
    """How many tasks each inbox tab holds: exact up to COUNT_CAP; a tab in ``capped`` holds
    more than that, and its count says COUNT_CAP."""

    counts: dict[str, int]
    capped: frozenset[str]


def tab_counts(session: Session, viewer: Viewer, known: Mapping[str, int] | None = None) -> TabCounts:
    """How many tasks each inbox tab holds, unfiltered, as the inbox heads its tabs.

    ``known`` are exact counts the caller has already (the unfiltered total of the tab it
    lists), which cost nothing more. For someone who sees no one else's work, "all I may
    see" is exactly "mine" plus "claimable" (assigned to me, or to no one: never both), so
    it costs no third count.
    """
    found = dict(known or {})
    sees_others = viewer.is_admin or _sees_subtree(viewer)
    for tab in ("mine", "claimable", "visible") if sees_others else ("mine", "claimable"):
        if tab not in found:
            found[tab] = count_tasks(session, task_filter(viewer, tab), COUNT_CAP)
    found.setdefault("visible", found["mine"] + found["claimable"])
    return TabCounts(counts={tab: min(n, COUNT_CAP) for tab, n in found.items()},
                     capped=frozenset(tab for tab, n in found.items() if n > COUNT_CAP))
