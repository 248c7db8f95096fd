"""Leads: my leads, all I may see, the public pool I claim from, a lead's page, and the form.

The use cases apply the rules (visibility, pool membership, claim limits); a lead out of
sight answers 404, and a refused claim (a limit, a lead claimed a moment ago) is said in
a flash on the lead's page, never as an error page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from math import ceil
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from core.errors import Conflict, InvalidInput, PermissionDenied
from workflows.activities.service import activities_of
from workflows.dedupe import Duplicate
from workflows.inputs import COUNT_CAP, parse_id
from workflows.leads.cadence import follow_up_now
from workflows.leads.lists import list_leads, parse_lead_filter
from workflows.leads.manual_assignment import assign_leads
from workflows.leads.models import RATINGS, SIZES, SOURCES, STATUSES, Pool
from workflows.leads.pools import claim_lead, pools_of, release_lead
from workflows.leads.service import (
    LeadInput,
    PossibleDuplicates,
    create_lead,
    disqualify_lead,
    get_lead,
    qualify_lead,
    update_lead,
)
from workflows.org.service import list_active_users
from workflows.org.visibility import Viewer
from workflows.saved_views import saved_views

from .activities import ActivityForm
from .choices import choices, unit_choices
from .context import container
from .forms import field_messages, save, typed
from .i18n import message_of, translated
from .opportunities import SOURCE_LABELS as OPPORTUNITY_SOURCE_LABELS
from .pools import duplicates_notice

bp = Blueprint("leads", __name__)
PER_PAGE = 25
SOURCE_LABELS = {**OPPORTUNITY_SOURCE_LABELS, "manual": _l("Entered by hand")}
RATING_LABELS = {"hot": _l("Hot"), "warm": _l("Warm"), "cold": _l("Cold")}
LEAD_STATUS_LABELS = {
    "new": _l("New"), "working": _l("Working"), "qualified": _l("Qualified"), "converted": _l("Converted"),
    "disqualified": _l("Disqualified"), "pooled": _l("In the pool"),
}
FIELD_LABELS = {"reason": _l("Reason")}  # of the fields a lead action takes beside its form
SCOPE_LABELS = {"mine": _l("My leads"), "visible": _l("All I may see"), "pool": _l("Public pool")}


class LeadForm(FlaskForm):  # type: ignore[misc]
    """Field names match ``LeadInput``; the use case checks every value."""

    name = StringField(_l("Name"))
    company = StringField(_l("Company"))
    title = StringField(_l("Job title"))
    phone = StringField(_l("Phone"), description=_l("A mainland mobile or landline, or +country code."))
    email = StringField(_l("Email"))
    address = StringField(_l("Address"))
    region = StringField(_l("Region"))
    industry = StringField(_l("Industry"))
    size = SelectField(_l("Company size"), validate_choice=False,
                       choices=choices(((s, s) for s in SIZES), blank="—"))
    source = SelectField(_l("Source"), validate_choice=False,
                         choices=choices((s, SOURCE_LABELS[s]) for s in SOURCES))
    rating = SelectField(_l("Rating"), validate_choice=False,
                         choices=choices((r, RATING_LABELS[r]) for r in RATINGS))
    note = TextAreaField(_l("Note"))
    confirmed = BooleanField(_l("This is a new lead all the same"))


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"source_labels": SOURCE_LABELS, "rating_labels": RATING_LABELS,
            "lead_status_labels": LEAD_STATUS_LABELS, "scope_labels": SCOPE_LABELS}


@bp.get("/leads")
def index() -> str:
    """The leads a query string or saved view filters; values the list cannot use are dropped."""
    viewer: Viewer = current_user.viewer
    found = parse_lead_filter(request.args)
    page = max(1, request.args.get("page", 1, type=int))
    now = _now()
    with container().session_factory() as session:
        leads, total = list_leads(session, viewer, found, now, page, PER_PAGE)
        people = list_active_users(session, viewer) if viewer.is_manager or viewer.is_admin else []
        saved = saved_views(session, viewer, "lead")
        units = unit_choices(session, viewer)
    return render_template("leads/index.html", leads=leads, total=total, page=page, filter=found,
                           params=found.params(), now=now, pages=ceil(min(total, COUNT_CAP) / PER_PAGE),
                           people=people, saved=saved, statuses=STATUSES, units=units,
                           any_contact=replace(found, no_contact=None).params())


@bp.post("/leads/assign")
def assign() -> Response:
    """A manager gives the selected leads to a rep; each lead's outcome is said."""
    viewer: Viewer = current_user.viewer
    ids = [lead_id for raw in request.form.getlist("lead_ids") if (lead_id := parse_id(raw)) is not None]
    with container().uow() as uow:
        try:
            # Up to 500 leads: their new follow-up cycles come from the sweep seconds later, not
            # from this request (at 50-80 cycles a second, with every lead locked meanwhile).
            results = assign_leads(uow.session, viewer, ids, request.form.get("owner", ""), _now())
            uow.commit()
        except (InvalidInput, PermissionDenied) as exc:
            flash(message_of(exc), "error")
            results = []
    done = [r for r in results if r.problem is None]
    if done:
        flash(ngettext("%(num)d lead assigned.", "%(num)d leads assigned.", len(done)))
    for result in results:
        if result.problem is not None:
            problem = translated(result.problem)
            flash(_("Lead %(id)s: %(problem)s", id=result.lead_id, problem=problem), "error")
    return redirect(url_for("leads.index", **parse_lead_filter(request.form).params()))


