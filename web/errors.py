"""Map domain and engine errors to friendly pages; never show a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from werkzeug.exceptions import HTTPException

from core.errors import Conflict, DealflowError, InvalidInput, NotFound, PermissionDenied

from .i18n import message_of

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


def _page(status: int, message: str) -> tuple[str, int]:
    title = _TITLES.get(status, _TITLES[400] if status < 500 else _TITLES[500])
    return render_template("error.html", status=status, title=title, message=message), status


def init_app(app: Flask) -> None:
    app.register_error_handler(DealflowError, _domain_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _domain_error(exc: DealflowError) -> tuple[str, int]:
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)
    return _page(status, message_of(exc))


def _http_error(exc: HTTPException) -> tuple[str, int]:
    status = exc.code or 500
    return _page(status, str(_MESSAGES.get(status, exc.description or "")))


def _unexpected(exc: Exception) -> tuple[str, int]:
    log.exception("unhandled error")
    return _page(500, _("Something went wrong on our side. It has been logged."))
