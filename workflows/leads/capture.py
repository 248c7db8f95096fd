"""Web-to-Lead: admins define public forms; a customer's website posts leads into them.

A submission only ever creates a lead in the form's pool with the form's source: the
sender chooses neither the owner, the pool, the rating nor the source, and fields the
form does not take are ignored. A submission a blocking duplicate rule catches is
answered like any other (so the form cannot be used to learn who is already a lead) and
stores nothing. Functions work in the caller's session and never commit.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import InvalidInput, NotFound, PermissionDenied, reject_fields
from core.phrases import Phrase
from engine import ProcessEngine
from workflows.dedupe import DuplicateBlocked
from workflows.inputs import Checker, parse_id
from workflows.org.visibility import Viewer

from .capture_models import WebForm
from .intake import receive_lead
from .models import SOURCES, Lead, Pool
from .service import FIELDS, LeadInput, checked

# What a public form may ask for; the form itself sets the source, and rating is the rep's call.
FORM_FIELDS = tuple(name for name in FIELDS if name not in ("source", "rating"))
REACH_FIELDS = ("phone", "email", "company")  # a lead needs one of these (see service.checked)
MAX_KEY_LENGTH = 64
_HOST = re.compile(r"[A-Za-z0-9.-]+(:\d{1,5})?")


@dataclass(frozen=True)
class WebFormInput:
    """The admin's form settings as typed; ``fields``/``required`` are lead field names."""

    name: str
    fields: tuple[str, ...]
    required: tuple[str, ...] = ()
    pool_id: str = ""
    source: str = "website"
    thank_you_url: str = ""
    active: bool = True


def save_web_form(session: Session, viewer: Viewer, data: WebFormInput, now: datetime,
                  form_id: int | None = None) -> WebForm:
    """Create a form (with a new public key) or change one; its key never changes."""
    _admin(viewer)
    values = _checked(session, data)
    if form_id is None:
        form = WebForm(public_key=secrets.token_urlsafe(24), created_by=viewer.username, created_at=now)
        session.add(form)
    else:
        form = get_web_form(session, viewer, form_id)
    for name, value in values.items():
        setattr(form, name, value)
    form.updated_at = now
    session.flush()
    return form


def list_web_forms(session: Session, viewer: Viewer) -> list[WebForm]:
    _admin(viewer)
    return list(session.scalars(select(WebForm).order_by(WebForm.name, WebForm.id)))


def get_web_form(session: Session, viewer: Viewer, form_id: int) -> WebForm:
    _admin(viewer)
    form = session.get(WebForm, form_id)
    if form is None:
        raise NotFound(Phrase("This form does not exist"))
    return form


def active_form(session: Session, key: str) -> WebForm:
    """The active form with this public key; an unknown or switched-off key "does not exist"."""
    form = None
    if 0 < len(key) <= MAX_KEY_LENGTH:
        form = session.scalars(select(WebForm).where(WebForm.public_key == key, WebForm.active)).first()
    if form is None:
        raise NotFound(Phrase("This form does not exist"))
    return form


def submit_web_lead(session: Session, engine: ProcessEngine, form: WebForm, raw: Mapping[str, str],
                    now: datetime) -> Lead | None:
    """Keep a posted lead in the form's pool, then let the assignment table place it; None
    when a blocking duplicate rule matched.

    Every problem (required fields left empty, lengths, a bad phone) is named at once."""
    typed = {name: str(raw.get(name, "") or "") for name in form.fields if name in FORM_FIELDS}
    data = LeadInput(**typed, source=form.source)
    problems: dict[str, str] = {name: Phrase("is required") for name in form.required
                                if not typed.get(name, "").strip()}
    try:
        checked(data)
    except InvalidInput as exc:
        problems = {**exc.fields, **problems}
    reject_fields(problems)
    try:
        return receive_lead(session, engine, data, form.pool_id, now)
    except DuplicateBlocked:
        return None


def _checked(session: Session, data: WebFormInput) -> dict[str, object]:
    check = Checker()
    name = check.text("name", data.name, 120, required=True)
    fields = [f for f in FORM_FIELDS if f in data.fields]
    if set(data.fields) - set(FORM_FIELDS):
        check.problem("fields", Phrase("is not one of the allowed values"))
    if "name" not in fields:
        check.problem("fields", Phrase("must include the name"))
    if not set(fields) & set(REACH_FIELDS):
        check.problem("fields", Phrase("must include a phone number, an email or a company"))
    if set(data.required) - set(fields):
        check.problem("required", Phrase("may only name fields the form takes"))
    required = [f for f in fields if f in data.required or f == "name"]
    pool_id = parse_id(data.pool_id)
    if pool_id is None or session.get(Pool, pool_id) is None:
        check.problem("pool_id", Phrase("is not one of the allowed values"))
    source = check.choice("source", data.source, SOURCES)
    url = check.text("thank_you_url", data.thank_you_url, 500)
    if url and not _web_address(url):
        check.problem("thank_you_url", Phrase("must be an http:// or https:// address"))
    check.done()
    return {"name": name, "fields": fields, "required": required, "pool_id": pool_id, "source": source,
            "thank_you_url": url, "active": bool(data.active)}


def _web_address(url: str) -> bool:
    """An absolute http(s) address whose host is plain (it is also written into a CSP header)."""
    if any(c.isspace() or ord(c) < 32 for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(_HOST.fullmatch(parts.netloc))


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a thank-you address, for the form page's CSP."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise PermissionDenied(Phrase("Only administrators may manage web forms"))
