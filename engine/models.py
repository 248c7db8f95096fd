"""Engine tables: deployed versions, instance state, and the projections queries read.

Lists, inboxes, timer sweeps and reports read ``human_task``, ``engine_timer`` and
``history_event`` only; the serialized state in ``process_instance.state`` is read back
solely to advance that one instance.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Money, UTCDateTime


class ProcessDefinition(Base):
    """One immutable deployed version of a process key, with the files it came from."""

    __tablename__ = "process_definition"
    __table_args__ = (
        UniqueConstraint("key", "version"),
        Index("ix_process_definition_key_hash", "key", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    sources: Mapped[dict[str, str]] = mapped_column(JSON, deferred=True)
    deployed_by: Mapped[str | None] = mapped_column(String(100))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text, default="")


class ProcessInstance(Base):
    __tablename__ = "process_instance"
    # A version's running instances, a page at a time (the monitor, a bulk migration).
    __table_args__ = (Index("ix_process_instance_definition_status", "definition_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(100), index=True)
    business_key: Mapped[str | None] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    state: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    started_by: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    definition: Mapped[ProcessDefinition] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class HumanTask(Base):
    """An open user task, denormalised with everything an inbox filters and sorts on."""

    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_human_task_assignee_created", "assignee", "created_at"),
        Index("ix_human_task_object", "object_type", "object_id"),
        # "Claimable" lists read unassigned tasks oldest first; a partial index keeps that
        # a short index walk however many assigned tasks there are.
        Index("ix_human_task_unassigned_created", "created_at", "id",
              postgresql_where=text("assignee IS NULL"), sqlite_where=text("assignee IS NULL")),
        # A manager's view of everything they may see, oldest first: walking this index stops
        # after a page instead of sorting every visible task.
        Index("ix_human_task_created", "created_at", "id"),
        # Where a version's work waits, counted per element (the monitor's heatmap).
        Index("ix_human_task_definition_bpmn", "definition_id", "bpmn_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"), index=True
    )
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    process_key: Mapped[str] = mapped_column(String(100))
    bpmn_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str | None] = mapped_column(String(100))
    assignee: Mapped[str | None] = mapped_column(String(100))
    form_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    business_key: Mapped[str | None] = mapped_column(String(200), index=True)
    object_type: Mapped[str | None] = mapped_column(String(50))
    object_id: Mapped[str | None] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(String(300))
    amount: Mapped[Decimal | None] = mapped_column(Money())
    stage: Mapped[str | None] = mapped_column(String(100))
    owner: Mapped[str | None] = mapped_column(String(100), index=True)
    region: Mapped[str | None] = mapped_column(String(100))

    # Loaded only when read: the inbox never needs them, and the database cascades deletes.
    candidates: Mapped[list[TaskCandidate]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class TaskCandidate(Base):
    """A group or user who may claim a task; one row each so the inbox query uses an index."""

    __tablename__ = "human_task_candidate"
    __table_args__ = (Index("ix_human_task_candidate_kind_name", "kind", "name", "task_id"),)

    task_id: Mapped[str] = mapped_column(
        ForeignKey("human_task.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True)


class EngineTimer(Base):
    __tablename__ = "engine_timer"
    __table_args__ = (UniqueConstraint("instance_id", "task_guid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"), index=True
    )
    task_guid: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(100))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class HistoryEvent(Base):
    """Audit log and the source for time-in-stage and funnel reports."""

    __tablename__ = "history_event"
    __table_args__ = (Index("ix_history_event_instance_id_id", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    process_key: Mapped[str] = mapped_column(String(100))
    business_key: Mapped[str | None] = mapped_column(String(200), index=True)
    event: Mapped[str] = mapped_column(String(30))
    task_guid: Mapped[str | None] = mapped_column(String(36), index=True)
    bpmn_id: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(200))
    actor: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ProcessDraft(Base):
    """A designer's work in progress on one process key: its files, saved without deploying.

    One per key, so everyone who opens the designer sees the same draft; ``revision``
    catches a save made over someone else's newer one.
    """

    __tablename__ = "process_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    sources: Mapped[dict[str, str]] = mapped_column(JSON, deferred=True)
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("process_definition.id"))
    updated_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revision: Mapped[int] = mapped_column(Integer, nullable=False)

    based_on: Mapped[ProcessDefinition | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": revision}
