"""Starting a process instance over the API; who may is ``workflows.starting``'s rule."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from core.errors import InvalidInput
from workflows.starting import start_process

from ..context import container
from . import bp
from .auth import authenticated
from .payloads import instance_json, json_body

START_FIELDS = ("business_key", "variables")


@bp.post("/processes/<key>/instances")
def start(key: str) -> tuple[dict[str, Any], int]:
    """Start the latest version of ``key``; answers the instance with the tasks it opened."""
    with authenticated() as (uow, viewer):
        business_key, variables = _start_request(json_body())
        instance = start_process(uow.session, container().engine, viewer, key, business_key, variables)
        body = instance_json(uow.session, viewer, instance)
        uow.commit()
    return body, 201


def _start_request(body: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    business_key, variables = body.get("business_key"), body.get("variables", {})
    problems = [_("%(name)s: is not a field of this request", name=name)
                for name in body if name not in START_FIELDS]
    if business_key is not None and not isinstance(business_key, str):
        problems.append(_("business_key: must be text"))
    if not isinstance(variables, dict):
        problems.append(_("variables: must be an object of names and values"))
    if problems:
        raise InvalidInput(_("The request is not valid."), problems)
    return business_key, variables
