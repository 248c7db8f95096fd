"""Map domain and engine errors to friendly pages, or JSON for the API; never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from werkzeug.exceptions import HTTPException

from core.errors import Conflict, DealflowError, InvalidInput, NotFound, PermissionDenied
from engine import FormInvalid

from .i18n import message_of, translated

log = logging.getLogger(__name__)
_STATUS = ((NotFound, 404), (PermissionDenied, 403), (Conflict, 409), (InvalidInput, 400))
_TITLES = {
    400: lazy_gettext("That did not work"),
    403: lazy_gettext("Not allowed"),
    404: lazy_gettext("Page not found"),
    405: lazy_gettext("Not allowed"),
    409: lazy_gettext("Someone else changed this first"),
    413: lazy_gettext("The upload is too large"),
    500: lazy_gettext("Something went wrong"),
}
_MESSAGES = {
    404: lazy_gettext("There is nothing here, or you may not see it."),
    403: lazy_gettext("You may not do this."),
    413: lazy_gettext("The upload is larger than allowed."),
}


def _title(status: int) -> str:
    return str(_TITLES.get(status, _TITLES[400] if status < 500 else _TITLES[500]))


def _page(status: int, message: str) -> tuple[str, int]:
    return render_template("error.html", status=status, title=_title(status), message=message), status


def is_api_request() -> bool:
    """API clients read JSON: they never get an HTML page or a login redirect."""
    return request.path.startswith("/api/")


def api_error(status: int, message: str, problems: list[str] | None = None,
              fields: dict[str, str] | None = None) -> Response:
    """The API's error body: what went wrong, one line per problem, and the bad form fields."""
    body: dict[str, object] = {"error": message, "problems": problems or []}
    if fields:
        body["fields"] = fields
    response = jsonify(body)
    response.status_code = status
    return response


def _answer(status: int, message: str, exc: Exception | None = None) -> tuple[str, int] | Response:
    if not is_api_request():
        return _page(status, message)
    if isinstance(exc, FormInvalid):
        fields = {name: translated(problem) for name, problem in exc.field_errors.items()}
        return api_error(status, message, [f"{name}: {problem}" for name, problem in fields.items()], fields)
    problems = [translated(p) for p in exc.problems] if isinstance(exc, InvalidInput) else []
    return api_error(status, message, problems)


def init_app(app: Flask) -> None:
    app.register_error_handler(DealflowError, _domain_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _domain_error(exc: DealflowError) -> tuple[str, int] | Response:
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)
    return _answer(status, message_of(exc), exc)


def _http_error(exc: HTTPException) -> tuple[str, int] | Response:
    status = exc.code or 500
    if is_api_request():  # the page's description would be Werkzeug's English
        return api_error(status, str(_MESSAGES.get(status, _title(status))))
    return _page(status, str(_MESSAGES.get(status, exc.description or "")))


def _unexpected(exc: Exception) -> tuple[str, int] | Response:
    log.exception("unhandled error")
    return _answer(500, _("Something went wrong on our side. It has been logged."))
