"""The process designer: BPMN and DMN edited in the browser, drafts, check, deploy with a note.

Only process designers and admins get in; everyone else is refused with 403 before any
lookup. The editor's script (``assets/modeler.js``) posts the files it holds as JSON, with
the CSRF token in a header, and gets JSON back: each problem carries its file and element,
so the page can pin it on the diagram. Every deploy re-runs the check, is one unit of work
with its audit entry, and ends the draft.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import wraps
from math import ceil
from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import IntegrityError
from werkzeug.utils import secure_filename
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

import bootstrap
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine import Problem, ProcessDefinition
from engine.deployment import latest_definition
from engine.drafts import (
    DraftRejected,
    discard_draft,
    get_draft,
    list_designs,
    open_design,
    preview_form,
    require_version,
    restore_version,
    save_draft,
    start_from_template,
    start_from_upload,
    versions,
)
from workflows.instances.design import DesignRefused, deploy_design, design_problems

from .context import container
from .forms import save
from .i18n import message_of, translated

bp = Blueprint("designer", __name__)
PER_PAGE = 20
# The shipped diagram each kind of new process starts from, with the DMN tables of its folder.
TEMPLATES = {
    "pipeline": (_l("Sales pipeline (like Standard sale)"), "standard_sale.bpmn"),
    "approval": (_l("Approval (like Contract approval, with its margin table)"), "contract_approval.bpmn"),
    "cadence": (_l("Follow-up cadence (like Lead follow-up, with its frequency table)"),
                "lead_followup.bpmn"),
}


@bp.before_request
def _designers_only() -> None:
    if not current_user.viewer.is_designer:
        raise PermissionDenied(_("Only process designers and administrators may use the process designer."))


class NewProcessForm(FlaskForm):  # type: ignore[misc]
    template = SelectField(_l("Start from"),
                           choices=[SelectChoice(k, label) for k, (label, _file) in TEMPLATES.items()])
    key = StringField(_l("Process id"), validators=[DataRequired(), Length(max=100)], description=_l(
        "What business types and the API call the process by: letters, digits and underscores."))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])


@bp.get("/designer")
def index() -> str:
    with container().session_factory() as session:
        rows = list_designs(session)
    return render_template("designer/index.html", rows=rows, new_form=NewProcessForm(prefix="new"),
                           upload_form=FlaskForm(prefix="upload"), upload_errors=[])


@bp.post("/designer/new")
def new() -> Any:
    form = NewProcessForm(prefix="new")
    if form.validate_on_submit():
        files = _template_files(form.template.data)
        key = save(form, lambda session: start_from_template(
            session, files, form.key.data.strip(), form.name.data, _user(), _now()).key)
        if key is not None:
            flash(_("Process %(key)s is a draft now: nothing is deployed until you deploy it.", key=key))
            return redirect(url_for("designer.edit", key=key))
    return _index_again(new_form=form)


@bp.post("/designer/upload")
def upload() -> Any:
    """A .bpmn diagram (from any modeler) and the .dmn tables it calls become a draft; the
    editor then runs the check, so what the engine cannot execute is shown per element."""
    form = FlaskForm(prefix="upload")
    if not form.validate_on_submit():
        return _index_again(upload_errors=[_("The form expired; please try again.")])
    uploads = [f for f in request.files.getlist("files") if f.filename]
    if not uploads:
        return _index_again(upload_errors=[_("Choose a .bpmn file (and any .dmn files it calls).")])
    files: dict[str, bytes] = {}
    for upload_ in uploads:
        with upload_.stream:  # a large upload is spooled to a temporary file: close it now
            files[_upload_name(upload_.filename or "", files)] = upload_.read()
    try:
        with container().uow() as uow:
            key = start_from_upload(uow.session, files, _user(), _now()).key
            uow.commit()
    except DraftRejected as exc:
        return _index_again(upload_errors=[describe(p) for p in exc.details])
    flash(_("The upload is the draft of %(key)s now; the check below tells what the engine cannot run yet.",
            key=key))
    return redirect(url_for("designer.edit", key=key, check=1))


@bp.get("/designer/<key>")
def edit(key: str) -> str:
    with container().session_factory() as session:
        design = open_design(session, key)
        based_on = design.draft.based_on_id if design.draft else (design.latest.id if design.latest else None)
        data = {"key": key, "diagram": design.diagram, "files": dict(design.sources),
                "revision": design.draft.revision if design.draft else None, "based_on": based_on,
                "check_now": request.args.get("check") == "1"}
        kept = [name for name in sorted(design.sources) if name.endswith(".bpmn") and name != design.diagram]
        return render_template("designer/edit.html", design=design, data=data, kept=kept)


def json_endpoint(view: Callable[..., Any]) -> Callable[..., Any]:
    """The editor's script reads every refusal as JSON, with its problems pinned to elements."""

    @wraps(view)
    def answer(**kwargs: Any) -> Any:
        try:
            return view(**kwargs)
        except (InvalidInput, Conflict) as exc:
            return _refused(exc)

    return answer


