"""Visit plans and work plans: plan a visit from a record's page, see it, move or cancel it;
the list of visits; a rep's plan for a week or a month and its progress, which their
manager follows. The log task itself is an ordinary task (``tasks.py``)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from math import ceil
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField, TextAreaField

from workflows.activities.models import Activity
from workflows.activities.records import record_path
from workflows.inputs import parse_id
from workflows.org.recipients import display_names
from workflows.org.visibility import Viewer
from workflows.visits.models import KINDS, PERIODS, VisitPlan
from workflows.visits.periods import following
from workflows.visits.plans import (
    DEFAULT_REMIND_MINUTES,
    TABS,
    VisitInput,
    cancel_visit,
    change_visit,
    get_visit,
    list_visits,
    log_task,
    plan_visit,
    subject_of,
)
from workflows.visits.work_plans import (
    Progress,
    WorkPlanInput,
    change_work_plan,
    create_work_plan,
    get_work_plan,
    progress_of,
    visits_in,
)
from workflows.visits.work_plans import list_work_plans as work_plans_of

from .activities import KIND_LABELS
from .choices import choices, people_choices
from .context import container
from .forms import save, typed

bp = Blueprint("visits", __name__)
PER_PAGE = 25
TAB_LABELS = {"upcoming": _l("Coming up"), "to_log": _l("To log"), "logged": _l("Logged"),
              "cancelled": _l("Cancelled")}
STATUS_LABELS = {"planned": _l("Planned"), "overdue": _l("Over, not logged yet"), "logged": _l("Logged"),
                 "cancelled": _l("Cancelled")}
PERIOD_LABELS = {"week": _l("Week"), "month": _l("Month")}
REMINDERS = ((0, _l("When it starts")), (15, _l("15 minutes before")), (30, _l("30 minutes before")),
             (60, _l("1 hour before")), (120, _l("2 hours before")), (1440, _l("1 day before")))


class VisitForm(FlaskForm):  # type: ignore[misc]
    """Field names match ``VisitInput``; the use case checks every value."""

    kind = SelectField(_l("Kind"), validate_choice=False, choices=choices((k, KIND_LABELS[k]) for k in KINDS))
    starts_at = StringField(_l("Starts"), description=_l("Date and time on your clock."))
    duration = StringField(_l("Duration in minutes"))
    location = StringField(_l("Where"))
    purpose = StringField(_l("Purpose"), description=_l("What you want out of it; the reminder says it."))
    remind_minutes = SelectField(_l("Remind me"), validate_choice=False,
                                 choices=choices((str(m), label) for m, label in REMINDERS))


class WorkPlanForm(FlaskForm):  # type: ignore[misc]
    period = SelectField(_l("Period"), validate_choice=False,
                         choices=choices((p, PERIOD_LABELS[p]) for p in PERIODS))
    day = StringField(_l("Week or month of"), description=_l("Any day in it."))
    goal = StringField(_l("Goal: visits and meetings"))
    note = TextAreaField(_l("Note"))


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"visit_status_labels": STATUS_LABELS, "period_labels": PERIOD_LABELS, "tab_labels": TAB_LABELS,
            "visit_state": visit_state, "record_path": record_path}


def visit_state(plan: VisitPlan) -> str:
    """A plan's status as people read it, now."""
    return plan.state(_now())


# --- visits ---------------------------------------------------------------------------------


@bp.route("/visits/new", methods=["GET", "POST"])
def new() -> Any:
    """Plan a visit with the record given as ``?subject=lead&subject_id=3``."""
    viewer: Viewer = current_user.viewer
    subject, subject_id = request.args.get("subject", ""), parse_id(request.args.get("subject_id", ""))
    if subject_id is None:
        abort(404)
    with container().session_factory() as session:
        record = subject_of(session, viewer, subject, subject_id)
    form = VisitForm(starts_at=_tomorrow_at_ten(), duration="60", remind_minutes=str(DEFAULT_REMIND_MINUTES))
    if form.validate_on_submit():
        c = container()
        planned = save(form, lambda session: plan_visit(
            session, c.engine, viewer, subject, subject_id, VisitInput(**typed(form, VisitInput)),
            current_user.timezone, _now()).id)
        if planned is not None:
            flash(_("Visit planned: you will be reminded before it, and asked for the log after it."))
            return redirect(url_for("visits.show", plan_id=planned))
    page = render_template("visits/form.html", form=form, record=record, subject=subject,
                           subject_id=subject_id)
    return page, 400 if form.is_submitted() else 200


@bp.get("/visits")
def index() -> str:
    viewer: Viewer = current_user.viewer
    tab = request.args.get("tab", "upcoming")
    tab = tab if tab in TABS else "upcoming"
    person, page = request.args.get("person", ""), max(1, request.args.get("page", 1, type=int))
    with container().session_factory() as session:
        plans, total = list_visits(session, viewer, tab, _now(), person, page, PER_PAGE)
        people = people_choices(session, viewer)
        names = display_names(session, {p.owner for p in plans})
    return render_template("visits/index.html", plans=plans, total=total, page=page, tab=tab, person=person,
                           people=people, names=names, pages=ceil(total / PER_PAGE),
                           query={"tab": tab, "person": person})


