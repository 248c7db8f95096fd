"""The process catalogue: deployed keys, their versions and instance counts."""

from __future__ import annotations

from flask import Blueprint, render_template

from engine import catalogue

from .context import container

bp = Blueprint("processes", __name__)


@bp.get("/")
def index() -> str:
    with container().session_factory() as session:
        entries = catalogue(session)
    return render_template("processes.html", entries=entries)


@bp.get("/healthz")
def health() -> dict[str, str]:
    return {"status": "ok"}
