"""Approval rounds, the decisions taken in them, and approvers' out-of-office periods.

The process instance decides the route; these rows keep what people need to read back
without the engine: which figures a round was decided on, who was asked (and for whom a
delegate stood in), and each approver's decision with its comment. The approver inbox,
the contract page and the turnaround reports query them with plain indexed SQL.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Money, UTCDateTime

OUTCOMES = ("pending", "approved", "rejected", "withdrawn")
DECISIONS = ("approve", "reject")


class ApprovalRound(Base):
    """One submission of a contract: its figures as submitted and how the round ended."""

    __tablename__ = "approval_round"
    __table_args__ = (
        UniqueConstraint("contract_id", "number"),
        Index("ix_approval_round_instance_outcome", "instance_id", "outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1 for the first submission, then each resubmission
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    submitted_by: Mapped[str] = mapped_column(String(100))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revenue: Mapped[Decimal] = mapped_column(Money())
    gross_margin: Mapped[Decimal] = mapped_column(Money())
    margin: Mapped[Decimal] = mapped_column(Numeric(9, 4))  # a fraction, as the table compared it
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)  # as the decision table routed
    approvers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # role -> who was asked
    stand_ins: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # role -> who was away
    note: Mapped[str] = mapped_column(Text, default="")  # what the submitter told the approvers
    outcome: Mapped[str] = mapped_column(String(20), default="pending")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    decisions: Mapped[list[ApprovalDecision]] = relationship(
        cascade="all, delete-orphan", order_by="ApprovalDecision.decided_at", lazy="selectin")


class ApprovalDecision(Base):
    """One approver's decision in a round; ``on_behalf_of`` names the approver a delegate
    or a manager acted for."""

    __tablename__ = "approval_decision"
    __table_args__ = (
        Index("ix_approval_decision_approver_decided", "approver", "decided_at"),
        # Covers the turnaround report: a period's decisions are read from the index alone.
        Index("ix_approval_decision_decided_covering", "decided_at", "round_id", "approver", "decision",
              "reached_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("approval_round.id", ondelete="CASCADE"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36), unique=True)
    role: Mapped[str] = mapped_column(String(100))
    approver: Mapped[str] = mapped_column(String(100))
    on_behalf_of: Mapped[str | None] = mapped_column(String(100))
    decision: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the task last reached the approver (created for them or handed to them) before the
    # decision; None if the engine's history has no such moment (the turnaround leaves it out).
    reached_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutOfOffice(Base):
    """A period an approver is away; approval tasks routed to them meanwhile go to ``delegate``."""

    __tablename__ = "out_of_office"
    __table_args__ = (Index("ix_out_of_office_user_ends", "user_id", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    delegate_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
