"""Bearer-token authentication for every API call; the session cookie is never consulted.

Each call is one unit of work: the token is checked inside the same transaction as the
work it authorises, which saves a connection checkout and a transaction per call.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from core.uow import UnitOfWork
from workflows.org.tokens import authenticate_token
from workflows.org.visibility import Viewer

from ..context import container
from ..errors import api_error
from . import bp


class Unauthenticated(Exception):
    """No token, or one that no longer works: the answer is 401, whatever was asked."""


@contextmanager
def authenticated() -> Iterator[tuple[UnitOfWork, Viewer]]:
    """The call's unit of work and the viewer behind its token; the view commits."""
    scheme, _space, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated
    c = container()
    with c.uow() as uow:
        viewer = authenticate_token(uow.session, secret.strip(), c.engine.clock.now())
        if viewer is None:
            raise Unauthenticated
        yield uow, viewer


@bp.errorhandler(Unauthenticated)
def unauthenticated(_error: Unauthenticated) -> Response:
    response = api_error(401, _("Send a valid API token as \"Authorization: Bearer <token>\"."))
    response.headers["WWW-Authenticate"] = 'Bearer realm="dealflow"'
    return response
