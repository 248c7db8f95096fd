"""Accounts and contacts. Both have an owner, which the record visibility rule reads, or
none while the account waits in a public pool (公海): an account is :class:`Pooled` like a
lead, with the same follow-up cadence, and its contacts follow its owner there and back."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime
from workflows.leads.models import Pooled

CATEGORIES = ("ordinary", "vip", "strategic")
ACCOUNT_TYPES = ("end_customer", "channel", "partner")
CREDIT_RATINGS = ("A", "B", "C", "D")


class Account(Pooled, Base):
    __tablename__ = "account"
    __table_args__ = (
        Index("ix_account_owner_name", "owner", "name"),
        Index("ix_account_pool_name", "pool_id", "name"),  # a pool's waiting accounts, by name
        Index("ix_account_owner_since", "owner", "followup_since"),  # a rep's, oldest contact first
        Index("ix_account_since_owner", "followup_since", "owner"),  # a team's or everyone's
        Index("ix_account_followup_stale", "followup_stale", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    industry: Mapped[str] = mapped_column(String(100), default="")
    category: Mapped[str] = mapped_column(String(20), default="ordinary")
    account_type: Mapped[str] = mapped_column(String(20), default="end_customer")
    region: Mapped[str] = mapped_column(String(100), default="")
    credit_rating: Mapped[str] = mapped_column(String(2), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    # Written on every save (workflows.dedupe.refresh_match_columns) for indexed duplicate checks.
    match_name: Mapped[str] = mapped_column(String(200), default="", index=True)
    phone_e164: Mapped[str | None] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    parent: Mapped[Account | None] = relationship(remote_side=[id])


class Contact(Base):
    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    birthday: Mapped[date | None] = mapped_column(Date)
    owner: Mapped[str | None] = mapped_column(String(100), index=True)  # its account's; None in a pool
    # Written on every save (workflows.dedupe.refresh_match_columns) for indexed duplicate checks.
    match_name: Mapped[str] = mapped_column(String(120), default="", index=True)
    match_email: Mapped[str] = mapped_column(String(200), default="", index=True)
    phone_e164: Mapped[str | None] = mapped_column(String(20), index=True)
    # Asked not to be emailed or texted (the contact's page, or an unsubscribe link): sends skip it.
    email_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    sms_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    account: Mapped[Account] = relationship()
