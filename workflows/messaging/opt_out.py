"""Who does not want to be emailed or texted: the flags on the record, and the signed
unsubscribe link in every bulk email that sets them without a login.

The link names the record and carries an HMAC of it under the site's secret key, so it
cannot be forged for someone else and needs no table of its own. It never expires: an
unsubscribe link in an old email must still work. Unsubscribing stops email to that
address on every lead and contact that has it, since it is the person who asked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.phrases import Phrase
from workflows.accounts.contacts import get_contact
from workflows.accounts.models import Contact
from workflows.inputs import parse_id
from workflows.leads.models import Lead
from workflows.leads.service import get_lead
from workflows.org.visibility import Viewer

from .models import RECORD_KINDS

UNSUBSCRIBE_PATH = "/unsubscribe/"  # the public page's address, under the site's base URL


@dataclass(frozen=True)
class Unsubscribed:
    address: str  # shown half hidden, so a forwarded link does not reveal it in full


def set_opt_outs(session: Session, viewer: Viewer, kind: str, record_id: int, email: bool, sms: bool,
                 now: datetime) -> None:
    """Edit a record's flags, for someone who may see it."""
    record = get_lead(session, viewer, record_id) if kind == "lead" else \
        get_contact(session, viewer, record_id)
    record.email_opt_out, record.sms_opt_out, record.updated_at = email, sms, now
    session.flush()


def unsubscribe_url(base_url: str, secret: str, kind: str, record_id: int) -> str:
    return f"{base_url.rstrip('/')}{UNSUBSCRIBE_PATH}{token_for(secret, kind, record_id)}"


def token_for(secret: str, kind: str, record_id: int) -> str:
    return f"{kind}.{record_id}.{_signature(secret, kind, record_id)}"


def recipient_of(session: Session, secret: str, token: str) -> Unsubscribed:
    """Whose link this is; a forged, damaged or stale one "does not exist"."""
    record = _record(session, secret, token)
    return Unsubscribed(_masked(record.email))


def unsubscribe(session: Session, secret: str, token: str, now: datetime) -> Unsubscribed:
    """Stop bulk email to the link's record, and to every lead and contact with its address."""
    record = _record(session, secret, token)
    record.email_opt_out, record.updated_at = True, now
    if address := record.email.strip().lower():
        for model in (Lead, Contact):
            session.execute(update(model).where(func.lower(model.email) == address,
                                                model.email_opt_out.is_(False))
                            .values(email_opt_out=True, updated_at=now))
    session.flush()
    return Unsubscribed(_masked(record.email))


def _record(session: Session, secret: str, token: str) -> Lead | Contact:
    kind, _dot, rest = token.partition(".")
    raw_id, _dot, signature = rest.partition(".")
    record_id = parse_id(raw_id)
    record: Lead | Contact | None = None
    if kind in RECORD_KINDS and record_id is not None and \
            hmac.compare_digest(signature, _signature(secret, kind, record_id)):
        record = session.get(Lead, record_id) if kind == "lead" else session.get(Contact, record_id)
    if record is None:
        raise NotFound(Phrase("This unsubscribe link is not valid"))
    return record


def _signature(secret: str, kind: str, record_id: int) -> str:
    digest = hmac.new(secret.encode(), f"unsubscribe:{kind}:{record_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def _masked(address: str) -> str:
    """``z***@example.com``: enough for the person to recognise, not to read off."""
    name, at, domain = address.partition("@")
    return f"{name[:1]}***{at}{domain}" if at else ""
