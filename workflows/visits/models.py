"""Visit plans (a visit or meeting a rep schedules with a customer record) and work plans
(a rep's goal for a week or a month, read against the visits planned in it)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

KINDS = ("visit", "meeting")  # the activity kinds a logged plan becomes
PERIODS = ("week", "month")


class VisitPlan(Base):
    """One planned visit or meeting, driven by its own ``visit_plan`` process instance: the
    reminder before it, the task to log it after it. A reschedule starts a new instance."""

    __tablename__ = "visit_plan"
    __table_args__ = (
        # The calendar, the work plans and "my visits" read one person's plans by time; a
        # manager's calendar, everyone's in their subtree, reads a span of time first.
        Index("ix_visit_plan_owner_starts", "owner", "starts_at"),
        Index("ix_visit_plan_starts", "starts_at"),
        Index("ix_visit_plan_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))  # the record's name when planned
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    location: Mapped[str] = mapped_column(String(300), default="")
    purpose: Mapped[str] = mapped_column(String(300))
    remind_minutes: Mapped[int] = mapped_column(Integer)
    remind_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="planned")  # or "logged", "cancelled"
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def state(self, now: datetime) -> str:
        """The status as people read it: a planned visit that is over is "overdue", waiting
        for its log (the "to log" tab and a work plan's progress count the same rule in SQL)."""
        return "overdue" if self.status == "planned" and self.ends_at <= now else self.status


class WorkPlan(Base):
    """A rep's plan for a week or a month: a goal and a note. Its visits are the rep's visit
    plans starting within ``begins_at``..``ends_at``, the period's bounds in the rep's time
    zone, kept in UTC so a manager's list of plans counts them all in one query."""

    __tablename__ = "work_plan"
    __table_args__ = (
        UniqueConstraint("owner", "period", "starts_on"),
        Index("ix_work_plan_starts_on", "starts_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(100))
    period: Mapped[str] = mapped_column(String(10))
    starts_on: Mapped[date] = mapped_column(Date)
    begins_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    goal: Mapped[int] = mapped_column(Integer)  # visits and meetings to hold in the period
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