@bp.get("/visits/<int:plan_id>")
def show(plan_id: int) -> str:
    return _show(plan_id)


@bp.post("/visits/<int:plan_id>")
def change(plan_id: int) -> Any:
    viewer: Viewer = current_user.viewer
    form = VisitForm()
    if form.validate_on_submit():
        c = container()
        changed = save(form, lambda session: change_visit(
            session, c.engine, viewer, plan_id, VisitInput(**typed(form, VisitInput)), current_user.timezone,
            _now()).id)
        if changed is not None:
            flash(_("Visit changed."))
            return redirect(url_for("visits.show", plan_id=plan_id))
    return _show(plan_id, form), 400


@bp.post("/visits/<int:plan_id>/cancel")
def cancel(plan_id: int) -> Response:
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    c = container()
    if save(form, lambda session: cancel_visit(session, c.engine, current_user.viewer, plan_id, _now()).id):
        flash(_("Visit cancelled: no reminder and no log task for it."))
    for message in form.form_errors:
        flash(message, "error")
    return redirect(url_for("visits.show", plan_id=plan_id))


def _show(plan_id: int, form: VisitForm | None = None) -> str:
    """The plan's page; its form holds the plan as it is unless a refused ``form`` is given back."""
    with container().session_factory() as session:
        plan = get_visit(session, current_user.viewer, plan_id)
        task = log_task(session, plan)
        activity = session.get(Activity, plan.activity_id) if plan.activity_id else None
        owner_name = display_names(session, [plan.owner]).get(plan.owner, plan.owner)
    return render_template("visits/show.html", plan=plan, form=_edit_form(plan) if form is None else form,
                           task=task, activity=activity, owner_name=owner_name,
                           mine=plan.owner == current_user.viewer.username)


def _edit_form(plan: VisitPlan) -> VisitForm:
    zone = ZoneInfo(current_user.timezone)
    minutes = int((plan.ends_at - plan.starts_at).total_seconds() // 60)
    return VisitForm(kind=plan.kind, starts_at=plan.starts_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
                     duration=str(minutes), location=plan.location, purpose=plan.purpose,
                     remind_minutes=str(plan.remind_minutes))


def _tomorrow_at_ten() -> str:
    today = _now().astimezone(ZoneInfo(current_user.timezone)).date()
    return datetime.combine(today + timedelta(days=1), time(10)).strftime("%Y-%m-%dT%H:%M")


# --- work plans -----------------------------------------------------------------------------


@bp.get("/work-plans")
def work_plans() -> str:
    viewer: Viewer = current_user.viewer
    person, page = request.args.get("person", ""), max(1, request.args.get("page", 1, type=int))
    with container().session_factory() as session:
        rows, total = work_plans_of(session, viewer, _now(), person, page, PER_PAGE)
        people = people_choices(session, viewer)
        names = display_names(session, {row.plan.owner for row in rows})
    return render_template("visits/work_plans.html", rows=rows, total=total, page=page, person=person,
                           people=people, names=names, pages=ceil(total / PER_PAGE), query={"person": person})


@bp.route("/work-plans/new", methods=["GET", "POST"])
def new_work_plan() -> Any:
    today = _now().astimezone(ZoneInfo(current_user.timezone)).date()
    form = WorkPlanForm(period="week", day=today.isoformat())
    if form.validate_on_submit():
        created = save(form, lambda session: create_work_plan(
            session, current_user.viewer, WorkPlanInput(**typed(form, WorkPlanInput)), current_user.timezone,
            _now()).id)
        if created is not None:
            flash(_("Work plan saved."))
            return redirect(url_for("visits.work_plan", plan_id=created))
    return render_template("visits/work_plan_form.html", form=form), 400 if form.is_submitted() else 200


@bp.route("/work-plans/<int:plan_id>", methods=["GET", "POST"])
def work_plan(plan_id: int) -> Any:
    viewer: Viewer = current_user.viewer
    with container().session_factory() as session:
        plan = get_work_plan(session, viewer, plan_id)
    form = WorkPlanForm(obj=plan)
    if form.validate_on_submit():
        saved = save(form, lambda session: change_work_plan(
            session, viewer, plan_id, str(form.goal.data or ""), str(form.note.data or ""), _now()).id)
        if saved is not None:
            flash(_("Work plan saved."))
            return redirect(url_for("visits.work_plan", plan_id=plan_id))
    with container().session_factory() as session:
        visits = visits_in(session, plan)
        progress = progress_of(session, [plan], _now()).get(plan.id, Progress())
        owner_name = display_names(session, [plan.owner]).get(plan.owner, plan.owner)
    last_day = following(plan.period, plan.starts_on) - timedelta(days=1)
    return render_template("visits/work_plan.html", plan=plan, form=form, visits=visits, progress=progress,
                           owner_name=owner_name, last_day=last_day, mine=plan.owner == viewer.username), \
        400 if form.is_submitted() else 200


# --- helpers --------------------------------------------------------------------------------


def _now() -> datetime:
    return container().engine.clock.now()
