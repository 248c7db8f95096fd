"""Duplicate rules: per kind of record, which fields must match, and how, to call two records
the same customer, and whether that warns the user or blocks the save."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base

OBJECTS = ("lead", "account", "contact")
FIELDS = ("name", "company", "phone", "email", "address")
MATCHES = ("exact", "fuzzy", "prefix")
ACTIONS = ("warn", "block")


class DuplicateRule(Base):
    """``fields`` holds the field rules, all of which must match (AND): each a dict
    ``{"field": ..., "match": ..., "threshold": 0-100 (fuzzy), "prefix_length": n (prefix)}``.
    Kept as one JSON list because a rule is read and written whole and never queried by field."""

    __tablename__ = "duplicate_rule"
    __table_args__ = (Index("ix_duplicate_rule_object_active", "object", "active", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    object: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    action: Mapped[str] = mapped_column(String(10), default="warn")
    position: Mapped[int] = mapped_column(Integer, default=0)
