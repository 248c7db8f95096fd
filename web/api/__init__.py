"""The JSON API under ``/api/v1``: tasks and starting processes, for scripts and other systems.

Every call carries ``Authorization: Bearer <token>`` (see ``auth.py``); the session cookie
is never consulted, so the API needs no CSRF token. The same visibility rules as the HTML
pages apply. Errors are JSON (``web/errors.py``). The OpenAPI document beside this file
describes every route; a test keeps the two in step.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import Blueprint, Flask, Response

from ..security import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
OPENAPI = Path(__file__).resolve().parent / "openapi.json"


def init_app(app: Flask) -> None:
    from . import auth, processes, tasks  # noqa: F401  (their routes and hooks join bp)

    csrf.exempt(bp)
    app.register_blueprint(bp)


@bp.get("/openapi.json")
def openapi() -> Response:
    """The API's description; public, so tools can read it before anyone has a token."""
    return Response(_document(), mimetype="application/json")


@cache
def _document() -> bytes:
    return OPENAPI.read_bytes()
