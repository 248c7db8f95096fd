"""Admin pages: people (create, edit, move in the tree, roles, deactivate) and the org tree.

Only admins get in: everyone else is refused with 403 before any lookup, so no page
leaks whether a user exists. Each submission is one unit of work, and the service's
field problems (a taken username among them) are shown next to their fields, in the
reader's language, with the input kept.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from math import ceil
from typing import Any
from zoneinfo import available_timezones

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import PasswordField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from core.errors import InvalidInput, PermissionDenied
from workflows.org.models import ROLES, UNIT_KINDS, OrgUnit, User
from workflows.org.passwords import MIN_LENGTH
from workflows.org.service import (
    UserFilter,
    create_user,
    deactivate_user,
    get_user,
    list_active_users,
    list_users,
    move_user,
    reactivate_user,
    set_roles,
    update_user,
)
from workflows.org.units import count_members, create_unit, list_units
from workflows.org.visibility import Viewer

from .context import container
from .forms import field_messages, save
from .i18n import DEFAULT_LOCALE, DEFAULT_TIMEZONE

bp = Blueprint("admin", __name__, url_prefix="/admin")
PER_PAGE = 20

ROLE_LABELS = {
    "sales_rep": _l("Sales rep"),
    "sales_manager": _l("Sales manager"),
    "sales_director": _l("Sales director"),
    "commercial_director": _l("Commercial director"),
    "service_director": _l("Service director"),
    "general_manager": _l("General manager"),
    "finance": _l("Finance"),
    "process_designer": _l("Process designer"),
    "admin": _l("Administrator"),
}
KIND_LABELS = {"company": _l("Company"), "branch": _l("Branch"), "department": _l("Department"),
               "team": _l("Team")}
LOCALE_CHOICES = [SelectChoice("zh_CN", "中文"), SelectChoice("en", "English")]  # each in its own words
STATUSES = {"active": True, "inactive": False}
SWITCHES: dict[str, tuple[Callable[[Session, Viewer, int], User], LazyString]] = {
    "deactivate": (deactivate_user, _l("%(username)s is deactivated and can no longer log in; their "
                                       "records are kept.")),
    "reactivate": (reactivate_user, _l("%(username)s is active again and can log in with their old "
                                       "password.")),
}


@bp.before_request
def _admins_only() -> None:
    if not current_user.viewer.is_admin:
        raise PermissionDenied(_("Only administrators may open the admin pages."))


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"role_labels": ROLE_LABELS, "kind_labels": KIND_LABELS}


# --- forms ------------------------------------------------------------------------------


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]
    """Several choices as a row of checkboxes rather than a multi-select box."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserFields(FlaskForm):  # type: ignore[misc]
    """What the create and the edit page share; unit, manager and zone choices are per request.
    Field names are the service's, so its problems land next to the right field."""

    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=120)])
    email = StringField(_l("Email"), validators=[Optional(), Length(max=200)])
    org_unit_id = SelectField(_l("Org unit"), default="",
                              validators=[DataRequired(message=_l("Choose an org unit."))])
    manager_id = SelectField(_l("Manager"), default="")
    roles = CheckboxesField(_l("Roles"), choices=[SelectChoice(r, ROLE_LABELS.get(r, r)) for r in ROLES])
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES, default=DEFAULT_LOCALE)
    timezone = SelectField(_l("Time zone"), default=DEFAULT_TIMEZONE)


class NewUserForm(UserFields):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=100)],
                           description=_l("Lower-case letters, digits, '.', '_' or '-'; it cannot be "
                                          "changed later."))
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(min=MIN_LENGTH)])


class EditUserForm(UserFields):
    password = PasswordField(_l("New password"), validators=[Optional(), Length(min=MIN_LENGTH)],
                             description=_l("Leave empty to keep the current password."))


class UnitForm(FlaskForm):  # type: ignore[misc]
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, KIND_LABELS[k]) for k in UNIT_KINDS],
                       default=UNIT_KINDS[-1])
    parent_id = SelectField(_l("Parent unit"), default="")


# --- users ------------------------------------------------------------------------------


@bp.get("/users")
def users() -> str:
    """Everyone, a page at a time; search by name, filter by unit (with its subtree), role, status."""
    where = _user_filter(request.args)
    page = max(1, request.args.get("page", 1, type=int))
    with container().session_factory() as session:
        found, total = list_users(session, current_user.viewer, page, PER_PAGE, where=where)
        managers = _manager_names(session, found)
        units = _unit_choices(list_units(session))
    query = {key: value for key, value in request.args.items() if key != "page" and value}
    return render_template("admin/users.html", users=found, total=total, page=page,
                           pages=ceil(total / PER_PAGE), query=query, managers=managers, units=units)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user() -> Any:
    form = NewUserForm()
    with container().session_factory() as session:
        _fill_choices(session, form, None)
    if form.validate_on_submit():
        user = save(form, lambda session: _create(session, form))
        if user is not None:
            flash(_("User %(username)s created; they can log in now.", username=user.username))
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=None), 400 if form.is_submitted() else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int) -> Any:
    """Profile, password reset, place in the tree and roles, saved together or not at all."""
    with container().session_factory() as session:
        user = get_user(session, current_user.viewer, user_id)
        form = EditUserForm(data=_initial(user))
        _fill_choices(session, form, user)
    if form.validate_on_submit():
        saved = save(form, lambda session: _edit(session, user, form))
        if saved is not None:
            flash(_("Changes to %(username)s saved.", username=saved.username))
            return redirect(url_for("admin.edit_user", user_id=user_id))
    return render_template("admin/user_form.html", form=form, user=user), 400 if form.is_submitted() else 200


