"""Business types, opportunities, their stage history, and quotes.

An opportunity's ``stage``, ``stage_name`` and ``probability`` are copies of what its
pipeline instance says, written in the same transaction as every engine step (see
``tracking``), so lists, the kanban and reports never read workflow state.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Money, UTCDateTime

STATUSES = ("open", "won", "lost", "abandoned")
CLOSED = ("lost", "abandoned")  # closed without winning: these need a reason
SOURCES = ("website", "wechat", "phone_in", "phone_out", "event", "business_card", "referral",
           "existing_customer", "import", "other")
QUOTE_STATUSES = ("draft", "sent", "accepted", "rejected")


class BusinessType(Base):
    """A kind of deal with its own pipeline: the key of the BPMN process it starts."""

    __tablename__ = "business_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    process_key: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Opportunity(Base):
    __tablename__ = "opportunity"
    __table_args__ = (
        Index("ix_opportunity_owner_status", "owner", "status"),
        Index("ix_opportunity_board", "business_type_id", "status", "stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"), index=True)
    business_type_id: Mapped[int] = mapped_column(ForeignKey("business_type.id"))
    amount: Mapped[Decimal] = mapped_column(Money())
    expected_close_date: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(40), default="")
    owner: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="open")
    stage: Mapped[str] = mapped_column(String(100), default="")
    stage_name: Mapped[str] = mapped_column(String(200), default="")
    probability: Mapped[int] = mapped_column(Integer, default=0)
    stage_entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    close_reason: Mapped[str] = mapped_column(Text, default="")
    process_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    business_type: Mapped[BusinessType] = relationship(lazy="joined")


class StageVisit(Base):
    """One stay of an opportunity in a stage: for the path bar and time-in-stage reports."""

    __tablename__ = "opportunity_stage"

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunity.id"), index=True)
    stage: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    probability: Mapped[int] = mapped_column(Integer)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    entered_by: Mapped[str | None] = mapped_column(String(100))
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    left_by: Mapped[str | None] = mapped_column(String(100))
    actions_done: Mapped[list[str] | None] = mapped_column(JSON)


class Quote(Base):
    __tablename__ = "quote"

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunity.id"), index=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    price_list_id: Mapped[int | None] = mapped_column(ForeignKey("price_list.id"))
    valid_until: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    lines: Mapped[list[QuoteLine]] = relationship(cascade="all, delete-orphan", order_by="QuoteLine.position")

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0.00"))


class QuoteLine(Base):
    __tablename__ = "quote_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quote.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    description: Mapped[str] = mapped_column(String(300), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money())
    discount_percent: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def total(self) -> Decimal:
        gross = self.unit_price * self.quantity
        return (gross * (100 - self.discount_percent) / 100).quantize(Decimal("0.01"))
