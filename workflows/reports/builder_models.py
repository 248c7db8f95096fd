"""Saved reports, whom they are shared with, and the dashboards composed of them.

A saved report keeps only its definition (the builder's JSON, checked again on every run) and
never any figures: whoever runs it sees what they may see. Shipped reports and the default
dashboards per role have no owner; they carry a ``system_key``/``role_key`` so seeding them
twice adds nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime

TILE_SHOWS = ("both", "chart", "table")


class SavedReport(Base):
    __tablename__ = "saved_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    system_key: Mapped[str | None] = mapped_column(String(60), unique=True)  # a shipped report
    name: Mapped[str] = mapped_column(String(120))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    shares: Mapped[list[ReportShare]] = relationship(cascade="all, delete-orphan", passive_deletes=True,
                                                     order_by="ReportShare.id")


class ReportShare(Base):
    """The report is listed for everyone holding ``role``, or everyone in ``unit_id`` and below."""

    __tablename__ = "report_share"
    __table_args__ = (CheckConstraint("(role IS NULL) <> (unit_id IS NULL)", name="one_audience"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("saved_report.id", ondelete="CASCADE"), index=True)
    role: Mapped[str | None] = mapped_column(String(40), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id", ondelete="CASCADE"), index=True)


class Dashboard(Base):
    """A user's own dashboard, or (without a user) the default one of a role."""

    __tablename__ = "dashboard"
    __table_args__ = (CheckConstraint("(user_id IS NULL) <> (role_key IS NULL)", name="one_holder"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), unique=True)
    role_key: Mapped[str | None] = mapped_column(String(20), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    tiles: Mapped[list[DashboardTile]] = relationship(cascade="all, delete-orphan", passive_deletes=True,
                                                      order_by="DashboardTile.position")


class DashboardTile(Base):
    """One saved report on a dashboard, drawn as its chart, its table or both."""

    __tablename__ = "dashboard_tile"
    __table_args__ = (Index("ix_dashboard_tile_dashboard_position", "dashboard_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dashboard_id: Mapped[int] = mapped_column(ForeignKey("dashboard.id", ondelete="CASCADE"))
    report_id: Mapped[int] = mapped_column(ForeignKey("saved_report.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    show: Mapped[str] = mapped_column(String(10), default="both")
