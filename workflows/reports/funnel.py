"""The sales funnel of one business type: how many opportunities, how much money and how much
of it weighted by probability sit in each stage of its latest pipeline, for the reader's
scope and an expected-close-date period.

One GROUP BY over ``opportunity`` (the stage columns the pipeline keeps current), on the
``ix_opportunity_board`` index; stages come from the deployed diagram, so redrawing the
pipeline redraws the funnel. Open opportunities in a stage the latest version lacks (still
running on an older one) are counted as "other stages" rather than dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, ColumnElement, and_, case, func, literal, select, type_coerce
from sqlalchemy.orm import Session

from core.phrases import Phrase
from engine import ProcessEngine
from workflows.inputs import Checker, parse_id
from workflows.opportunities.board import CLOSED_STATUSES, STATUS_NAMES, latest_stages, stage_list_params
from workflows.opportunities.models import BusinessType, Opportunity
from workflows.opportunities.queries import money_of_cents
from workflows.opportunities.service import business_types
from workflows.org.visibility import Viewer

from .scope import Problems, ReportScope
from .table import Column, Table

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class PipelineFilter:
    """Which pipeline (a business type) and which days; ``None`` means any day."""

    business_type_id: int | None = None
    first: date | None = None
    last: date | None = None


@dataclass(frozen=True)
class FunnelStage:
    """One row of the funnel. ``kind`` is "open" (``key`` a stage), "other" (open, in a stage
    the latest pipeline lacks) or "closed" (``key`` the status: won, lost, abandoned)."""

    key: str
    name: str
    kind: str
    probability: int
    count: int
    amount: Decimal
    weighted: Decimal

    def list_params(self) -> dict[str, str]:
        return stage_list_params(self.kind, self.key)


@dataclass(frozen=True)
class Funnel:
    business_type_id: int
    business_type: str
    version: int | None  # of the pipeline the stages come from; None when none is deployed
    stages: list[FunnelStage]

    @property
    def open_stages(self) -> list[FunnelStage]:
        return [s for s in self.stages if s.kind != "closed"]

    def stage(self, key: str) -> FunnelStage | None:
        return next((s for s in self.stages if s.key == key), None)


def pick_business_type(session: Session, raw: str, problems: Problems) -> BusinessType | None:
    """The business type a query string names, else the first active one (None when none exists)."""
    types = business_types(session, active_only=False)
    wanted = parse_id(raw.strip()) if raw.strip() else None
    chosen = next((t for t in types if t.id == wanted), None)
    if raw.strip() and chosen is None:
        problems["business_type"] = Phrase("is not a business type")
    return chosen or next((t for t in types if t.active), None)


def parse_days(params: Mapping[str, str], keys: tuple[str, str], problems: Problems) -> tuple[date | None,
                                                                                             date | None]:
    """A period's first and last day (both included) under ``keys``; a last day before the first
    is named and left out."""
    check = Checker()
    first, last = (check.date(key, (params.get(key) or "").strip()) for key in keys)
    problems.update(check.problems)
    if first is not None and last is not None and last < first:
        problems[keys[1]] = Phrase("must not be before the first day")
        return first, None
    return first, last


def funnel(session: Session, engine: ProcessEngine, viewer: Viewer, scope: ReportScope,
           business_type: BusinessType, f: PipelineFilter) -> Funnel:
    """Opportunities per stage of ``business_type``'s latest pipeline, then won, lost and
    abandoned; ``f``'s days are the expected close date's."""
    version, pipeline = latest_stages(session, engine, business_type)
    open_stages = [s for s in pipeline if not s.closed]
    bucket = case((and_(Opportunity.status == "open", Opportunity.stage.in_([s.key for s in open_stages])),
                   Opportunity.stage), else_=literal(""))
    cents = type_coerce(Opportunity.amount, BigInteger)  # sum the stored cents, not Decimals
    query = (select(Opportunity.status, bucket, func.count(), func.coalesce(func.sum(cents), 0),
                    func.coalesce(func.sum(cents * Opportunity.probability), 0))
             .where(*_conditions(viewer, scope, business_type.id, f))
             .group_by(Opportunity.status, bucket))
    sums = {(status, key): (count, money_of_cents(amount), money_of_cents(Decimal(weighted) / HUNDRED))
            for status, key, count, amount, weighted in session.execute(query)}

    def row(key: str, name: str, kind: str, probability: int, group: tuple[str, str]) -> FunnelStage:
        count, amount, weighted = sums.get(group, (0, Decimal("0.00"), Decimal("0.00")))
        return FunnelStage(key, name, kind, probability, count, amount, weighted)

    rows = [row(s.key, s.name, "open", s.probability, ("open", s.key)) for s in open_stages]
    if ("open", "") in sums:
        rows.append(row("", Phrase("Other stages"), "other", 0, ("open", "")))
    ends = {s.status: s for s in reversed([s for s in pipeline if s.closed])}
    for status in CLOSED_STATUSES:
        end = ends.get(status)
        rows.append(row(status, end.name if end else STATUS_NAMES[status], "closed",
                        end.probability if end else (100 if status == "won" else 0), (status, "")))
    return Funnel(business_type.id, business_type.name, version, rows)


def funnel_table(found: Funnel) -> Table:
    """Every row of the funnel, totalled over the open pipeline (closed rows are not in the total)."""
    columns = (Column("stage", Phrase("Stage")), Column("probability", Phrase("Probability"), "percent"),
               Column("count", Phrase("Opportunities"), "count"), Column("amount", Phrase("Amount"), "money"),
               Column("weighted", Phrase("Weighted amount"), "money"))
    rows = [(s.name, Decimal(s.probability) / HUNDRED if s.kind != "other" else None, s.count, s.amount,
             s.weighted) for s in found.stages]
    pipeline = found.open_stages
    totals = (Phrase("Open pipeline"), None, sum(s.count for s in pipeline),
              sum((s.amount for s in pipeline), Decimal("0.00")),
              sum((s.weighted for s in pipeline), Decimal("0.00")))
    return Table(columns, rows, totals, notes=(
        Phrase("Weighted amount: each opportunity's amount times its stage's probability."),))


def _conditions(viewer: Viewer, scope: ReportScope, business_type_id: int,
                f: PipelineFilter) -> list[ColumnElement[bool]]:
    where = [Opportunity.business_type_id == business_type_id, scope.condition(viewer, Opportunity.owner)]
    if f.first is not None:
        where.append(Opportunity.expected_close_date >= f.first)
    if f.last is not None:
        where.append(Opportunity.expected_close_date <= f.last)
    return where