@bp.route("/leads/new", methods=["GET", "POST"])
def new() -> Any:
    viewer: Viewer = current_user.viewer
    form = LeadForm(source="manual", rating="warm")
    duplicates: list[Duplicate] = []
    if form.validate_on_submit():
        created = save(form, _noting(duplicates, lambda session: create_lead(
            session, viewer, LeadInput(**typed(form, LeadInput)), _now(),
            confirmed=bool(form.confirmed.data)).id))
        if created is not None:
            flash(_("Lead created."))
            return redirect(url_for("leads.show", lead_id=created))
    return render_template("leads/form.html", form=form, lead=None, duplicates=duplicates), \
        400 if form.is_submitted() else 200


@bp.route("/leads/<int:lead_id>/edit", methods=["GET", "POST"])
def edit(lead_id: int) -> Any:
    viewer: Viewer = current_user.viewer
    with container().session_factory() as session:
        lead = get_lead(session, viewer, lead_id)
    form = LeadForm(obj=lead)
    duplicates: list[Duplicate] = []
    if form.validate_on_submit():
        def work(session: Session) -> int:
            update_lead(session, viewer, lead_id, LeadInput(**typed(form, LeadInput)), _now(),
                        confirmed=bool(form.confirmed.data))
            _follow_up(session, [lead_id])
            return lead_id

        saved = save(form, _noting(duplicates, work))
        if saved is not None:
            flash(_("Changes saved."))
            return redirect(url_for("leads.show", lead_id=lead_id))
    return render_template("leads/form.html", form=form, lead=lead, duplicates=duplicates), \
        400 if form.is_submitted() else 200


@bp.get("/leads/<int:lead_id>")
def show(lead_id: int) -> str:
    viewer: Viewer = current_user.viewer
    with container().session_factory() as session:
        lead = get_lead(session, viewer, lead_id)
        pools = pools_of(session, viewer)
        home = session.get(Pool, lead.pool_id) if lead.pool_id else None
        activities = activities_of(session, viewer, "lead", lead_id)
    return render_template("leads/show.html", lead=lead, pools=pools, activities=activities, home_pool=home,
                           now=_now(), activity_form=ActivityForm(), subject="lead", subject_id=lead_id)


@bp.post("/leads/<int:lead_id>/claim")
def claim(lead_id: int) -> Response:
    noted: list[Duplicate] = []  # what the duplicate rules found and did not refuse, told after the claim
    response = _act(lead_id, lambda session, viewer: claim_lead(session, viewer, lead_id, _now(), noted),
                    _("The lead is yours now."))
    if noted:
        flash(duplicates_notice(noted), "warning")
    return response


@bp.post("/leads/<int:lead_id>/qualify")
def qualify(lead_id: int) -> Response:
    return _act(lead_id, lambda session, viewer: qualify_lead(session, viewer, lead_id, _now()),
                _("The lead is qualified: convert it when the customer is ready."))


@bp.post("/leads/<int:lead_id>/disqualify")
def disqualify(lead_id: int) -> Response:
    reason = request.form.get("reason", "")
    return _act(lead_id, lambda session, viewer: disqualify_lead(session, viewer, lead_id, reason, _now()),
                _("The lead is disqualified; its follow-up has ended."))


@bp.post("/leads/<int:lead_id>/release")
def release(lead_id: int) -> Response:
    pool_id = parse_id(request.form.get("pool_id", "")) or 0
    return _act(lead_id, lambda session, viewer: release_lead(session, viewer, lead_id, pool_id, _now()),
                _("The lead is back in the pool."))


def _noting(duplicates: list[Duplicate], work: Callable[[Session], int]) -> Callable[[Session], int]:
    """``work``, keeping the near matches a warning rule found, to show them beside the form."""
    def run(session: Session) -> int:
        try:
            return work(session)
        except PossibleDuplicates as exc:
            duplicates.extend(exc.duplicates)
            raise
    return run


def _act(lead_id: int, work: Any, done: str) -> Response:
    """Run one lead action in its own unit of work; a refusal is flashed on the lead's page."""
    viewer: Viewer = current_user.viewer
    c = container()
    with c.uow() as uow:
        try:
            work(uow.session, viewer)
            _follow_up(uow.session, [lead_id])
            uow.commit()
            flash(done)
        except (Conflict, PermissionDenied) as exc:
            flash(message_of(exc), "error")
        except InvalidInput as exc:
            for field, message in field_messages(exc).items():
                flash(f"{FIELD_LABELS[field]}: {message}" if field in FIELD_LABELS else message, "error")
    return redirect(url_for("leads.show", lead_id=lead_id))


def _follow_up(session: Session, lead_ids: list[int]) -> None:
    """Redo the follow-up cycles these leads' changes call for now, so the pages show them."""
    follow_up_now(session, container().engine, lead_ids, _now())


def _now() -> datetime:
    return container().engine.clock.now()
