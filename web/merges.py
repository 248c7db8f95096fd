"""Merging duplicates: finding them from a record's page or picking them on a list, the
side-by-side page where a value is picked per field, the result with its undo, and the
history of merges.

The use cases apply the rules (visibility, one kind, two or three records); a record out
of sight answers 404, a bad pick is said beside its row, and a refused undo in a flash on
the merge's page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from math import ceil
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, RadioField

from core.errors import Conflict, InvalidInput
from workflows.merge.kinds import KINDS
from workflows.merge.service import (
    MergeInput,
    MergePreview,
    get_merge,
    list_merges,
    merge_candidates,
    merge_preview,
    merge_records,
    moved,
    selection,
)
from workflows.merge.undo import undo_merge
from workflows.org.visibility import Viewer

from .accounts import CATEGORY_LABELS, TYPE_LABELS
from .choices import choices
from .context import container
from .forms import save
from .i18n import message_of
from .leads import LEAD_STATUS_LABELS, RATING_LABELS, SOURCE_LABELS

bp = Blueprint("merges", __name__)
PER_PAGE = 25
KIND_LABELS = {"account": _l("Accounts"), "contact": _l("Contacts"), "lead": _l("Leads")}
HEADINGS = {"account": _l("Merge accounts"), "contact": _l("Merge contacts"), "lead": _l("Merge leads")}
LISTS = {"account": "accounts.index", "contact": "accounts.index", "lead": "leads.index"}
FIELD_LABELS = {
    "name": _l("Name"), "company": _l("Company"), "title": _l("Job title"), "phone": _l("Phone"),
    "email": _l("Email"), "address": _l("Address"), "region": _l("Region"), "industry": _l("Industry"),
    "size": _l("Company size"), "source": _l("Source"), "rating": _l("Rating"), "note": _l("Note"),
    "owner": _l("Owner"), "parent_id": _l("Parent account"), "category": _l("Category"),
    "account_type": _l("Account type"), "credit_rating": _l("Credit rating"), "account_id": _l("Account"),
    "birthday": _l("Birthday"),
}
# What moved, by table; a table another feature adds shows by its own name until it is named here.
TABLE_LABELS = {
    "account": _l("Subsidiaries"), "contact": _l("Contacts"), "opportunity": _l("Opportunities"),
    "contract": _l("Contracts"), "activity": _l("Activities"), "lead": _l("Converted leads"),
    "lead_pool_claim": _l("Pool claims"), "lead_import_row": _l("Import rows"),
    "process_instance": _l("Running processes"), "human_task": _l("Open tasks"),
    "visit_plan": _l("Planned visits"), "message_send_recipient": _l("Messages sent"),
}


class MergeForm(FlaskForm):  # type: ignore[misc]
    """The master record and, added per kind, one radio group per field (named by the field)."""

    records = HiddenField()  # where a problem with the selection itself is shown
    master = RadioField(_l("Master record"), validate_choice=False,
                        description=_l("It keeps its number; the others are merged into it."))


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"kind_labels": KIND_LABELS, "table_labels": TABLE_LABELS}


@bp.get("/merges")
def index() -> str:
    """The merges of one kind: an admin's list holds everyone's, anyone else's their own."""
    viewer: Viewer = current_user.viewer
    kind = request.args.get("kind", "account")
    kind = kind if kind in KINDS else "account"
    page = max(1, request.args.get("page", 1, type=int))
    with container().session_factory() as session:
        merges, total = list_merges(session, viewer, kind, page, PER_PAGE)
    return render_template("merges/index.html", merges=merges, total=total, kind=kind, page=page,
                           pages=ceil(total / PER_PAGE), query={"kind": kind})


@bp.get("/merges/<any(account, contact, lead):kind>/<int:record_id>/duplicates")
def duplicates(kind: str, record_id: int) -> str:
    """What the duplicate rules match, and what a search by name finds, to pick from."""
    search = request.args.get("q", "").strip()
    with container().session_factory() as session:
        found = merge_candidates(session, current_user.viewer, kind, record_id, search)
    return render_template("merges/duplicates.html", found=found, kind=kind, search=search)


