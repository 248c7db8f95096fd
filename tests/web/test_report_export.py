"""A report's table downloads as the reader reads it: CSV that Excel opens with Chinese
headers intact, XLSX with numbers kept as numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from flask import Flask
from openpyxl import load_workbook

from core.phrases import Phrase
from web.report_export import export
from workflows.reports.table import Column, Table

TABLE = Table(
    columns=(Column("stage", Phrase("Stage")), Column("count", Phrase("Opportunities"), "count"),
             Column("amount", Phrase("Amount"), "money"), Column("rate", Phrase("Probability"), "percent")),
    rows=(("谈判", 3, Decimal("120000.50"), Decimal("0.6")), ("Quotation", 1, Decimal("800"), Decimal("0.4"))),
    totals=(None, 4, Decimal("120800.50"), None),
)


def test_csv_starts_with_a_byte_order_mark_and_heads_its_columns_in_the_readers_language(app: Flask):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        response = export(TABLE, "funnel", "csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="funnel.csv"'
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["阶段", "商机", "金额", "赢率"]
    assert rows[1:] == [["谈判", "3", "120000.50", "0.6"], ["Quotation", "1", "800", "0.4"], ["", "4", "120800.50", ""]]


def test_xlsx_keeps_numbers_as_numbers_with_a_display_format(app: Flask):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        response = export(TABLE, "funnel", "xlsx")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert [c.value for c in sheet[1]] == ["Stage", "Opportunities", "Amount", "Probability"]
    amount, rate = sheet["C2"], sheet["D2"]
    assert (amount.value, amount.number_format) == (120000.5, "#,##0.00")
    assert (rate.value, rate.number_format) == (0.6, "0.00%")
    assert [c.value for c in sheet[4]] == [None, 4, 120800.5, None]
