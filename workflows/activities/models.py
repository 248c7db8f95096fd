"""Activities: calls, visits, meetings, emails, text messages and notes logged against a
lead, account, contact or opportunity; company history, not a rep's private diary."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

KINDS = ("call", "visit", "meeting", "email", "sms", "note")
CONTACT_KINDS = ("call", "visit", "meeting")  # a real contact: resets a lead's follow-up clock
SUBJECTS = ("lead", "account", "contact", "opportunity")


class Activity(Base):
    __tablename__ = "activity"
    __table_args__ = (Index("ix_activity_subject", "subject_type", "subject_id", "happened_at"),
                      Index("ix_activity_owner_happened", "owner", "happened_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer)
    owner: Mapped[str] = mapped_column(String(100))  # who logged it: whose visit statistics it counts in
    happened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(Text, default="")
    next_step: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
