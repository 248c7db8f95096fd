"""Reading an uploaded lead file (CSV or XLSX) into a header and rows of text, and guessing
which lead field each column holds.

Chinese Excel saves CSV as GBK, so a CSV that is not UTF-8 (with or without a BOM) is read
as GB18030, GBK's superset. Phone numbers that Excel stored as numbers come back as
``13812345678``, not ``13812345678.0``.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from core.errors import InvalidInput
from core.phrases import Phrase

from .service import FIELDS

MAX_ROWS = 100_000
MAX_COLUMNS = 60
MAX_CELL = 5_000
ALIASES = {
    "name": ("姓名", "名字", "联系人", "客户姓名", "name", "fullname", "contact", "contactname"),
    "company": ("公司", "公司名称", "单位", "企业", "企业名称", "客户名称", "company", "companyname",
                "organization", "organisation", "account"),
    "title": ("职位", "职务", "title", "jobtitle", "position"),
    "phone": ("手机", "手机号", "手机号码", "电话", "联系电话", "电话号码", "mobile", "phone", "tel",
              "telephone", "cellphone"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "邮件", "email", "e-mail", "mail"),
    "address": ("地址", "详细地址", "address"),
    "region": ("地区", "区域", "省份", "城市", "region", "province", "city", "area"),
    "industry": ("行业", "所属行业", "industry"),
    "size": ("规模", "公司规模", "人数", "size", "companysize", "employees"),
    "source": ("来源", "线索来源", "source", "leadsource"),
    "rating": ("评级", "等级", "rating"),
    "note": ("备注", "说明", "note", "notes", "remark", "remarks", "comment", "comments"),
}
_KEYS = {alias.replace("-", ""): field for field, aliases in ALIASES.items() for alias in aliases}


def read_table(filename: str, data: bytes) -> tuple[list[str], list[list[str]]]:
    """The header and the non-blank rows of an uploaded file, every cell as trimmed text."""
    if filename.lower().endswith(".xlsx"):
        rows = _xlsx_rows(data)
    elif filename.lower().endswith((".csv", ".txt")):
        rows = _csv_rows(data)
    else:
        raise _invalid(Phrase("Upload a .csv or .xlsx file"))
    table = [row for row in rows if any(row)]
    if not table:
        raise _invalid(Phrase("The file has no rows"))
    header, body = table[0], table[1:]
    if len(header) > MAX_COLUMNS:
        raise _invalid(Phrase("The file has more than %(count)s columns", count=MAX_COLUMNS))
    if len(body) > MAX_ROWS:
        raise _invalid(Phrase("The file has more than %(count)s rows", count=MAX_ROWS))
    width = len(header)
    return header, [(row + [""] * width)[:width] for row in body]


def guess_mapping(header: Sequence[str]) -> list[str]:
    """Per column the lead field its heading names (Chinese or English), or "" to ignore it;
    each field goes to the first column that names it."""
    taken: set[str] = set()
    mapping = []
    for heading in header:
        key = unicodedata.normalize("NFKC", heading).lower().strip(" :：*")
        field = _KEYS.get("".join(c for c in key if c not in " _-"), "")
        if field and field in FIELDS and field not in taken:
            taken.add(field)
            mapping.append(field)
        else:
            mapping.append("")
    return mapping


def decode(data: bytes) -> str:
    """UTF-8 (a BOM is dropped), else GB18030 (Chinese Excel's "CSV"); anything else is refused."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _invalid(Phrase("The file is neither UTF-8 nor GBK text"))


def _csv_rows(data: bytes) -> list[list[str]]:
    text = decode(data)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return [[_cell(cell) for cell in row] for row in csv.reader(io.StringIO(text, newline=""), dialect)]
    except csv.Error as exc:
        raise _invalid(Phrase("The file is not a readable CSV file")) from exc


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            rows = _limited(book.worksheets[0].iter_rows(values_only=True))
            return [[_cell(cell) for cell in row] for row in rows]
        finally:
            book.close()
    except InvalidInput:
        raise
    except Exception as exc:  # a damaged workbook fails in many library-specific ways; never a 500
        raise _invalid(Phrase("The file is not a readable XLSX workbook")) from exc


def _limited(rows: Iterable[Sequence[object]]) -> Iterable[Sequence[object]]:
    for count, row in enumerate(rows):
        if count > MAX_ROWS + 1:
            raise _invalid(Phrase("The file has more than %(count)s rows", count=MAX_ROWS))
        yield row[:MAX_COLUMNS + 1]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        value = value.isoformat()
    return str(value).strip()[:MAX_CELL]


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(message, fields={"file": message})
