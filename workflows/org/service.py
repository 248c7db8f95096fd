"""Use cases for people and the org tree: user administration and org units.

Every function works in the caller's ``Session`` and never commits: the caller's
``UnitOfWork`` does, so a use case is all-or-nothing. Errors are ``core.errors`` kinds
whose messages (and ``problems``, one "field: message" each) name the offending field.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import Conflict, NotFound, PermissionDenied

from .login import normalize_username
from .models import LOCALES, ROLES, UNIT_KINDS, OrgUnit, User, UserRole
from .passwords import hash_password
from .rules import password_problems, raise_if
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
    _require_admin(actor)
    name = normalize_username(username)
    display_name, email = display_name.strip(), email.strip()
    raise_if([
        *_username_problems(name), *_display_name_problems(display_name), *_email_problems(email),
        *password_problems("password", password), *_role_problems(roles),
        *_locale_problems(locale), *_timezone_problems(timezone),
        *_placement_problems(session, None, org_unit_id, manager_id),
    ])
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise Conflict(f"username: '{name}' is already taken")
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
    demo loader, which have already decided. A username race surfaces as Conflict."""
    user = User(
        username=username, display_name=display_name, email=email, password_hash=password_hash,
        active=True, org_unit=session.get_one(OrgUnit, org_unit_id), manager_id=manager_id, locale=locale,
        timezone=timezone, created_at=now, role_rows=[UserRole(role=r) for r in sorted(set(roles))],
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"username: '{username}' is already taken") from exc
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
    _require_admin(actor)
    user = _get_user(session, user_id)
    given = {"display_name": display_name, "email": email, "locale": locale, "timezone": timezone}
    changes = {key: value.strip() for key, value in given.items() if value is not None}
    problems = [p for key, value in changes.items() for p in _FIELD_CHECKS[key](value)]
    if password is not None:
        problems += password_problems("password", password)
    raise_if(problems)
    for key, value in changes.items():
        setattr(user, key, value)
    if password is not None:
        user.password_hash = hash_password(password)
    return user


def deactivate_user(session: Session, actor: Viewer, user_id: int) -> User:
    """The user can no longer log in; their row and every record they own stay."""
    _require_admin(actor)
    if user_id == actor.user_id:
        raise_if(["user_id: you cannot deactivate your own account"])
    user = _get_user(session, user_id)
    user.active = False
    return user


def reactivate_user(session: Session, actor: Viewer, user_id: int) -> User:
    """Undo a deactivation: the user logs in again with their old password."""
    _require_admin(actor)
    user = _get_user(session, user_id)
    user.active = True
    return user


def move_user(
    session: Session, actor: Viewer, user_id: int, org_unit_id: int, manager_id: int | None
) -> User:
    """Place a user elsewhere in the tree; visibility follows at once (it reads the path)."""
    _require_admin(actor)
    user = _get_user(session, user_id)
    raise_if(_placement_problems(session, user_id, org_unit_id, manager_id))
    user.org_unit, user.manager_id = session.get_one(OrgUnit, org_unit_id), manager_id
    session.flush()
    return user


def set_roles(session: Session, actor: Viewer, user_id: int, roles: Collection[str]) -> User:
    """Replace a user's roles. Admins cannot drop their own admin role and lock everyone out."""
    _require_admin(actor)
    user = _get_user(session, user_id)
    problems = _role_problems(roles)
    if user_id == actor.user_id and "admin" not in roles:
        problems.append("roles: you cannot remove your own admin role")
    raise_if(problems)
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
        raise NotFound(f"User {user_id} does not exist")
    return user


