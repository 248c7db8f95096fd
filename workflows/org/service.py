"""Use cases for user administration (org units are in ``units.py``).

Every function works in the caller's ``Session`` and never commits: the caller's
``UnitOfWork`` does, so a use case is all-or-nothing. Errors are ``core.errors`` kinds
whose messages are ``Phrase``s, so each reader gets them in their language; a refused
input is one InvalidInput whose ``fields`` map every bad form field to its message.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import Conflict, NotFound, reject_fields
from core.phrases import Phrase

from .login import normalize_username
from .models import LOCALES, ROLES, OrgUnit, User, UserRole
from .passwords import hash_password
from .rules import no_unit, one_of, password_problems, require_admin, required_text_problems
from .visibility import Viewer, can_see_owner, visible_usernames

MAX_PER_PAGE = 200
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,99}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# --- user administration ----------------------------------------------------------------


def create_user(
    session: Session,
    actor: Viewer,
    *,
    username: str,
    display_name: str,
    email: str,
    password: str,
    org_unit_id: int,
    manager_id: int | None,
    roles: Collection[str],
    locale: str,
    timezone: str,
    now: datetime,
) -> User:
    """An admin adds a user; every field is checked and all problems reported at once."""
    require_admin(actor)
    name = normalize_username(username)
    display_name, email = display_name.strip(), email.strip()
    reject_fields({
        **_username_problems(session, name), **_display_name_problems(display_name), **_email_problems(email),
        **password_problems("password", password), **_role_problems(roles),
        **_locale_problems(locale), **_timezone_problems(timezone),
        **_placement_problems(session, None, org_unit_id, manager_id),
    })
    return insert_user(
        session, username=name, display_name=display_name, email=email,
        password_hash=hash_password(password), org_unit_id=org_unit_id, manager_id=manager_id,
        roles=roles, locale=locale, timezone=timezone, now=now,
    )


def insert_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    email: str,
    password_hash: str,
    org_unit_id: int,
    manager_id: int | None,
    roles: Collection[str],
    locale: str,
    timezone: str,
    now: datetime,
) -> User:
    """Add a user row without permission checks or validation: for ``create_user`` and the
    demo loader, which have already decided. A username taken meanwhile (a race with
    another request) surfaces as Conflict."""
    user = User(
        username=username, display_name=display_name, email=email, password_hash=password_hash,
        active=True, org_unit=session.get_one(OrgUnit, org_unit_id), manager_id=manager_id, locale=locale,
        timezone=timezone, created_at=now, role_rows=[UserRole(role=r) for r in sorted(set(roles))],
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(Phrase("The username '%(username)s' is already taken", username=username)) from exc
    return user


def update_user(
    session: Session,
    actor: Viewer,
    user_id: int,
    *,
    display_name: str | None = None,
    email: str | None = None,
    locale: str | None = None,
    timezone: str | None = None,
    password: str | None = None,
) -> User:
    """An admin edits profile fields (None = unchanged); ``password`` resets it. The
    username never changes: records refer to their owner by it."""
    require_admin(actor)
    user = _get_user(session, user_id)
    given = {"display_name": display_name, "email": email, "locale": locale, "timezone": timezone}
    changes = {key: value.strip() for key, value in given.items() if value is not None}
    problems: dict[str, Phrase] = {}
    for key, value in changes.items():
        problems |= _FIELD_CHECKS[key](value)
    if password is not None:
        problems |= password_problems("password", password)
    reject_fields(problems)
    for key, value in changes.items():
        setattr(user, key, value)
    if password is not None:
        user.password_hash = hash_password(password)
    return user


def deactivate_user(session: Session, actor: Viewer, user_id: int) -> User:
    """The user can no longer log in; their row and every record they own stay."""
    require_admin(actor)
    if user_id == actor.user_id:
        reject_fields({"user_id": Phrase("you cannot deactivate your own account")})
    user = _get_user(session, user_id)
    user.active = False
    return user


def reactivate_user(session: Session, actor: Viewer, user_id: int) -> User:
    """Undo a deactivation: the user logs in again with their old password."""
    require_admin(actor)
    user = _get_user(session, user_id)
    user.active = True
    return user


def move_user(
    session: Session, actor: Viewer, user_id: int, org_unit_id: int, manager_id: int | None
) -> User:
    """Place a user elsewhere in the tree; visibility follows at once (it reads the path)."""
    require_admin(actor)
    user = _get_user(session, user_id)
    reject_fields(_placement_problems(session, user_id, org_unit_id, manager_id))
    user.org_unit, user.manager_id = session.get_one(OrgUnit, org_unit_id), manager_id
    session.flush()
    return user


def set_roles(session: Session, actor: Viewer, user_id: int, roles: Collection[str]) -> User:
    """Replace a user's roles. Admins cannot drop their own admin role and lock everyone out."""
    require_admin(actor)
    user = _get_user(session, user_id)
    problems = _role_problems(roles)
    if user_id == actor.user_id and "admin" not in roles:
        problems.setdefault("roles", Phrase("you cannot remove your own admin role"))
    reject_fields(problems)
    wanted = set(roles)
    # Diff rather than replace: same-key delete + insert in one flush would clash.
    for row in [r for r in user.role_rows if r.role not in wanted]:
        user.role_rows.remove(row)
    for role in sorted(wanted - set(user.roles)):
        user.role_rows.append(UserRole(role=role))
    session.flush()
    return user


