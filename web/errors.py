"""Map domain and engine errors to friendly pages; never show a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from core.errors import Conflict, DealflowError, InvalidInput, NotFound, PermissionDenied

log = logging.getLogger(__name__)
_STATUS = ((NotFound, 404), (PermissionDenied, 403), (Conflict, 409), (InvalidInput, 400))


def init_app(app: Flask) -> None:
    app.register_error_handler(DealflowError, _domain_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _domain_error(exc: DealflowError) -> tuple[str, int]:
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)
    return render_template("error.html", status=status, message=str(exc)), status


def _http_error(exc: HTTPException) -> tuple[str, int]:
    status = exc.code or 500
    return render_template("error.html", status=status, message=exc.description), status


def _unexpected(exc: Exception) -> tuple[str, int]:
    log.exception("unhandled error")
    return render_template("error.html", status=500, message="Something went wrong on our side."), 500
