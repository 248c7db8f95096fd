"""What a merge keeps so that it can be undone exactly: the merged-away records' full rows,
the survivor's values the merge changed, and which rows elsewhere it re-pointed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime


class RecordMerge(Base):
    """One merge of two or three records of one kind into ``survivor_id``.

    ``survivor_before`` holds the survivor's columns the merge changed, as they were;
    ``moves`` lists each re-pointing as ``{"table", "column", "old", "new", "keys", "follows"}``
    (``keys``: the primary keys of exactly the rows changed), so undo changes only those back.
    """

    __tablename__ = "record_merge"
    __table_args__ = (
        Index("ix_record_merge_object_survivor", "object", "survivor_id"),
        Index("ix_record_merge_object_at", "object", "merged_at"),
        Index("ix_record_merge_by_object_at", "merged_by", "object", "merged_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    object: Mapped[str] = mapped_column(String(20))
    survivor_id: Mapped[int] = mapped_column(Integer)
    survivor_label: Mapped[str] = mapped_column(String(300))
    survivor_before: Mapped[dict[str, Any]] = mapped_column(JSON)
    moves: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    merged_by: Mapped[str] = mapped_column(String(100))
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    undone_by: Mapped[str | None] = mapped_column(String(100))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    losers: Mapped[list[MergedRecord]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                      order_by="MergedRecord.position")


class MergedRecord(Base):
    """A record merged away, with its whole row as it was; indexed by record so "what became
    of account 17" is one lookup."""

    __tablename__ = "record_merge_loser"
    __table_args__ = (Index("ix_record_merge_loser_object_record", "object", "record_id"),)

    merge_id: Mapped[int] = mapped_column(ForeignKey("record_merge.id", ondelete="CASCADE"), primary_key=True)
    record_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(300))
    row: Mapped[dict[str, Any]] = mapped_column(JSON)
