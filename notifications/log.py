"""What admins see of delivery: the delivery log, a failed delivery sent again, the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.errors import NotFound, reject_fields
from core.phrases import Phrase

from .dispatch import remember
from .models import STATUSES, Delivery, OutboxEmail
from .paging import PER_PAGE, Page, page_of


def delivery_log(session: Session, page: int = 1, status: str | None = None,
                 per_page: int = PER_PAGE) -> Page[Delivery]:
    """Deliveries newest first, optionally of one status, each with its notification."""
    stmt = select(Delivery)
    if status:
        if status not in STATUSES:
            reject_fields({"status": Phrase("must be one of %(choices)s", choices=", ".join(STATUSES))})
        stmt = stmt.where(Delivery.status == status)
    return page_of(session, stmt.order_by(Delivery.queued_at.desc(), Delivery.id.desc()), page, per_page)


def retry_delivery(session: Session, delivery_id: int, now: datetime) -> bool:
    """Queue a failed delivery again with a fresh set of attempts (say, once the mail server
    is fixed); it goes out after the caller commits. False when it was not failed."""
    if session.get(Delivery, delivery_id) is None:
        raise NotFound(Phrase("This delivery does not exist"))
    result = session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.status == "failed")
                             .values(status="queued", attempts=0, next_attempt_at=now))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    remember(session, [delivery_id])
    return True


def outbox(session: Session, page: int = 1, per_page: int = PER_PAGE) -> Page[OutboxEmail]:
    """Emails kept instead of sent, newest first."""
    return page_of(session, select(OutboxEmail).order_by(OutboxEmail.id.desc()), page, per_page)


def outbox_email(session: Session, email_id: int) -> OutboxEmail:
    email = session.get(OutboxEmail, email_id)
    if email is None:
        raise NotFound(Phrase("This email does not exist"))
    return email