def get_user(session: Session, viewer: Viewer, user_id: int) -> User:
    """A user the viewer may see; anyone else is NotFound, like any other record."""
    user = session.get(User, user_id)
    if user is None or not can_see_owner(session, viewer, user.username):
        raise NotFound(Phrase("User %(id)s does not exist", id=user_id))
    return user


@dataclass(frozen=True)
class UserFilter:
    """What a user list is narrowed to; the defaults mean "anyone"."""

    search: str = ""  # part of the username or the display name, any case
    org_unit_id: int | None = None  # this unit and every unit below it
    role: str | None = None
    active: bool | None = None


def list_users(
    session: Session,
    viewer: Viewer,
    page: int = 1,
    per_page: int = 25,
    *,
    active_only: bool = False,
    where: UserFilter | None = None,
) -> tuple[list[User], int]:
    """One page of the users the viewer may see, by username, with the total count.
    ``active_only`` is short for ``where=UserFilter(active=True)``."""
    page, per_page = max(1, page), min(max(1, per_page), MAX_PER_PAGE)
    where = where or UserFilter(active=True if active_only else None)
    condition = and_(User.username.in_(visible_usernames(viewer)), *_filter_conditions(session, where))
    total = session.scalar(select(func.count()).select_from(User).where(condition)) or 0
    users = session.scalars(
        select(User).where(condition).order_by(User.username)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(users), total


def _filter_conditions(session: Session, where: UserFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if term := where.search.strip():
        conditions.append(or_(User.username.icontains(term, autoescape=True),
                              User.display_name.icontains(term, autoescape=True)))
    if where.org_unit_id is not None:
        conditions.append(_in_subtree(session, where.org_unit_id))
    if where.role is not None:
        conditions.append(User.role_rows.any(UserRole.role == where.role))
    if where.active is not None:
        conditions.append(User.active.is_(where.active))
    return conditions


def _in_subtree(session: Session, org_unit_id: int) -> ColumnElement[bool]:
    """Members of the unit and of every unit below it; an unknown unit has none."""
    unit = session.get(OrgUnit, org_unit_id)
    if unit is None:
        return false()
    subtree = select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path, autoescape=True))
    return User.org_unit_id.in_(subtree)


def list_active_users(session: Session, viewer: Viewer) -> list[User]:
    """Every active user the viewer may see, by username, unpaged: the choices of a picker
    (such as a manager), where a page limit would silently leave people out."""
    return list(session.scalars(
        select(User).where(User.username.in_(visible_usernames(viewer)), User.active.is_(True))
        .order_by(User.username)
    ).all())


# --- checks -----------------------------------------------------------------------------


def _get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(Phrase("User %(id)s does not exist", id=user_id))
    return user


def _username_problems(session: Session, username: str) -> dict[str, Phrase]:
    if not _USERNAME.fullmatch(username):
        return {"username": Phrase("2-100 characters: lower-case letters, digits, '.', '_' or '-'")}
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        return {"username": Phrase("'%(username)s' is already taken", username=username)}
    return {}


def _display_name_problems(display_name: str) -> dict[str, Phrase]:
    return required_text_problems("display_name", display_name)


def _email_problems(email: str) -> dict[str, Phrase]:
    if email == "" or (len(email) <= 200 and _EMAIL.fullmatch(email)):
        return {}
    return {"email": Phrase("not a valid email address")}


def _role_problems(roles: Collection[str]) -> dict[str, Phrase]:
    unknown = sorted(set(roles) - set(ROLES))
    return {"roles": Phrase("unknown role(s) %(roles)s", roles=", ".join(unknown))} if unknown else {}


def _locale_problems(locale: str) -> dict[str, Phrase]:
    return {} if locale in LOCALES else {"locale": one_of(LOCALES)}


def _timezone_problems(timezone: str) -> dict[str, Phrase]:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return {"timezone": Phrase("'%(timezone)s' is not a known time zone", timezone=timezone)}
    return {}


_FIELD_CHECKS = {
    "display_name": _display_name_problems,
    "email": _email_problems,
    "locale": _locale_problems,
    "timezone": _timezone_problems,
}


def _placement_problems(
    session: Session, user_id: int | None, org_unit_id: int, manager_id: int | None
) -> dict[str, Phrase]:
    """Unit exists; manager exists, is active, is not the user and is not below the user."""
    problems: dict[str, Phrase] = {}
    if session.get(OrgUnit, org_unit_id) is None:
        problems["org_unit_id"] = no_unit(org_unit_id)
    if manager_id is None:
        return problems
    manager = session.get(User, manager_id)
    if user_id is not None and manager_id == user_id:
        problems["manager_id"] = Phrase("a user cannot be their own manager")
    elif manager is None or not manager.active:
        problems["manager_id"] = Phrase("user %(id)s does not exist or is deactivated", id=manager_id)
    elif user_id is not None and _reports_to(session, manager, user_id):
        problems["manager_id"] = Phrase("%(username)s already reports to this user; that would make a "
                                        "reporting cycle", username=manager.username)
    return problems


def _reports_to(session: Session, user: User, boss_id: int) -> bool:
    """Whether ``boss_id`` is somewhere up ``user``'s management chain."""
    seen: set[int] = set()
    current: User | None = user
    while current is not None and current.manager_id is not None and current.id not in seen:
        if current.manager_id == boss_id:
            return True
        seen.add(current.id)
        current = session.get(User, current.manager_id)
    return False