def list_users(
    session: Session, viewer: Viewer, page: int = 1, per_page: int = 25, *, active_only: bool = False
) -> tuple[list[User], int]:
    """One page of the users the viewer may see, by username, with the total count."""
    page, per_page = max(1, page), min(max(1, per_page), MAX_PER_PAGE)
    condition: ColumnElement[bool] = User.username.in_(visible_usernames(viewer))
    if active_only:
        condition = and_(condition, User.active.is_(True))
    total = session.scalar(select(func.count()).select_from(User).where(condition)) or 0
    users = session.scalars(
        select(User).where(condition).order_by(User.username)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(users), total


# --- org units --------------------------------------------------------------------------


def create_unit(
    session: Session, actor: Viewer, name: str, kind: str, parent_id: int | None
) -> OrgUnit:
    """An admin adds a unit. Kinds nest company → branch → department → team; a level may
    be skipped (a team straight under a branch) but never inverted."""
    _require_admin(actor)
    name = name.strip()
    problems = _name_problems(name)
    if kind not in UNIT_KINDS:
        problems.append(f"kind: must be one of {', '.join(UNIT_KINDS)}")
        raise_if(problems)
    parent = session.get(OrgUnit, parent_id) if parent_id is not None else None
    if kind == "company" and parent_id is not None:
        problems.append("parent_id: a company is a root unit and has no parent")
    elif kind != "company" and parent is None:
        problems.append(f"parent_id: org unit {parent_id} does not exist" if parent_id is not None
                        else f"parent_id: a {kind} needs a parent unit")
    elif parent is not None and UNIT_KINDS.index(parent.kind) >= UNIT_KINDS.index(kind):
        problems.append(f"kind: a {kind} cannot sit under a {parent.kind}")
    raise_if(problems)
    return insert_unit(session, name, kind, parent)


def insert_unit(session: Session, name: str, kind: str, parent: OrgUnit | None) -> OrgUnit:
    """Add a unit with its materialised path ("/1/4/9/"); no checks, like ``insert_user``."""
    unit = OrgUnit(name=name, kind=kind, parent_id=parent.id if parent else None, path="")
    session.add(unit)
    session.flush()  # the path needs the id
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    session.flush()
    return unit


def list_units(session: Session) -> list[OrgUnit]:
    """Every unit in tree order: each parent directly before its subtree."""
    return list(session.scalars(select(OrgUnit).order_by(OrgUnit.path)).all())


# --- checks -----------------------------------------------------------------------------


def _require_admin(actor: Viewer) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Only administrators may manage users and org units")


def _get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} does not exist")
    return user


def _username_problems(username: str) -> list[str]:
    if _USERNAME.fullmatch(username):
        return []
    return ["username: 2-100 characters: lower-case letters, digits, '.', '_' or '-'"]


def _name_problems(name: str) -> list[str]:
    return [] if 0 < len(name) <= 120 else ["name: required, at most 120 characters"]


def _display_name_problems(display_name: str) -> list[str]:
    return [] if 0 < len(display_name) <= 120 else ["display_name: required, at most 120 characters"]


def _email_problems(email: str) -> list[str]:
    if email == "" or (len(email) <= 200 and _EMAIL.fullmatch(email)):
        return []
    return ["email: not a valid email address"]


def _role_problems(roles: Collection[str]) -> list[str]:
    unknown = sorted(set(roles) - set(ROLES))
    return [f"roles: unknown role(s) {', '.join(unknown)}"] if unknown else []


def _locale_problems(locale: str) -> list[str]:
    return [] if locale in LOCALES else [f"locale: must be one of {', '.join(LOCALES)}"]


def _timezone_problems(timezone: str) -> list[str]:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return [f"timezone: '{timezone}' is not a known time zone"]
    return []


_FIELD_CHECKS = {
    "display_name": _display_name_problems,
    "email": _email_problems,
    "locale": _locale_problems,
    "timezone": _timezone_problems,
}


def _placement_problems(
    session: Session, user_id: int | None, org_unit_id: int, manager_id: int | None
) -> list[str]:
    """Unit exists; manager exists, is active, is not the user and is not below the user."""
    problems = []
    if session.get(OrgUnit, org_unit_id) is None:
        problems.append(f"org_unit_id: org unit {org_unit_id} does not exist")
    if manager_id is None:
        return problems
    manager = session.get(User, manager_id)
    if user_id is not None and manager_id == user_id:
        problems.append("manager_id: a user cannot be their own manager")
    elif manager is None or not manager.active:
        problems.append(f"manager_id: user {manager_id} does not exist or is deactivated")
    elif user_id is not None and _reports_to(session, manager, user_id):
        problems.append(f"manager_id: {manager.username} already reports to this user; "
                        "that would make a reporting cycle")
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