@bp.post("/designer/<key>/draft")
@json_endpoint
def save_draft_json(key: str) -> Response:
    payload = _payload()
    files = _files(payload)
    revision, based_on = _optional_int(payload.get("revision")), _optional_int(payload.get("based_on"))
    with container().uow() as uow:
        draft = save_draft(uow.session, key, files, _user(), _now(), revision, based_on)
        uow.commit()
        revision = draft.revision
    return jsonify(revision=revision, message=_("Draft saved. Nothing is deployed until you deploy it."))


@bp.post("/designer/<key>/check")
@json_endpoint
def check(key: str) -> Response:
    problems = _problems(key, _files(_payload()))
    errors = sum(p.blocking for p in problems)
    message = (_("No problems found.") if not problems else
               ngettext("Ready to deploy, with %(num)d warning.", "Ready to deploy, with %(num)d warnings.",
                        len(problems)) if not errors else
               _("Not ready to deploy. Errors: %(errors)s; warnings: %(warnings)s.", errors=errors,
                 warnings=len(problems) - errors))
    return jsonify(problems=[_problem_json(p) for p in problems], errors=errors, message=message)


@bp.post("/designer/<key>/deploy")
@json_endpoint
def deploy(key: str) -> Response | tuple[Response, int]:
    payload = _payload()
    files = _files(payload)
    note = str(payload.get("note") or "").strip()
    try:
        definition, unchanged = _deploy(key, files, note, _optional_int(payload.get("revision")))
    except DesignRefused as exc:
        return jsonify(error=ngettext("Not deployed: the check found %(num)d error.",
                                      "Not deployed: the check found %(num)d errors.", exc.errors),
                       problems=[_problem_json(p) for p in exc.details]), 400
    message = (_("Nothing to deploy: the files are the same as version %(version)s. The draft is closed.",
                 version=definition.version) if unchanged else
               _("Version %(version)s of %(key)s is deployed; new instances start on it.",
                 version=definition.version, key=key))
    flash(message)
    return jsonify(message=message, version=definition.version, unchanged=unchanged,
                   location=url_for("designer.versions_page", key=key))


@bp.post("/designer/<key>/discard")
def discard(key: str) -> Response:
    with container().uow() as uow:
        discarded = discard_draft(uow.session, key)
        deployed = latest_definition(uow.session, key) is not None
        uow.commit()
    flash(_("The draft is discarded.") if discarded else _("There was no draft to discard."))
    return redirect(url_for("designer.edit", key=key) if deployed else url_for("designer.index"))


@bp.post("/designer/<key>/form-preview")
@json_endpoint
def form_preview(key: str) -> str:
    """The form of the selected user task as the person working the task will see it (HTML),
    with what the check says of the form's definition."""
    payload = _payload()
    source, filename, task_id = (str(payload.get(name) or "") for name in ("xml", "file", "task_id"))
    form, problems = preview_form(source, filename or f"{key}.bpmn", task_id)
    return render_template("designer/_form_preview.html", form=form, problems=problems, task_id=task_id)


@bp.get("/designer/csrf-token")  # a "-": no process id can take this path
def token() -> Response:
    """A fresh CSRF token, for an editor left open longer than a token lives."""
    return jsonify(token=generate_csrf())


@bp.get("/processes/<key>/versions")
def versions_page(key: str) -> str:
    page = max(1, request.args.get("page", 1, type=int))
    with container().session_factory() as session:
        rows, total = versions(session, key, page, PER_PAGE)
        draft = get_draft(session, key)
        if not rows and draft is None:
            raise NotFound(_("No process %(key)s is deployed or drafted.", key=key))
    return render_template("designer/versions.html", key=key, rows=rows, draft=draft, page=page,
                           pages=ceil(total / PER_PAGE), total=total)


@bp.get("/designer/<key>/versions/<int:version>")
def version_page(key: str, version: int) -> str:
    """One deployed version, read-only: its diagram, note and files."""
    with container().session_factory() as session:
        definition = require_version(session, key, version)
        files = sorted(definition.sources)
        has_draft = get_draft(session, key) is not None
        latest = latest_definition(session, key)
    return render_template("designer/version.html", definition=definition, files=files, has_draft=has_draft,
                           latest=latest)


