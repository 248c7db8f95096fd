"""A report's table as a download: CSV (UTF-8 with a byte-order mark, so Excel opens Chinese
text right) or XLSX (openpyxl, numbers kept as numbers with a display format)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from workflows.reports.table import Table

from .i18n import translated

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_NUMBER_FORMATS = {"money": "#,##0.00", "percent": "0.00%", "days": "0.0", "count": "0", "date": "yyyy-mm-dd"}


def export(table: Table, name: str, fmt: str) -> Response:
    """The table as ``name``.csv or ``name``.xlsx, headed by its columns in the reader's language."""
    body, mimetype = (_xlsx(table), XLSX_TYPE) if fmt == "xlsx" else (_csv(table), "text/csv; charset=utf-8")
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def _rows(table: Table) -> list[list[Any]]:
    header = [translated(column.label) for column in table.columns]
    rows = [list(row) for row in table.rows]
    return [header, *rows, *([list(table.totals)] if table.totals is not None else [])]


def _csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in _rows(table):
        writer.writerow(["" if value is None else translated(value) if isinstance(value, str) else value
                         for value in row])
    return ("\ufeff" + out.getvalue()).encode()


def _xlsx(table: Table) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    kinds = [column.kind for column in table.columns]
    for number, row in enumerate(_rows(table)):
        cells = []
        for kind, value in zip(kinds, row, strict=True):
            cell = WriteOnlyCell(sheet, value=_cell_value(value))
            if number and kind in _NUMBER_FORMATS and value is not None:
                cell.number_format = _NUMBER_FORMATS[kind]
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # openpyxl writes numbers; two decimal places survive a float
    if isinstance(value, str):
        return translated(value)
    if isinstance(value, date) or value is None or isinstance(value, int | float):
        return value
    return str(value)
