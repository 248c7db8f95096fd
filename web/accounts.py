"""Accounts and their contacts: the list, the 360° account page, and the forms; claiming an
account from a public pool and giving one back.

Every page asks the use cases, which apply the visibility rule: an account or contact the
viewer may not see answers 404. Each submission is one unit of work; the use case's
field problems are shown beside their fields with the input kept, and nothing is saved.
A refused claim or release (a pool's limit, someone quicker) is said on the account's page.
"""

from __future__ import annotations

from datetime import datetime
from math import ceil
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import SelectChoice, SelectField, StringField, TextAreaField

from core.errors import Conflict, InvalidInput, PermissionDenied
from workflows.accounts.cadence import follow_up_now
from workflows.accounts.contacts import ContactInput, create_contact, get_contact, update_contact
from workflows.accounts.models import ACCOUNT_TYPES, CATEGORIES, CREDIT_RATINGS, Account, Contact
from workflows.accounts.overview import account_overview
from workflows.accounts.pools import claim_account, release_account
from workflows.accounts.service import (
    AccountFilter,
    AccountInput,
    account_choices,
    create_account,
    get_account,
    list_accounts,
    regions,
    update_account,
    visible_parent,
)
from workflows.activities.service import activities_of
from workflows.dedupe import Duplicate
from workflows.inputs import parse_id
from workflows.leads.follow_up_status import NO_CONTACT_DAYS
from workflows.leads.models import Pool
from workflows.leads.pools import pools_of
from workflows.org.service import list_active_users
from workflows.org.visibility import Viewer

from .activities import ActivityForm
from .choices import choices, unit_choices
from .context import container
from .contracts import CONTRACT_STATUS_LABELS
from .forms import field_messages, save, typed
from .i18n import message_of
from .opportunities import STATUS_LABELS
from .pools import duplicates_notice
from .quotes import QUOTE_STATUS_LABELS

bp = Blueprint("accounts", __name__)
PER_PAGE = 25
CATEGORY_LABELS = {"ordinary": _l("Ordinary"), "vip": _l("VIP"), "strategic": _l("Strategic")}
TYPE_LABELS = {"end_customer": _l("End customer"), "channel": _l("Channel partner"), "partner": _l("Partner")}
FILTERS = ("q", "category", "account_type", "region", "unit", "owner", "scope", "no_contact")
SCOPE_LABELS = {"": _l("Accounts I may see"), "pool": _l("Waiting in my pools")}


class AccountForm(FlaskForm):  # type: ignore[misc]
    """Field names match ``AccountInput``; the use case checks every value."""

    name = StringField(_l("Name"))
    parent_id = SelectField(_l("Parent account"), validate_choice=False,
                            description=_l("The group this company belongs to, if any."))
    industry = StringField(_l("Industry"))
    category = SelectField(_l("Category"), validate_choice=False,
                           choices=choices((c, CATEGORY_LABELS[c]) for c in CATEGORIES))
    account_type = SelectField(_l("Account type"), validate_choice=False,
                               choices=choices((t, TYPE_LABELS[t]) for t in ACCOUNT_TYPES))
    region = StringField(_l("Region"))
    credit_rating = SelectField(_l("Credit rating"), validate_choice=False,
                                choices=choices(((r, r) for r in CREDIT_RATINGS), blank="—"))
    phone = StringField(_l("Phone"))
    address = StringField(_l("Address"))
    note = TextAreaField(_l("Note"))
    owner = SelectField(_l("Owner"), validate_choice=False)


class ContactForm(FlaskForm):  # type: ignore[misc]
    """Field names match ``ContactInput``."""

    account_id = SelectField(_l("Account"), validate_choice=False)
    name = StringField(_l("Name"))
    title = StringField(_l("Job title"))
    phone = StringField(_l("Phone"))
    email = StringField(_l("Email"))
    birthday = StringField(_l("Birthday"), description=_l("YYYY-MM-DD"))


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"category_labels": CATEGORY_LABELS, "type_labels": TYPE_LABELS, "status_labels": STATUS_LABELS,
            "quote_status_labels": QUOTE_STATUS_LABELS, "contract_status_labels": CONTRACT_STATUS_LABELS,
            "scope_labels": SCOPE_LABELS}


# --- accounts ---------------------------------------------------------------------------


