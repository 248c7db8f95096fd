"""Rows as JSON and back: a merged record's row is kept whole and put back with its own
primary key, which SQLite and PostgreSQL both accept. Dates, times and amounts are kept as
ISO text and decimal strings, read back by their column's type."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Date, DateTime, Numeric, Table, inspect

from core.db import Money, UTCDateTime


def row_of(record: Any) -> dict[str, Any]:
    """Every column of an ORM record as JSON-ready values, by column name."""
    mapper = inspect(type(record))
    return {attr.columns[0].name: _plain(getattr(record, attr.key)) for attr in mapper.column_attrs}


def plain(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A row read with Core (column name → value) as JSON-ready values."""
    return {str(name): _plain(value) for name, value in row.items()}


def values_of(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """A kept row's values as the table's columns take them (only columns the table has)."""
    return {column.name: _typed(column, row[column.name]) for column in table.columns if column.name in row}


def _plain(value: Any) -> Any:
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _typed(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, UTCDateTime | DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    if isinstance(kind, Money | Numeric):
        return Decimal(value)
    return value
