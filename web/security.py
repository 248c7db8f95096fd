"""CSRF protection on every form and the security headers every response carries."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response

csrf = CSRFProtect()

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
}


FRAMEABLE = "frame-ancestors *"


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.after_request(_add_headers)


def allow_framing(response: Response, *form_targets: str) -> Response:
    """For a page other sites embed (the public web-to-lead form): any site may frame it,
    and its form may post here and follow the redirect to ``form_targets`` (the thank-you
    page's origin). Scripts stay forbidden."""
    policy = HEADERS["Content-Security-Policy"].replace("frame-ancestors 'none'", FRAMEABLE)
    response.headers["Content-Security-Policy"] = policy.replace(
        "form-action 'self'", " ".join(("form-action 'self'", *form_targets)))
    return response


def _add_headers(response: Response) -> Response:
    framable = FRAMEABLE in response.headers.get("Content-Security-Policy", "")
    for name, value in HEADERS.items():
        if not (framable and name == "X-Frame-Options"):
            response.headers.setdefault(name, value)
    return response
