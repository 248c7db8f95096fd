"""The public Web-to-Lead endpoint: ``POST /w2l/<key>`` from a customer's website, and
``GET /w2l/<key>``, a plain form to embed for customers without developers.

No login, and no CSRF token: the post comes cross-site from a page we do not serve, so
it cannot carry our token. That is safe because the endpoint uses no ambient authority:
it reads no session or cookie and acts for nobody, and all it can do (put a lead in the
form's pool) is what any visitor may do anyway. Abuse is held off instead by the
unguessable key, a body limit, a per-IP rate limit and a honeypot field bots fill in.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, make_response, redirect, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from core.errors import InvalidInput, NotFound
from workflows.leads.capture import active_form, origin_of, submit_web_lead
from workflows.leads.capture_models import WebForm
from workflows.leads.models import SIZES
from workflows.leads.throttle import Limiter, make_limiter

from .context import container
from .forms import field_messages
from .lead_forms import FIELD_LABELS
from .security import allow_framing, csrf

bp = Blueprint("web_to_lead", __name__)
MAX_BODY = 20 * 1024
HONEYPOT = "homepage"  # hidden from people; bots fill in anything that looks like a URL field
LIMIT_PER_MINUTE = 10
LIMITER = "dealflow.w2l_limiter"


def init_app(app: Flask) -> None:
    csrf.exempt(bp)
    settings = app.extensions["dealflow"].settings
    app.extensions.setdefault(LIMITER, make_limiter(settings.broker_url, LIMIT_PER_MINUTE))
    app.register_blueprint(bp)


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"field_labels": FIELD_LABELS, "sizes": SIZES, "honeypot": HONEYPOT}


@bp.get("/w2l/<key>")
def show(key: str) -> Any:
    form = _form(key)
    if form is None:
        return _not_found()
    return _page(form, {}, {}, 200)


@bp.post("/w2l/<key>")
def submit(key: str) -> Any:
    request.max_content_length = MAX_BODY
    if (request.content_length or 0) > MAX_BODY:
        return _too_large()
    form = _form(key)
    if form is None:
        return _not_found()
    wait = _limiter().hit(f"w2l:{form.id}:{request.remote_addr or '-'}", time.time())
    if wait is not None:
        return _too_many(wait)
    try:
        raw, problems = _payload()
    except RequestEntityTooLarge:
        return _too_large()
    if problems:
        return _rejected(form, raw, problems)
    if raw.get(HONEYPOT, "").strip():
        return _accepted(form)  # a bot: it learns nothing, we keep nothing
    try:
        with container().uow() as uow:
            submit_web_lead(uow.session, container().engine, form, raw, container().engine.clock.now())
            uow.commit()
    except InvalidInput as exc:
        return _rejected(form, raw, field_messages(exc))
    return _accepted(form)


def _form(key: str) -> WebForm | None:
    try:
        with container().session_factory() as session:
            return active_form(session, key)
    except NotFound:
        return None


def _payload() -> tuple[dict[str, str], dict[str, str]]:
    """The posted fields as text, and a message for each that is not text (JSON only)."""
    if not request.is_json:
        return {name: request.form.get(name, "") for name in request.form}, {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return {}, {"": _("The body must be a JSON object of field names and values.")}
    raw: dict[str, str] = {}
    problems: dict[str, str] = {}
    for name, value in body.items():
        if value is None or isinstance(value, str):
            raw[name] = value or ""
        elif isinstance(value, int | float) and not isinstance(value, bool):
            raw[name] = str(value)
        else:
            problems[name] = _("must be text")
    return raw, problems


def _accepted(form: WebForm) -> Any:
    if request.is_json:
        return jsonify({"status": "accepted"}), 201
    if form.thank_you_url:
        return redirect(form.thank_you_url, 303)
    return allow_framing(make_response(render_template("w2l_thanks.html", form=form)))


def _rejected(form: WebForm, raw: dict[str, str], problems: dict[str, str]) -> Any:
    if request.is_json:
        return jsonify({"error": _("Please correct the fields named."), "fields": problems}), 400
    return _page(form, raw, problems, 400)


def _page(form: WebForm, values: dict[str, str], errors: dict[str, str], status: int) -> Response:
    targets = (origin_of(form.thank_you_url),) if form.thank_you_url else ()
    page = render_template("w2l.html", form=form, values=values, errors=errors)
    return allow_framing(make_response(page, status), *targets)


def _not_found() -> Any:
    message = _("This form is not available.")
    if request.is_json:
        return jsonify({"error": message}), 404
    return render_template("w2l_message.html", message=message), 404


def _too_large() -> Any:
    message = _("The submission is too large (at most %(kb)d KB).", kb=MAX_BODY // 1024)
    if request.is_json:
        return jsonify({"error": message}), 413
    return render_template("w2l_message.html", message=message), 413


def _too_many(wait: int) -> Any:
    message = _("Too many submissions; please try again in %(seconds)d seconds.", seconds=wait)
    body = (jsonify({"error": message}) if request.is_json
            else render_template("w2l_message.html", message=message))
    return body, 429, {"Retry-After": str(wait)}


def _limiter() -> Limiter:
    limiter: Limiter = current_app.extensions[LIMITER]
    return limiter
