"""The audit log: who did which administrative act, when, with what effect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, UTCDateTime


class AuditEvent(Base):
    """One administrative act (a handover, a merge or its undo) as it happened; never edited."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_subject", "subject", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(200))  # e.g. "user:12", "account:7"
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


def record(session: Session, actor: str, action: str, subject: str, details: dict[str, Any],
           at: datetime) -> AuditEvent:
    """Add an audit entry in the caller's transaction: it exists exactly when the act does."""
    event = AuditEvent(actor=actor, action=action, subject=subject, details=details, at=at)
    session.add(event)
    return event
