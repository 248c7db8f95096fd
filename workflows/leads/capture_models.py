"""Tables for the two bulk and public ways leads arrive: web forms and file imports.

An import keeps its uploaded rows in ``lead_import_row`` rather than on disk, so any
worker process can run (or resume) the job; each row also keeps its outcome, which is
what makes a re-run idempotent (rows with an outcome are never planned again) and what
the downloadable report is read from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

JOB_STATUSES = ("uploaded", "queued", "running", "done", "failed")
OUTCOMES = ("created", "updated", "unchanged", "skipped", "rejected")
# What an import does with a row matching one existing lead: skip the row, fill the lead's
# empty fields from it, or overwrite the lead's fields with the row's non-empty values.
ON_MATCH = ("skip", "fill", "overwrite")


class WebForm(Base):
    """A Web-to-Lead form: the fields a customer's site may send, where the leads land,
    and the unguessable key in its public address."""

    __tablename__ = "lead_web_form"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    fields: Mapped[list[str]] = mapped_column(JSON)
    required: Mapped[list[str]] = mapped_column(JSON)
    pool_id: Mapped[int] = mapped_column(ForeignKey("lead_pool.id"))
    source: Mapped[str] = mapped_column(String(20), default="website")
    thank_you_url: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    public_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ImportJob(Base):
    """One uploaded file: its columns, how they map to lead fields, whose leads they become,
    and the progress counters the progress page shows."""

    __tablename__ = "lead_import_job"
    __table_args__ = (Index("ix_lead_import_job_creator", "created_by", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    columns: Mapped[list[str]] = mapped_column(JSON)
    mapping: Mapped[list[str]] = mapped_column(JSON)  # per column: a lead field, or "" to ignore it
    owner: Mapped[str | None] = mapped_column(String(100))
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("lead_pool.id"))
    on_match: Mapped[str] = mapped_column(String(10), default="skip")  # one of ON_MATCH
    status: Mapped[str] = mapped_column(String(10), default="uploaded")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ImportRow(Base):
    """A data row of an import as uploaded (cells as text), and once run its outcome with the
    reasons as ``[{"field", "msgid", "values"}]``, translated only when shown."""

    __tablename__ = "lead_import_row"

    job_id: Mapped[int] = mapped_column(ForeignKey("lead_import_job.id", ondelete="CASCADE"),
                                        primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1 = the first row under the header
    cells: Mapped[list[str]] = mapped_column(JSON)
    outcome: Mapped[str | None] = mapped_column(String(10))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id", ondelete="SET NULL"))