@bp.post("/merges/<any(account, contact, lead):kind>/select")
def select(kind: str) -> Response:
    """The records ticked on a list, to compare; a wrong selection is said back on the list."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    records = [f"{kind}:{raw}" for raw in request.form.getlist(f"{kind}_ids")]
    try:
        selection(records)
    except InvalidInput as exc:
        flash(message_of(exc), "error")
        back = request.referrer or ""
        return redirect(back if back.startswith(request.host_url) else url_for(LISTS[kind]))
    return redirect(url_for("merges.compare", records=records))


@bp.route("/merges/new", methods=["GET", "POST"])
def compare() -> Any:
    """The records side by side, a value picked per field; submitting merges them."""
    viewer: Viewer = current_user.viewer
    records = request.values.getlist("records")
    with container().session_factory() as session:
        preview = merge_preview(session, viewer, records, request.values.get("master", ""))
    form = _form(preview)
    if form.validate_on_submit():
        engine = container().engine
        data = MergeInput(records, form.master.data or "",
                          {name: str(form[name].data or "") for name in preview.fields})
        done = save(form, lambda session: merge_records(session, engine, viewer, data, _now()).id)
        if done is not None:
            flash(_("Merged: the other records are now part of this one."))
            return redirect(url_for("merges.show", merge_id=done))
    return render_template("merges/compare.html", form=form, preview=preview, records=records,
                           heading=HEADINGS[preview.kind], shown=_shown(preview)), \
        400 if form.is_submitted() else 200


@bp.get("/merges/<int:merge_id>")
def show(merge_id: int) -> str:
    """What a merge did, with its undo."""
    with container().session_factory() as session:
        merge = get_merge(session, current_user.viewer, merge_id)
        counts = moved(merge)
    return render_template("merges/show.html", merge=merge, counts=counts)


@bp.post("/merges/<int:merge_id>/undo")
def undo(merge_id: int) -> Response:
    if not FlaskForm().validate_on_submit():
        abort(400)
    with container().uow() as uow:
        try:
            undo_merge(uow.session, current_user.viewer, merge_id, _now())
            uow.commit()
            flash(_("The merge is undone: the records are back as they were."))
        except Conflict as exc:
            flash(message_of(exc), "error")
    return redirect(url_for("merges.show", merge_id=merge_id))


def _form(preview: MergePreview) -> MergeForm:
    """The form for this kind's fields, each radio set to its default pick."""
    options = choices((str(record.id), f"#{record.id}") for record in preview.records)
    radios = {name: RadioField(FIELD_LABELS.get(name, name), validate_choice=False, choices=options)
              for name in preview.fields}
    kind_form = type("KindMergeForm", (MergeForm,), radios)
    picks = {name: str(pick) for name, pick in preview.picks.items()}
    form: MergeForm = kind_form(data={"master": str(preview.master_id), **picks})
    form.master.choices = options
    return form


def _shown(preview: MergePreview) -> dict[str, dict[int, str]]:
    """Each field's value per record as the page shows it: labels for codes, names for ids."""
    return {name: {record.id: _show(preview, name, record) for record in preview.records}
            for name in preview.fields}


def _show(preview: MergePreview, name: str, record: Any) -> str:
    value = getattr(record, name)
    if name in SHOW:
        return SHOW[name](preview, record, value)
    return "—" if value is None or value == "" else str(value)


def _account(preview: MergePreview, record: Any, value: int | None) -> str:
    if value is None:
        return "—"
    return preview.account_names.get(value) or _("An account you cannot see")


def _labelled(labels: dict[str, Any]) -> Callable[[MergePreview, Any, Any], str]:
    return lambda preview, record, value: str(labels.get(value, value or "—"))


def _owner(preview: MergePreview, record: Any, value: str | None) -> str:
    """Who has the record, or the pool it waits in (a lead or an account); a lead's status goes
    with it: all are shown."""
    holder = value or preview.pool_names.get(getattr(record, "pool_id", None)) or _("Nobody")
    return f"{holder} · {LEAD_STATUS_LABELS[record.status]}" if preview.kind == "lead" else str(holder)


SHOW: dict[str, Callable[[MergePreview, Any, Any], str]] = {
    "parent_id": _account, "account_id": _account, "owner": _owner,
    "category": _labelled(CATEGORY_LABELS), "account_type": _labelled(TYPE_LABELS),
    "source": _labelled(SOURCE_LABELS), "rating": _labelled(RATING_LABELS),
    "birthday": lambda preview, record, value: format_date(value, "medium") if value else "—",
}


def _now() -> datetime:
    return container().engine.clock.now()
