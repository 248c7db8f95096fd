"""A report's figures as one neutral shape, so a page draws them, a chart plots them and an
export writes them from the same rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from core.phrases import Phrase

# How a column's values are written: a page formats them for the reader's locale, an
# export keeps numbers as numbers.
KINDS = ("text", "count", "number", "money", "percent", "days", "date")


@dataclass(frozen=True)
class Column:
    key: str
    label: Phrase
    kind: str = "text"


@dataclass(frozen=True)
class Table:
    """Rows of values in column order; ``totals`` is an optional last row (None where no total)."""

    columns: Sequence[Column]
    rows: Sequence[Sequence[Any]]
    totals: Sequence[Any] | None = None
    notes: Sequence[Phrase] = field(default_factory=tuple)

    def column(self, key: str) -> list[Any]:
        index = [c.key for c in self.columns].index(key)
        return [row[index] for row in self.rows]
