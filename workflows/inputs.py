"""Reading what people type into a form: text in, typed values out, one problem per field.

Use cases take their input as the text a person entered, so a page, the JSON API and a
test all get the same checks and the same field messages. A :class:`Checker` collects
every problem before raising, so a form can mark all its bad fields at once.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date
from decimal import Decimal, InvalidOperation

from core.errors import reject_fields
from core.phrases import Phrase

MAX_MONEY = Decimal("999999999999.99")
MAX_PAGE = 1_000_000  # past any real list; larger numbers would overflow an OFFSET
COUNT_CAP = 999  # a long list says "more than 999" rather than count every row
CENTS = Decimal("0.01")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class Checker:
    """Parses fields one by one and remembers the first problem of each."""

    def __init__(self) -> None:
        self.problems: dict[str, str] = {}

    def problem(self, field: str, message: str) -> None:
        self.problems.setdefault(field, message)

    def done(self) -> None:
        """Raise InvalidInput naming every field with a problem; return when there are none."""
        reject_fields(self.problems)

    def text(self, field: str, raw: str, max_length: int, *, required: bool = False) -> str:
        value = raw.strip()
        if required and not value:
            self.problem(field, Phrase("is required (at most %(count)s characters)", count=max_length))
        elif len(value) > max_length:
            self.problem(field, Phrase("must be at most %(count)s characters", count=max_length))
        return value

    def choice(self, field: str, raw: str, allowed: Collection[str]) -> str:
        value = raw.strip()
        if value not in allowed:
            self.problem(field, Phrase("is not one of the allowed values"))
        return value

    def email(self, field: str, raw: str) -> str:
        value = self.text(field, raw, 200)
        if value and not _EMAIL.fullmatch(value):
            self.problem(field, Phrase("is not a valid email address"))
        return value

    def date(self, field: str, raw: str, *, latest: date | None = None) -> date | None:
        """An ISO date or nothing; ``latest`` refuses later dates (a birthday in the future)."""
        if not raw.strip():
            return None
        try:
            value = date.fromisoformat(raw.strip())
        except ValueError:
            self.problem(field, Phrase("must be a date (YYYY-MM-DD)"))
            return None
        if latest is not None and value > latest:
            self.problem(field, Phrase("cannot be in the future"))
            return None
        return value

    def money(self, field: str, raw: str) -> Decimal | None:
        """An amount of 0 or more with at most two decimals; never rounded behind the user's back."""
        try:
            value = Decimal(raw.strip().replace(",", ""))
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or not 0 <= value <= MAX_MONEY:
            self.problem(field, Phrase("must be an amount of 0 or more, such as 120000.00"))
            return None
        if value != value.quantize(CENTS):
            self.problem(field, Phrase("must have at most two decimal places"))
            return None
        return value.quantize(CENTS)

    def whole(self, field: str, raw: str, low: int, high: int) -> int | None:
        value = raw.strip()
        number = int(value) if re.fullmatch(r"[+-]?\d{1,12}", value) else None
        if number is None or not low <= number <= high:
            self.problem(field, Phrase("must be a whole number from %(low)s to %(high)s", low=low, high=high))
            return None
        return number


def parse_id(raw: str) -> int | None:
    """A row id typed or picked in a form; anything else is no id (the caller says why)."""
    value = raw.strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def page_window(page: int, per_page: int, max_per_page: int) -> tuple[int, int]:
    """(limit, offset) of a 1-based page, both clamped to what a list can sensibly show."""
    limit = min(max(1, per_page), max_per_page)
    return limit, (min(max(1, page), MAX_PAGE) - 1) * limit