@bp.post("/users/<int:user_id>/<any(deactivate, reactivate):action>")
def switch(user_id: int, action: str) -> Response:
    """Deactivate (no more logins, an open session ends too; the records stay) or
    reactivate, in one unit of work; a refusal is flashed above the page."""
    use_case, done = SWITCHES[action]
    try:
        with container().uow() as uow:
            user = use_case(uow.session, current_user.viewer, user_id)
            uow.commit()
    except InvalidInput as exc:
        for message in field_messages(exc).values():
            flash(message)
    else:
        flash(done % {"username": user.username})
    return redirect(url_for("admin.edit_user", user_id=user_id))


def _create(session: Session, form: NewUserForm) -> User:
    return create_user(
        session, current_user.viewer, username=form.username.data, display_name=form.display_name.data,
        email=form.email.data or "", password=form.password.data, org_unit_id=int(form.org_unit_id.data),
        manager_id=_id_or_none(form.manager_id.data), roles=form.roles.data, locale=form.locale.data,
        timezone=form.timezone.data, now=container().engine.clock.now(),
    )


def _edit(session: Session, before: User, form: EditUserForm) -> User:
    """Move only when the place changed, so a manager deactivated since does not block an
    unrelated edit."""
    viewer = current_user.viewer
    update_user(session, viewer, before.id, display_name=form.display_name.data, email=form.email.data or "",
                locale=form.locale.data, timezone=form.timezone.data, password=form.password.data or None)
    place = (int(form.org_unit_id.data), _id_or_none(form.manager_id.data))
    if place != (before.org_unit_id, before.manager_id):
        move_user(session, viewer, before.id, *place)
    return set_roles(session, viewer, before.id, form.roles.data)


def _initial(user: User) -> dict[str, Any]:
    return {
        "display_name": user.display_name, "email": user.email, "org_unit_id": str(user.org_unit_id),
        "manager_id": str(user.manager_id or ""), "roles": user.roles, "locale": user.locale,
        "timezone": user.timezone,
    }


def _fill_choices(session: Session, form: UserFields, user: User | None) -> None:
    """Units in tree order; as manager any active user but the user, plus their current
    manager even if deactivated since, so an unchanged choice stays valid."""
    form.org_unit_id.choices = [SelectChoice("", "—"), *_unit_choices(list_units(session))]
    people = [p for p in list_active_users(session, current_user.viewer) if user is None or p.id != user.id]
    if user is not None and user.manager_id and user.manager_id not in {p.id for p in people}:
        people.append(get_user(session, current_user.viewer, user.manager_id))
    form.manager_id.choices = [SelectChoice("", _("No manager")),
                               *(SelectChoice(str(p.id), _person(p)) for p in people)]
    form.timezone.choices = list(_timezones())


def _person(user: User) -> str:
    label = f"{user.display_name} ({user.username})"
    return label if user.active else _("%(person)s, deactivated", person=label)


def _manager_names(session: Session, users: list[User]) -> dict[int, str]:
    ids = {u.manager_id for u in users if u.manager_id is not None}
    return {i: get_user(session, current_user.viewer, i).display_name for i in ids}


def _user_filter(args: MultiDict[str, str]) -> UserFilter:
    role = args.get("role")
    return UserFilter(search=args.get("q", ""), org_unit_id=args.get("unit", type=int),
                      role=role if role in ROLES else None, active=STATUSES.get(args.get("status", "")))


@cache
def _timezones() -> tuple[str, ...]:
    """Every zone the server's tz database knows: the same ones the service accepts."""
    return tuple(sorted(available_timezones()))


def _id_or_none(value: str | None) -> int | None:
    return int(value) if value else None


# --- org units --------------------------------------------------------------------------


@bp.route("/units", methods=["GET", "POST"])
def units() -> Any:
    """The org tree with each unit's active members, and a form to add a unit under another."""
    form = UnitForm()
    with container().session_factory() as session:
        tree, members = list_units(session), count_members(session)
    form.parent_id.choices = [SelectChoice("", _("None: a new company")), *_unit_choices(tree)]
    if form.validate_on_submit():
        unit = save(form, lambda session: create_unit(
            session, current_user.viewer, form.name.data, form.kind.data, _id_or_none(form.parent_id.data)))
        if unit is not None:
            flash(_("Org unit %(name)s added.", name=unit.name))
            return redirect(url_for("admin.units"))
    return render_template("admin/units.html", form=form, rows=_tree_rows(tree, members)), \
        400 if form.is_submitted() else 200


def _tree_rows(tree: list[OrgUnit], members: dict[int, int]) -> list[tuple[OrgUnit, int, int, int]]:
    """(unit, depth, its own members, members including every unit below it)."""
    return [(unit, _depth(unit), members.get(unit.id, 0),
             sum(members.get(u.id, 0) for u in tree if u.path.startswith(unit.path))) for unit in tree]


def _depth(unit: OrgUnit) -> int:
    """0 for a company: its path "/1/" has two slashes, and each level adds one."""
    return unit.path.count("/") - 2


def _unit_choices(tree: list[OrgUnit]) -> list[SelectChoice]:
    """Select options indented by depth, so the tree shows inside a drop-down."""
    return [SelectChoice(str(unit.id), "\u00a0\u00a0" * _depth(unit) + unit.name) for unit in tree]