@bp.get("/accounts")
def index() -> str:
    """The accounts the viewer may see (or those waiting in their pools), a page at a time;
    search by name, filter by the rest, or by days without contact (``?no_contact=30``)."""
    viewer: Viewer = current_user.viewer
    query = {name: value for name in FILTERS if (value := request.args.get(name, "").strip())}
    if query.get("scope") not in SCOPE_LABELS:
        query.pop("scope", None)
    days = query.get("no_contact", "")
    if not (days.isdigit() and int(days) in NO_CONTACT_DAYS):  # an unknown band is dropped, never applied
        query.pop("no_contact", None)
    where = AccountFilter(search=query.get("q", ""), category=query.get("category", ""),
                          account_type=query.get("account_type", ""), region=query.get("region", ""),
                          unit_id=parse_id(query.get("unit", "")), owner=query.get("owner", ""),
                          scope=query.get("scope", ""),
                          no_contact=int(query["no_contact"]) if "no_contact" in query else None)
    page = max(1, request.args.get("page", 1, type=int))
    now = _now()
    with container().session_factory() as session:
        accounts, total = list_accounts(session, viewer, where, page, PER_PAGE, now)
        choices = {"regions": regions(session, viewer), "owners": _owner_choices(session, viewer),
                   "units": unit_choices(session, viewer)}
    return render_template("accounts/index.html", accounts=accounts, total=total, page=page,
                           pages=ceil(total / PER_PAGE), query=query, now=now, **choices)


@bp.route("/accounts/new", methods=["GET", "POST"])
def new() -> Any:
    viewer: Viewer = current_user.viewer
    form = AccountForm(owner=viewer.username)
    with container().session_factory() as session:
        _fill_account_choices(session, viewer, form, None)
    if form.validate_on_submit():
        def work(session: Session) -> int:
            account_id = create_account(session, viewer, AccountInput(**typed(form, AccountInput)), _now()).id
            _follow_up(session, [account_id])
            return account_id

        created = save(form, work)
        if created is not None:
            flash(_("Account created."))
            return redirect(url_for("accounts.show", account_id=created))
    return render_template("accounts/form.html", form=form, account=None), 400 if form.is_submitted() else 200


@bp.get("/accounts/<int:account_id>")
def show(account_id: int) -> str:
    """The 360° page: the account, its group, people, deals, quotes, open tasks and history;
    its follow-up, and claiming it from its pool or giving it back to one."""
    viewer: Viewer = current_user.viewer
    with container().session_factory() as session:
        overview = account_overview(session, viewer, account_id)
        activities = activities_of(session, viewer, "account", account_id)
        pool_id = overview.account.pool_id
        home = session.get(Pool, pool_id) if pool_id else None
        return render_template("accounts/show.html", o=overview, now=_now(), activities=activities,
                               activity_form=ActivityForm(), subject="account", subject_id=account_id,
                               home_pool=home, pools=pools_of(session, viewer))


@bp.post("/accounts/<int:account_id>/claim")
def claim(account_id: int) -> Response:
    """Make a pool's account mine, within the pool's limits; what the duplicate rules found is told."""
    noted: list[Duplicate] = []  # told after the claim
    response = _act(account_id, lambda session, viewer: claim_account(
        session, viewer, account_id, _now(), noted), _("The account is yours now."))
    if noted:
        flash(duplicates_notice(noted, "account"), "warning")
    return response


@bp.post("/accounts/<int:account_id>/release")
def release(account_id: int) -> Response:
    """Give the account (with its contacts) back to a pool, for others to claim."""
    pool_id = parse_id(request.form.get("pool_id", "")) or 0
    return _act(account_id, lambda session, viewer: release_account(
        session, viewer, account_id, pool_id, _now()), _("The account is back in the pool."))


def _act(account_id: int, work: Any, done: str) -> Response:
    """Run one account action in its own unit of work; a refusal is flashed on the account's page
    (one it may not see at all answers 404)."""
    viewer: Viewer = current_user.viewer
    with container().uow() as uow:
        try:
            work(uow.session, viewer)
            follow_up_now(uow.session, container().engine, [account_id], _now())
            uow.commit()
            flash(done)
        except (Conflict, PermissionDenied) as exc:
            flash(message_of(exc), "error")
        except InvalidInput as exc:
            for message in field_messages(exc).values():
                flash(message, "error")
    return redirect(url_for("accounts.show", account_id=account_id))


@bp.route("/accounts/<int:account_id>/edit", methods=["GET", "POST"])
def edit(account_id: int) -> Any:
    viewer: Viewer = current_user.viewer
    with container().session_factory() as session:
        account = get_account(session, viewer, account_id)
        form = AccountForm(data=_as_text(account, AccountInput))
        _fill_account_choices(session, viewer, form, account)
    if form.validate_on_submit():
        def work(session: Session) -> int:
            update_account(session, viewer, account_id, AccountInput(**typed(form, AccountInput)), _now())
            _follow_up(session, [account_id])
            return account_id

        saved = save(form, work)
        if saved is not None:
            flash(_("Changes saved."))
            return redirect(url_for("accounts.show", account_id=account_id))
    return render_template("accounts/form.html", form=form, account=account), \
        400 if form.is_submitted() else 200


