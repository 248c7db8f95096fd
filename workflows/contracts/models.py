"""Contract types, contracts with their lines and cost side, and the collection plan.

A contract's figures (lines and cost side, see ``figures``) may change only while it is
a draft or sent back for revision; submitting locks them for the approvers. Instalments
keep what has been collected against them (``collected``), updated in the same
transaction as each :class:`Collection` row, so outstanding and overdue lists are plain
indexed queries with no sums over the collection history.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Money, UTCDateTime

from .figures import Figures, figures

STATUSES = ("draft", "submitted", "active", "rejected", "cancelled")
EDITABLE = ("draft", "rejected")  # a rejected contract goes back to its owner for revision


class ContractType(Base):
    """A kind of contract, naming the BPMN process its approvals run."""

    __tablename__ = "contract_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    approval_process_key: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Contract(Base):
    __tablename__ = "contract"
    __table_args__ = (Index("ix_contract_owner_status", "owner", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunity.id"), index=True)
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("quote.id"))
    contract_type_id: Mapped[int] = mapped_column(ForeignKey("contract_type.id"))
    owner: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    signed_on: Mapped[date | None] = mapped_column(Date)
    start_on: Mapped[date | None] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)
    sales_expense: Mapped[Decimal] = mapped_column(Money())
    cost_reserve: Mapped[Decimal] = mapped_column(Money())
    maintenance_reserve: Mapped[Decimal] = mapped_column(Money())
    note: Mapped[str] = mapped_column(Text, default="")
    approval_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    contract_type: Mapped[ContractType] = relationship(lazy="joined")
    lines: Mapped[list[ContractLine]] = relationship(cascade="all, delete-orphan",
                                                     order_by="ContractLine.position")
    instalments: Mapped[list[Instalment]] = relationship(cascade="all, delete-orphan",
                                                         order_by="Instalment.position")

    @property
    def editable(self) -> bool:
        """Whether the figures may change: once submitted they are what the approvers decide on."""
        return self.status in EDITABLE

    @property
    def figures(self) -> Figures:
        return figures(((line.quantity, line.unit_price) for line in self.lines), self.sales_expense,
                       self.cost_reserve, self.maintenance_reserve)


class ContractLine(Base):
    __tablename__ = "contract_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    description: Mapped[str] = mapped_column(String(300), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money())

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


class Instalment(Base):
    """One due date and amount of the collection plan; the amounts sum to the revenue."""

    __tablename__ = "instalment"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    collected: Mapped[Decimal] = mapped_column(Money())
    # The process chasing it once it is overdue: one per instalment, so no owner is asked twice.
    chase_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.collected


class Collection(Base):
    """Money received (收款) against an instalment: the record behind ``collected``."""

    __tablename__ = "collection"

    id: Mapped[int] = mapped_column(primary_key=True)
    instalment_id: Mapped[int] = mapped_column(ForeignKey("instalment.id", ondelete="CASCADE"), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money())
    recorded_by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
