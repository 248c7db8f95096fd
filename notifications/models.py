"""Notification tables: what a person was told, how each channel's copy fared, their choices.

A ``notification`` row is the message itself, rendered once in the recipient's language;
the bell and the notifications page read it when ``in_app`` is set. Each other channel
the recipient wants gets one ``notification_delivery`` row, whose status moves
queued → sending → sent (or failed) under conditional updates, so a job that runs twice
sends once. Recipients are referred to by user id and the username is copied in, so
nothing here has to import the CRM's user model.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime

STATUSES = ("queued", "sending", "sent", "failed")


class Notification(Base):
    """One message to one person; ``idempotency_key`` makes telling them twice a no-op."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key"),
        # The page lists a user's in-app messages newest first; the bell counts the unread.
        Index("ix_notification_user_created", "user_id", "in_app", "created_at"),
        Index("ix_notification_user_unread", "user_id", "in_app", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    username: Mapped[str] = mapped_column(String(100))
    recipient_name: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[str] = mapped_column(String(40))
    template: Mapped[str] = mapped_column(String(80))
    locale: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(120), default="")  # the link's label
    link: Mapped[str | None] = mapped_column(String(500))  # a path within the site
    idempotency_key: Mapped[str] = mapped_column(String(200))
    in_app: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Delivery(Base):
    """One channel's copy of a notification. ``(notification_id, channel)`` is the delivery's
    idempotency key: a notification is emailed or texted at most once.

    ``next_attempt_at`` is when the row is next due: its queueing moment, the end of a
    retry's back-off, or (while ``sending``) the end of the sender's lease. The sweep picks
    up rows left due for longer than a minute.
    """

    __tablename__ = "notification_delivery"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel"),
        Index("ix_notification_delivery_status_due", "status", "next_attempt_at"),
        Index("ix_notification_delivery_status_queued", "status", "queued_at"),
        Index("ix_notification_delivery_queued", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    notification: Mapped[Notification] = relationship(lazy="joined")


class OutboxEmail(Base):
    """An email kept instead of sent (no SMTP server configured), for admins to read.
    One per delivery, so a delivery retried after a crash is stored once."""

    __tablename__ = "email_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("notification_delivery.id", ondelete="CASCADE"), unique=True)
    to_address: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChannelChoice(Base):
    """A user's explicit choice for one kind and channel; without a row the default holds."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