def _fill_account_choices(session: Session, viewer: Viewer, form: AccountForm,
                          account: Account | None) -> None:
    """Visible accounts as parents (an invisible current parent stays, unnamed); as owners,
    the people the viewer may give work to, plus the current owner so an unchanged choice stays."""
    parents = {str(i): name for i, name in account_choices(session, viewer)
               if account is None or i != account.id}
    if account is not None and account.parent_id and str(account.parent_id) not in parents:
        parent = visible_parent(session, viewer, account)
        unseen = _("Unchanged (an account you cannot see)")
        parents[str(account.parent_id)] = parent.name if parent else unseen
    form.parent_id.choices = choices(parents.items(), blank=_("None"))
    if account is not None and account.owner is None:  # claimed from its pool, not given away here
        form.owner.choices = choices([], blank=_("Nobody: waiting in the public pool"))
        return
    owners = dict(_owner_choices(session, viewer))
    if account is not None and account.owner is not None:
        owners.setdefault(account.owner, account.owner)
    form.owner.choices = choices(owners.items())


def _owner_choices(session: Session, viewer: Viewer) -> list[tuple[str, str]]:
    return [(u.username, f"{u.display_name} ({u.username})") for u in list_active_users(session, viewer)]


def _as_text(row: Account | Contact, kind: type[AccountInput] | type[ContactInput]) -> dict[str, str]:
    """A saved row as the text its form shows: the fields the input dataclass names."""
    return {name: "" if getattr(row, name) is None else str(getattr(row, name))
            for name in kind.__dataclass_fields__}


# --- contacts ---------------------------------------------------------------------------


@bp.route("/contacts/new", methods=["GET", "POST"])
def new_contact() -> Any:
    """A contact for the account given in ``?account_id=``; an account out of sight is 404."""
    viewer: Viewer = current_user.viewer
    account_id = parse_id(request.args.get("account_id", ""))
    if account_id is None:
        abort(404)
    with container().session_factory() as session:
        account = get_account(session, viewer, account_id)
        form = ContactForm(account_id=str(account_id))
        form.account_id.choices = _account_options(session, viewer, account)
    if form.validate_on_submit():
        created = save(form, lambda session: create_contact(
            session, viewer, ContactInput(**typed(form, ContactInput)), _now()).account_id)
        if created is not None:
            flash(_("Contact added."))
            return redirect(url_for("accounts.show", account_id=created))
    return render_template("accounts/contact.html", form=form, contact=None, account=account), \
        400 if form.is_submitted() else 200


@bp.route("/contacts/<int:contact_id>", methods=["GET", "POST"])
def contact(contact_id: int) -> Any:
    """A contact's details, edited in place."""
    viewer: Viewer = current_user.viewer
    with container().session_factory() as session:
        found = get_contact(session, viewer, contact_id)
        activities = activities_of(session, viewer, "contact", contact_id)
        form = ContactForm(data=_as_text(found, ContactInput))
        form.account_id.choices = _account_options(session, viewer, found.account)
    if form.validate_on_submit():
        saved = save(form, lambda session: update_contact(
            session, viewer, contact_id, ContactInput(**typed(form, ContactInput)), _now()).account_id)
        if saved is not None:
            flash(_("Changes saved."))
            return redirect(url_for("accounts.show", account_id=saved))
    return render_template("accounts/contact.html", form=form, contact=found, account=found.account,
                           activities=activities, activity_form=ActivityForm(formdata=None),
                           subject="contact", subject_id=contact_id), 400 if form.is_submitted() else 200


def _account_options(session: Session, viewer: Viewer, current: Account) -> list[SelectChoice]:
    """Visible accounts, always including the current one, so an unchanged choice stays."""
    options = {str(current.id): current.name} | {str(i): name for i, name in account_choices(session, viewer)}
    return choices(options.items())


# --- helpers ----------------------------------------------------------------------------


def _follow_up(session: Session, account_ids: list[int]) -> None:
    """Redo the follow-up cycles a change calls for in its own transaction, so the account's page
    shows them (a cycle that cannot start is left to the sweep; the change stands)."""
    follow_up_now(session, container().engine, account_ids, _now())


def _now() -> datetime:
    return container().engine.clock.now()
