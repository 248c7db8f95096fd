"""The public pools (公海): the ones I belong to, what waits in each (leads and accounts) for
its members to claim, for their admins the limits and members, and what a rep is told about
the duplicates of a lead or account they claimed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from math import ceil
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField

from core.errors import Conflict, InvalidInput, PermissionDenied
from workflows.accounts.cadence import follow_up_now as follow_up_accounts
from workflows.accounts.pools import claim_account
from workflows.dedupe import Duplicate
from workflows.inputs import COUNT_CAP, parse_id
from workflows.leads.cadence import follow_up_now as follow_up_leads
from workflows.leads.models import POOL_ROLES, Pool
from workflows.leads.pool_admin import (
    PoolInput,
    managed_pool,
    managed_pool_ids,
    members,
    remove_member,
    save_pool,
    set_member,
)
from workflows.leads.pools import claim_lead, pools_of
from workflows.leads.waiting import member_pool, waiting_in
from workflows.org.service import list_active_users
from workflows.org.visibility import Viewer

from .choices import choices
from .context import container
from .duplicate_rules import FIELD_LABELS
from .forms import field_messages, save, typed
from .i18n import message_of

bp = Blueprint("pools", __name__)
ROLE_LABELS = {"member": _l("Member"), "admin": _l("Pool admin")}
PER_PAGE = 25
# How a claim from the pool's page takes each kind of record, and redoes its follow-up.
CLAIMS = {"lead": (claim_lead, follow_up_leads), "account": (claim_account, follow_up_accounts)}


class PoolForm(FlaskForm):  # type: ignore[misc]
    name = StringField(_l("Name"))
    max_claims_per_day = StringField(_l("Claims per rep in 24 hours"))
    max_held = StringField(_l("Leads a rep may hold at once, and accounts (counted apart)"))
    reclaim_after_days = StringField(_l("Days before a former owner may claim a lead or account back"))
    recycle_after_days = StringField(_l("Days without contact before a lead or account returns here"))
    warn_days_before = StringField(_l("Days of warning before that"))


class MemberForm(FlaskForm):  # type: ignore[misc]
    user_id = SelectField(_l("Person"), validate_choice=False)
    role = SelectField(_l("Role"), validate_choice=False,
                       choices=choices((r, ROLE_LABELS[r]) for r in POOL_ROLES))


@bp.get("/pools")
def index() -> str:
    with container().session_factory() as session:
        pools = pools_of(session, current_user.viewer)
        managed = managed_pool_ids(session, current_user.viewer)
    return render_template("pools/index.html", pools=pools, managed=managed)


@bp.get("/pools/<int:pool_id>/waiting")
def waiting(pool_id: int) -> str:
    """What waits in the pool (a member's view): its leads and its accounts, each to claim."""
    lead_page = max(1, request.args.get("leads_page", 1, type=int))
    account_page = max(1, request.args.get("accounts_page", 1, type=int))
    with container().session_factory() as session:
        found = waiting_in(session, current_user.viewer, pool_id, lead_page, account_page, PER_PAGE)
    return render_template("pools/waiting.html", w=found, lead_page=lead_page, account_page=account_page,
                           lead_pages=ceil(min(found.lead_total, COUNT_CAP) / PER_PAGE),
                           account_pages=ceil(min(found.account_total, COUNT_CAP) / PER_PAGE))


@bp.post("/pools/<int:pool_id>/claim")
def claim(pool_id: int) -> Response:
    """Claim one lead or account from the pool's page, within the pool's limits; back to the page
    with what happened (a refusal says why, and what the duplicate rules found is told)."""
    kind, record_id = request.form.get("kind", ""), parse_id(request.form.get("record_id", ""))
    if kind not in CLAIMS or record_id is None:
        abort(400)
    viewer: Viewer = current_user.viewer
    take, follow_up = CLAIMS[kind]
    noted: list[Duplicate] = []
    with container().uow() as uow:
        member_pool(uow.session, viewer, pool_id)  # a pool out of reach "does not exist"
        try:
            take(uow.session, viewer, record_id, _now(), noted)
            follow_up(uow.session, container().engine, [record_id], _now())
            uow.commit()
            flash(_("The lead is yours now.") if kind == "lead" else _("The account is yours now."))
        except (Conflict, PermissionDenied) as exc:
            flash(message_of(exc), "error")
        except InvalidInput as exc:
            for message in field_messages(exc).values():
                flash(message, "error")
    if noted:
        flash(duplicates_notice(noted, kind), "warning")
    return redirect(url_for("pools.waiting", pool_id=pool_id))


@bp.route("/pools/new", methods=["GET", "POST"])
def new() -> Any:
    form = PoolForm(data=asdict(PoolInput(name="")))
    if form.validate_on_submit():
        saved = save(form, lambda session: save_pool(session, current_user.viewer, None,
                                                     PoolInput(**typed(form, PoolInput)), _now()).id)
        if saved is not None:
            flash(_("Pool created."))
            return redirect(url_for("pools.show", pool_id=saved))
    return render_template("pools/new.html", form=form), 400 if form.is_submitted() else 200


@bp.route("/pools/<int:pool_id>", methods=["GET", "POST"])
def show(pool_id: int) -> Any:
    """The pool's limits (editable) and its members."""
    viewer: Viewer = current_user.viewer
    with container().session_factory() as session:
        pool = managed_pool(session, viewer, pool_id)
    form = PoolForm(obj=pool)
    if form.validate_on_submit():
        saved = save(form, lambda session: save_pool(session, viewer, pool_id,
                                                     PoolInput(**typed(form, PoolInput)), _now()).id)
        if saved is not None:
            flash(_("Changes saved."))
            return redirect(url_for("pools.show", pool_id=pool_id))
    return _page(pool, form, MemberForm()), 400 if form.is_submitted() else 200


@bp.post("/pools/<int:pool_id>/members")
def add_member(pool_id: int) -> Any:
    viewer: Viewer = current_user.viewer
    form = MemberForm()
    if form.validate_on_submit():
        done = save(form, lambda session: set_member(session, viewer, pool_id, form.user_id.data or "",
                                                     form.role.data or "").user_id)
        if done is not None:
            flash(_("Member saved."))
            return redirect(url_for("pools.show", pool_id=pool_id))
    with container().session_factory() as session:
        pool = managed_pool(session, viewer, pool_id)
    return _page(pool, PoolForm(obj=pool), form), 400


@bp.post("/pools/<int:pool_id>/members/<int:user_id>/remove")
def drop_member(pool_id: int, user_id: int) -> Response:
    with container().uow() as uow:
        remove_member(uow.session, current_user.viewer, pool_id, user_id)
        uow.commit()
    flash(_("Member removed."))
    return redirect(url_for("pools.show", pool_id=pool_id))


def duplicates_notice(duplicates: Sequence[Duplicate], kind: str = "lead") -> str:
    """The flash after a claim whose lead (or account) the duplicate rules matched with others:
    each record with its owner, the rule and the score per field, so the rep can merge or give
    one back."""
    listed = "; ".join(_('%(label)s (#%(id)s, %(owner)s), by the rule "%(rule)s": %(scores)s',
                         label=d.label, id=d.record_id, rule=d.rule_name,
                         owner=_("owner: %(name)s", name=d.owner) if d.owner else _("in a pool"),
                         scores=similarity(d.scores))
                       for d in duplicates)
    if kind == "account":
        return _("This account may duplicate: %(records)s", records=listed)
    return _("This lead may duplicate: %(records)s", records=listed)


@bp.app_template_global()
def similarity(scores: Mapping[str, int]) -> str:
    """A duplicate's score per field in the reader's language: "Company 100%, Name 95%"."""
    return ", ".join(f"{FIELD_LABELS.get(field, field)} {points}%" for field, points in scores.items())


def _page(pool: Pool, form: PoolForm, member_form: MemberForm) -> str:
    with container().session_factory() as session:
        rows = members(session, pool.id)
        people = list_active_users(session, current_user.viewer)
    member_form.user_id.choices = choices(((str(u.id), f"{u.display_name} ({u.username})") for u in people),
                                          blank="—")
    return render_template("pools/show.html", pool=pool, form=form, member_form=member_form, members=rows,
                           role_labels=ROLE_LABELS)


def _now() -> datetime:
    return container().engine.clock.now()