@bp.get("/designer/<key>/versions/<int:version>/files/<name>")
def version_file(key: str, version: int, name: str) -> Response:
    with container().session_factory() as session:
        source = require_version(session, key, version).sources.get(name)
    if source is None:
        raise NotFound(_("This version has no file %(name)s.", name=name))
    return Response(source, mimetype="application/xml",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@bp.post("/designer/<key>/versions/<int:version>/restore")
def restore(key: str, version: int) -> Response:
    """An earlier version's files as the draft: deploying it rolls back as a new version."""
    with container().uow() as uow:
        restore_version(uow.session, key, version, _user(), _now())
        uow.commit()
    flash(_("Version %(version)s is the draft now; deploy it to make it the newest version.",
            version=version))
    return redirect(url_for("designer.edit", key=key))


# --- helpers ----------------------------------------------------------------------------


@bp.app_template_global()
def diff_url(key: str, old: int | None = None, new: int | None = None) -> str:
    """The comparison of two versions (``/processes/<key>/diff?old=&new=``, by version numbers)."""
    path = f"{request.script_root}/processes/{quote(key)}/diff"
    return f"{path}?{urlencode({'old': old, 'new': new})}" if old is not None and new is not None else path


def describe(problem: Problem) -> str:
    """A problem for a person: where (file, element) and what, in their language."""
    where = [problem.file] if problem.file else []
    if problem.element_id:
        where.append(_("element %(id)s (%(name)s)", id=problem.element_id, name=problem.element_name)
                     if problem.element_name else _("element %(id)s", id=problem.element_id))
    message = translated(problem.message)
    return _("%(where)s: %(message)s", where=", ".join(where), message=message) if where else message


def _problems(key: str, files: Mapping[str, str]) -> list[Problem]:
    return design_problems(container().engine, key, files)


def _deploy(key: str, files: Mapping[str, str], note: str,
            revision: int | None) -> tuple[ProcessDefinition, bool]:
    try:
        with container().uow() as uow:
            deployed = deploy_design(uow.session, container().engine, current_user.viewer, key, files, note,
                                     revision, _now())
            uow.commit()
            return deployed
    except IntegrityError as exc:
        raise Conflict(_("Someone deployed %(key)s at the same moment; see its versions and try again.",
                         key=key)) from exc


def _upload_name(original: str, taken: Mapping[str, bytes]) -> str:
    """A safe name keeping the file's extension: ``secure_filename`` drops a Chinese name whole."""
    stem, dot, suffix = original.rpartition(".")
    if not dot:
        return secure_filename(original) or "unnamed"
    base, suffix = secure_filename(stem) or "diagram", suffix.lower()
    name, number = f"{base}.{suffix}", 1
    while name in taken:
        number += 1
        name = f"{base}-{number}.{suffix}"
    return name


def _template_files(template: str) -> dict[str, bytes]:
    diagram = TEMPLATES[template][1]
    return next(files for files in bootstrap.shipped_bundles() if diagram in files)


def _index_again(new_form: FlaskForm | None = None,
                 upload_errors: list[str] | None = None) -> tuple[str, int]:
    """The list again with the refused form's problems (400)."""
    with container().session_factory() as session:
        rows = list_designs(session)
    return render_template("designer/index.html", rows=rows, upload_form=FlaskForm(prefix="upload"),
                           new_form=new_form or NewProcessForm(prefix="new"),
                           upload_errors=upload_errors or []), 400


def _payload() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(_("The request was not understood; reload the designer."))
    return body


def _files(payload: Mapping[str, Any]) -> dict[str, str]:
    files = payload.get("files")
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise InvalidInput(_("The request was not understood; reload the designer."))
    return {str(name): text for name, text in files.items()}


def _optional_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _problem_json(problem: Problem) -> dict[str, Any]:
    return {"message": translated(problem.message), "element_id": problem.element_id,
            "element_name": problem.element_name, "file": problem.file, "severity": problem.severity,
            "text": describe(problem)}


def _refused(exc: InvalidInput | Conflict) -> tuple[Response, int]:
    details: list[Problem] = getattr(exc, "details", None) or []
    return jsonify(error=message_of(exc), problems=[_problem_json(p) for p in details]), \
        409 if isinstance(exc, Conflict) else 400


def _user() -> str:
    return str(current_user.viewer.username)


def _now() -> datetime:
    return container().engine.clock.now()
