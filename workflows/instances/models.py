"""A bulk migration: its job row (progress counts) and one row per instance it moves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime
from engine import ProcessDefinition

STATUSES = ("queued", "running", "done", "failed")
OUTCOMES = ("moved", "refused")


class MigrationJob(Base):
    """Moving every running instance of one version to another, as a designer asked."""

    __tablename__ = "process_migration_job"
    __table_args__ = (Index("ix_process_migration_job_source", "source_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by: Mapped[str] = mapped_column(String(100))
    source_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    target_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    status: Mapped[str] = mapped_column(String(10), default="queued")  # one of STATUSES
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    moved: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    source: Mapped[ProcessDefinition] = relationship(foreign_keys=[source_id], lazy="joined")
    target: Mapped[ProcessDefinition] = relationship(foreign_keys=[target_id], lazy="joined")


class MigrationItem(Base):
    """One instance of a job: not yet tried (no outcome), moved, or refused with the reasons."""

    __tablename__ = "process_migration_item"
    __table_args__ = (Index("ix_process_migration_item_outcome", "job_id", "outcome", "instance_id"),)

    job_id: Mapped[int] = mapped_column(ForeignKey("process_migration_job.id", ondelete="CASCADE"),
                                        primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"),
                                             primary_key=True)
    outcome: Mapped[str | None] = mapped_column(String(10))  # one of OUTCOMES
    # Each reason as its msgid and values, so the results page shows it in the reader's language.
    reasons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
