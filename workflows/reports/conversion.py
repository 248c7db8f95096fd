"""Stage-to-stage conversion of one pipeline: of the opportunities that entered each stage,
how many went on to a later stage, how many were won, how many were lost or abandoned there
and how many still sit there; and the median time a stay in the stage lasted.

Read from the stage history's summary (``pipeline_stay``, one row per stay, kept current in
the same transaction as each stage change: see ``reports.stays``) joined to the opportunity
for its owner and status, so the reader's scope applies to the opportunity's current owner.
One pass, grouped by stage: an opportunity entered a stage with its first stay there, and
each stay knows the stage its opportunity reached last. Stages are ranked in the order of
the latest deployed diagram, won after the last open one; an opportunity "moved on" from a
stage when the stage it reached ranks after it (reopening a lost deal returns it to the
stage it left, so a deal never goes back). Stays in stages only older versions have are
left out. The period, when given, picks the entries and stays that began in it (the reader's
calendar days); where the opportunity went afterwards counts whenever it happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, null, select, true
from sqlalchemy.orm import Session

from core.db import is_postgresql, median, numbered
from core.phrases import Phrase
from engine import ProcessEngine
from engine.deployment import latest_definition
from workflows.opportunities.models import BusinessType, Opportunity
from workflows.opportunities.pipeline import stages
from workflows.org.visibility import Viewer
from workflows.visits.periods import utc_bounds

from .funnel import PipelineFilter
from .scope import ReportScope
from .stays import PipelineStay
from .table import Column, Table

RATE = Decimal("0.0001")
SECONDS_PER_DAY = 86400.0
Bounds = tuple[datetime | None, datetime | None]  # a period's start and end moments, in UTC


@dataclass(frozen=True)
class StageFlow:
    """What became of the opportunities that entered one stage; ``element_id`` is the stage's
    user task in the diagram (for the heatmap), ``median_days`` None while no stay has ended."""

    key: str
    name: str
    element_id: str | None
    entered: int
    moved_on: int
    won: int
    dropped: int  # lost or abandoned while this was the furthest stage reached
    waiting: int  # still open here
    stays: int  # stays that ended, which the median is taken over
    median_days: float | None

    @property
    def stalled(self) -> int:
        """Entered and went no further: where deals stall."""
        return self.entered - self.moved_on

    @property
    def conversion(self) -> Decimal | None:
        return _rate(self.moved_on, self.entered)

    @property
    def win_rate(self) -> Decimal | None:
        return _rate(self.won, self.entered)


@dataclass(frozen=True)
class Conversion:
    business_type_id: int
    business_type: str
    definition_id: int | None  # the latest deployed version, whose diagram shows the heatmap
    version: int | None
    stages: list[StageFlow]  # open stages in flow order
    won: int  # opportunities that entered a won state (in the period, when given)
    won_name: str


def conversion(session: Session, engine: ProcessEngine, viewer: Viewer, scope: ReportScope,
               business_type: BusinessType, f: PipelineFilter, time_zone: str) -> Conversion:
    """The conversion of ``business_type``'s latest pipeline for the reader's scope; ``f``'s days
    are those the stays began on, in ``time_zone``."""
    definition = latest_definition(session, business_type.process_key)
    if definition is None:
        return Conversion(business_type.id, business_type.name, None, None, [], 0, Phrase("Won"))
    pipeline = stages(engine, session, definition.id)
    open_stages = [s for s in pipeline if not s.closed]
    won_keys = [s.key for s in pipeline if s.closed and s.status == "won"]
    ranks = {s.key: n for n, s in enumerate(open_stages)} | {key: len(open_stages) for key in won_keys}
    # The business type on both sides, so only its opportunities are joined, not all of them.
    where = [PipelineStay.business_type_id == business_type.id, PipelineStay.stage.in_(list(ranks)),
             Opportunity.business_type_id == business_type.id, scope.condition(viewer, Opportunity.owner)]
    found = _per_stage(session, ranks, where, _bounds(f, time_zone), len(open_stages))
    elements = {e.properties["stage"]: e.id for e in reversed(engine.outline(session, definition.id))
                if e.kind == "user_task" and e.properties.get("stage")}
    flows = []
    for s in open_stages:
        (entered, moved_on, won, dropped, waiting), (stays, median) = found.get(s.key, ((0,) * 5, (0, None)))
        flows.append(StageFlow(s.key, s.name, elements.get(s.key), entered, moved_on, won, dropped, waiting,
                               stays, median))
    won_name = next((s.name for s in pipeline if s.key in won_keys), Phrase("Won"))
    return Conversion(business_type.id, business_type.name, definition.id, definition.version, flows,
                      sum(found[key][0][0] for key in won_keys if key in found), won_name)


def conversion_table(found: Conversion) -> Table:
    columns = (Column("stage", Phrase("Stage")), Column("entered", Phrase("Entered"), "count"),
               Column("moved_on", Phrase("Moved on"), "count"),
               Column("conversion", Phrase("Conversion"), "percent"),
               Column("won", Phrase("Won"), "count"), Column("win_rate", Phrase("Win rate"), "percent"),
               Column("dropped", Phrase("Lost or abandoned here"), "count"),
               Column("waiting", Phrase("Still here"), "count"),
               Column("median_days", Phrase("Median days in stage"), "days"))
    rows: list[tuple[Any, ...]] = [
        (s.name, s.entered, s.moved_on, s.conversion, s.won, s.win_rate, s.dropped, s.waiting, s.median_days)
        for s in found.stages]
    rows.append((found.won_name, found.won, None, None, None, None, None, None, None))
    return Table(columns, rows, notes=(
        Phrase("Moved on: of the opportunities that entered the stage, those that later reached any "
               "later stage or were won."),
        Phrase("Median days in stage: over the stays that have ended; a stage entered twice counts "
               "each stay.")))


Figures = dict[str, tuple[tuple[int, int, int, int, int], tuple[int, float | None]]]


def _per_stage(session: Session, ranks: dict[str, int], where: list[ColumnElement[bool]], began: Bounds,
               won_rank: int) -> Figures:
    """Per stage: the opportunities that entered it, moved on, were won, were dropped there and
    wait there; the stays that ended and the median of their lengths in days."""
    stage, reached = _rank(ranks, PipelineStay.stage), _rank(ranks, PipelineStay.reached)
    in_period = and_(true(), *_within(PipelineStay.entered_at, began))
    entry = and_(PipelineStay.first_entry.is_(True), in_period)
    last = reached == stage
    dropped, waiting = Opportunity.status.in_(("lost", "abandoned")), Opportunity.status == "open"
    outcomes = (true(), reached > stage, reached == won_rank, and_(last, dropped), and_(last, waiting))
    ended = case((in_period, PipelineStay.seconds))  # NULL outside the period or while the stay lasts
    postgresql = is_postgresql(session)
    middle = [func.percentile_cont(0.5).within_group(ended)] if postgresql else []
    counts = [func.sum(case((and_(entry, outcome), 1), else_=0)) for outcome in outcomes]
    query = (select(PipelineStay.stage, *counts, func.count(ended), *middle)
             .join(Opportunity, Opportunity.id == PipelineStay.opportunity_id).where(*where)
             .group_by(PipelineStay.stage))
    rows = session.execute(query).all()
    medians = {row[0]: row[7] for row in rows} if postgresql else _medians(session, where, began)
    return {row[0]: ((row[1], row[2], row[3], row[4], row[5]), (row[6], _days(medians.get(row[0]))))
            for row in rows}


def _medians(session: Session, where: list[ColumnElement[bool]], began: Bounds) -> dict[str, Any]:
    """The median length of the stays that ended, per stage, where the database has no
    percentile (SQLite): the stays numbered by length, and the middle one, or the mean of the
    two middle ones, averaged."""
    stays = (select(PipelineStay.stage, PipelineStay.seconds)
             .join(Opportunity, Opportunity.id == PipelineStay.opportunity_id)
             .where(*where, PipelineStay.seconds.is_not(None), *_within(PipelineStay.entered_at, began))
             .subquery())
    ranked = select(stays.c.stage, stays.c.seconds, *numbered(stays.c.stage, stays.c.seconds)).subquery()
    return dict(session.execute(select(ranked.c.stage, median(ranked.c.n, ranked.c.total, ranked.c.seconds))
                                .group_by(ranked.c.stage)).all())


def _rank(ranks: dict[str, int], stage: Any) -> Any:
    """A stage's place in the latest pipeline (NULL for a stage it lacks)."""
    return case(ranks, value=stage, else_=null())


def _days(seconds: Any) -> float | None:
    return None if seconds is None else float(seconds) / SECONDS_PER_DAY


def _bounds(f: PipelineFilter, time_zone: str) -> Bounds:
    """The moments the period's first day starts and its last day ends, in the reader's time zone."""
    start = utc_bounds(f.first, f.first, time_zone)[0] if f.first is not None else None
    end = utc_bounds(f.last + timedelta(days=1), f.last, time_zone)[0] if f.last is not None else None
    return start, end


def _within(at: Any, bounds: Bounds) -> list[ColumnElement[bool]]:
    start, end = bounds
    return [*([at >= start] if start is not None else []), *([at < end] if end is not None else [])]


def _rate(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / whole).quantize(RATE, rounding=ROUND_HALF_UP) if whole else None

