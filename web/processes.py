"""The process catalogue: deployed keys, their versions and instance counts."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from engine import catalogue

from .context import container

bp = Blueprint("processes", __name__)


@bp.get("/")
def home() -> Response:
    """Everyone starts at their tasks: that is where the processes hand them work."""
    return redirect(url_for("inbox.index"))


@bp.get("/processes")
def index() -> str:
    with container().session_factory() as session:
        entries = catalogue(session)
    can_design = current_user.viewer.is_designer
    return render_template("processes.html", entries=entries, can_design=can_design)


@bp.get("/healthz")
def health() -> dict[str, str]:
    return {"status": "ok"}
