"""A contract's derived figures: revenue, costs, gross margin and margin %, in Decimal.

Pure arithmetic, so approvals, pages and tests all read the same numbers. The margin is
a fraction (0.2500 is 25%) rounded half-up to four decimals: approval thresholds are
compared against exactly what the contract page shows, never a float.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENTS = Decimal("0.01")
MARGIN_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Figures:
    revenue: Decimal
    costs: Decimal
    gross_margin: Decimal
    margin: Decimal | None  # a fraction; None when there is no revenue to divide by


def figures(lines: Iterable[tuple[int, Decimal]], sales_expense: Decimal, cost_reserve: Decimal,
            maintenance_reserve: Decimal) -> Figures:
    """The figures of (quantity, unit price) lines against the contract's cost side."""
    revenue = sum((unit_price * quantity for quantity, unit_price in lines), Decimal("0")).quantize(CENTS)
    costs = (sales_expense + cost_reserve + maintenance_reserve).quantize(CENTS)
    gross = revenue - costs
    return Figures(revenue=revenue, costs=costs, gross_margin=gross, margin=margin_of(revenue, gross))


def margin_of(revenue: Decimal, gross_margin: Decimal) -> Decimal | None:
    if revenue == 0:
        return None
    return (gross_margin / revenue).quantize(MARGIN_PLACES, rounding=ROUND_HALF_UP)
