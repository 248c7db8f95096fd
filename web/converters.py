"""URL converters: ``<int:...>`` ids are bounded to what a database column can hold.

Werkzeug's ``int`` accepts any number of digits; a 25-digit id would reach the database
and fail there (an overflow on SQLite, an out-of-range error on PostgreSQL) as a 500.
Such an id cannot exist, so the route simply does not match: 404.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**63 - 1  # the largest BIGINT; every id column fits in it


class RowIdConverter(IntegerConverter):
    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = MAX_ID, signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def init_app(app: Flask) -> None:
    """Call before any blueprint is registered: rules look their converter up when added."""
    app.url_map.converters["int"] = RowIdConverter
