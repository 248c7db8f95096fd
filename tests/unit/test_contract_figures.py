"""A contract's revenue, gross margin and margin %, exactly in Decimal."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workflows.contracts.figures import figures


def test_revenue_costs_and_margin_add_up_exactly():
    result = figures([(2, Decimal("168000.00")), (5, Decimal("2500.00"))], Decimal("12000.00"), Decimal("180000.00"), Decimal("28430.00"))
    assert result.revenue == Decimal("348500.00") and result.costs == Decimal("220430.00")
    assert result.gross_margin == Decimal("128070.00") and result.margin == Decimal("0.3675")


@pytest.mark.parametrize(("sales", "reserve", "maintenance", "margin"), [
    ("5010.00", "80000.00", "5000.00", "0.0999"),
    ("5000.00", "80000.00", "5000.00", "0.1000"),
    ("5010.00", "70000.00", "5000.00", "0.1999"),
    ("5000.00", "70000.00", "5000.00", "0.2000"),
    ("5010.00", "60000.00", "5000.00", "0.2999"),
    ("5000.00", "60000.00", "5000.00", "0.3000"),
])
def test_the_approval_thresholds_come_out_exactly_from_real_cost_figures(sales, reserve, maintenance, margin):
    result = figures([(4, Decimal("25000.00"))], Decimal(sales), Decimal(reserve), Decimal(maintenance))
    assert result.revenue == Decimal("100000.00") and result.margin == Decimal(margin)


def test_the_margin_rounds_half_up_to_four_places():
    assert figures([(1, Decimal("10000.00"))], Decimal("9999.50"), Decimal("0"), Decimal("0")).margin == Decimal("0.0001")  # 0.00005
    assert figures([(3, Decimal("1.00"))], Decimal("2.00"), Decimal("0"), Decimal("0")).margin == Decimal("0.3333")


def test_costs_above_revenue_give_a_negative_margin():
    result = figures([(1, Decimal("10000.00"))], Decimal("12000.00"), Decimal("0"), Decimal("0"))
    assert result.gross_margin == Decimal("-2000.00") and result.margin == Decimal("-0.2000")


def test_without_revenue_there_is_no_margin_but_the_costs_still_count():
    result = figures([], Decimal("100.00"), Decimal("0.50"), Decimal("0"))
    assert result.revenue == Decimal("0.00") and result.gross_margin == Decimal("-100.50") and result.margin is None
