"""Compare two deployed versions of a process: both diagrams, marked, and the changes in words.

``/processes/<key>/diff?old=<version>&new=<version>`` takes version numbers of ``key``
(what the designer's version list shows); without them, the latest version is compared
with the one before it. Only process designers and admins get in: everyone else is
refused with 403 before any lookup. Both diagrams travel inside the page (as JSON, so
nothing in a diagram can end the script element holding it), and ``assets/diff.js``
draws them and marks the elements each change names.
"""

from __future__ import annotations

import json

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound, PermissionDenied
from engine import ProcessDefinition
from engine.diffing import Change, diff_definitions, process_source
from engine.drafts import require_version

from .context import container

bp = Blueprint("process_diff", __name__)
# The picker offers this many of the latest versions (and always the two being compared).
MAX_CHOICES = 200


@bp.before_request
def _designers_only() -> None:
    if not current_user.viewer.is_designer:
        raise PermissionDenied(_("Only process designers and administrators may compare process versions."))


@bp.get("/processes/<key>/diff")
def compare(key: str) -> str:
    with container().session_factory() as session:
        choices = _versions(session, key)
        if not choices:
            raise NotFound(_("No process %(key)s is deployed.", key=key))
        new = _pick(session, key, request.args.get("new", type=int), choices[0])
        default_old = next((v for v in choices if v.version < new.version), new)
        old = _pick(session, key, request.args.get("old", type=int), default_old)
        changes = diff_definitions(old, new) if old.id != new.id else []
        old_xml, new_xml = process_source(old.sources, key), process_source(new.sources, key)
    return render_template(
        "processes/diff.html", key=key, old=old, new=new, changes=changes,
        choices=_with(choices, old, new), old_xml=old_xml, new_xml=new_xml,
        marks=json.dumps(_marks(changes)),
    )


def _versions(session: Session, key: str) -> list[ProcessDefinition]:
    """The latest versions, newest first, without their files."""
    return list(session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc()).limit(MAX_CHOICES)))


def _pick(session: Session, key: str, version: int | None, default: ProcessDefinition) -> ProcessDefinition:
    if version is None or version == default.version:
        return default
    return require_version(session, key, version)


def _with(choices: list[ProcessDefinition], *chosen: ProcessDefinition) -> list[ProcessDefinition]:
    missing = [c for c in chosen if all(c.id != d.id for d in choices)]
    return sorted([*choices, *dict((c.id, c) for c in missing).values()], key=lambda d: -d.version)


def _marks(changes: list[Change]) -> dict[str, list[str]]:
    """Element ids per marker: added on the new diagram, removed on the old, changed on both."""
    return {status: [c.element_id for c in changes if c.status == status]
            for status in ("added", "removed", "changed")}
