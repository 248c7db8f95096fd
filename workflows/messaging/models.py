"""Message templates and the sends made from them.

A send copies its template's channel, subject and body when it is made, so what goes out
is what the sender previewed even if the template is edited meanwhile. Each recipient is
one row whose ``outcome`` moves from none to ``sending`` (committed before anything is
sent) to its result; ``(send_id, subject_type, subject_id)`` is unique, so a send reaches
a record at most once however often its job runs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

CHANNELS = ("email", "sms")
RECORD_KINDS = ("lead", "contact")
# What became of one recipient; "sending" is the claim made before the message goes out.
OUTCOMES = ("sent", "opted_out", "no_address", "failed")


class MessageTemplate(Base):
    """An email or text with placeholders; ``shared`` ones everybody may use, admins edit."""

    __tablename__ = "message_template"
    __table_args__ = (Index("ix_message_template_author", "author", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(300), default="")  # email only
    body: Mapped[str] = mapped_column(Text)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MessageSend(Base):
    """One send to one or many records, run in the background, with its progress counters."""

    __tablename__ = "message_send"
    __table_args__ = (Index("ix_message_send_creator", "created_by", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("message_template.id", ondelete="SET NULL"))
    template_name: Mapped[str] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    bulk: Mapped[bool] = mapped_column(Boolean, default=True)  # bulk email carries an unsubscribe link
    created_by: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    opted_out: Mapped[int] = mapped_column(Integer, default=0)
    no_address: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())  # also the running job's heartbeat
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SendRecipient(Base):
    """One record a send goes to, and once tried, what became of it and why."""

    __tablename__ = "message_send_recipient"
    __table_args__ = (UniqueConstraint("send_id", "subject_type", "subject_id"),
                      Index("ix_message_send_recipient_order", "send_id", "number"),
                      Index("ix_message_send_recipient_outcome", "send_id", "outcome"),
                      Index("ix_message_send_recipient_subject", "subject_type", "subject_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    send_id: Mapped[int] = mapped_column(ForeignKey("message_send.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # the order the sender chose them in
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    outcome: Mapped[str | None] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text, default="")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
