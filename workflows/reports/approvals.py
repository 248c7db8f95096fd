"""Approval turnaround per approver: how long each took from an approval task reaching them to
their decision, how many they decided, and how many of those they approved or rejected.

A task reaches an approver when the engine creates it for them, or when it is handed to
them later (``task_assigned``, e.g. a handover): the latest of those before the decision,
which ``approvals.tracking`` reads from the engine's history and keeps on the decision
(``reached_at``) when it records it; a decision without one is left out. Decisions are the
rows the approval keeps (``approval_decision``), in the period by the moment they were
taken (an index on that moment covers the query), in scope by the owner of the contract
decided on, so a manager sees how fast anyone decided on their own subtree's contracts.
Medians are taken in SQL with window functions, as ``engine.time_per_element`` takes them.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import CTE, ColumnElement, case, func, null, select, union_all
from sqlalchemy.orm import Session

from core.db import median, numbered, seconds_between
from core.phrases import Phrase
from workflows.approvals.models import ApprovalDecision, ApprovalRound
from workflows.contracts.models import Contract
from workflows.org.recipients import display_names
from workflows.org.visibility import Viewer
from workflows.visits.periods import day_start

from .contracts import DAY, MoneyFilter, share
from .scope import ReportScope
from .table import Column, Table

SECONDS_PER_DAY = 86400.0
NOTES = (Phrase("Time is counted from the moment the task reached the approver (created for them, or "
                "handed to them later) to their decision, in days, weekends and holidays included."),)


def turnaround(session: Session, viewer: Viewer, scope: ReportScope, f: MoneyFilter, time_zone: str) -> Table:
    """Per approver (fastest median first): decisions, approved and rejected shares, median and
    average days; the totals row is every decision together."""
    found = _figures(session, _pairs(session, viewer, scope, f, time_zone))
    per_approver = [row for row in found if row[0] is not None]
    overall = [row for row in found if row[0] is None]
    names = display_names(session, (row[0] for row in per_approver))
    rows = [(names.get(approver, approver), *rest) for approver, *rest in
            sorted(per_approver, key=lambda row: (row[4], names.get(row[0], row[0])))]
    totals = (Phrase("All approvers"), *overall[0][1:]) if overall else None
    return Table(columns=(Column("approver", Phrase("Approver")),
                          Column("decisions", Phrase("Decisions"), "count"),
                          Column("approved", Phrase("Approved"), "percent"),
                          Column("rejected", Phrase("Rejected"), "percent"),
                          Column("median", Phrase("Median days"), "days"),
                          Column("average", Phrase("Average days"), "days")),
                 rows=rows, totals=totals, notes=NOTES)


def _pairs(session: Session, viewer: Viewer, scope: ReportScope, f: MoneyFilter, time_zone: str) -> CTE:
    """Each decision in the period and scope that has a start: its approver, its decision and
    the seconds it took. Materialized, so the decisions are read once for the per-approver and
    the overall figures alike."""
    seconds = seconds_between(session, ApprovalDecision.reached_at, ApprovalDecision.decided_at)
    return (select(ApprovalDecision.approver.label("approver"), ApprovalDecision.decision.label("decision"),
                   seconds.label("seconds"))
            .join(ApprovalRound, ApprovalRound.id == ApprovalDecision.round_id)
            .join(Contract, Contract.id == ApprovalRound.contract_id)
            .where(ApprovalDecision.reached_at.is_not(None),
                   ApprovalDecision.decided_at >= day_start(f.since, time_zone),
                   ApprovalDecision.decided_at < day_start(f.until + DAY, time_zone),
                   scope.condition(viewer, Contract.owner))
            .cte("pairs").prefix_with("MATERIALIZED"))


def _figures(session: Session, pairs: CTE) -> list[tuple[Any, ...]]:
    """Per approver, and for everyone together (the row whose approver is None): decisions,
    approved and rejected shares, median and average days."""
    keyed = union_all(
        select(pairs.c.approver.label("key"), pairs.c.decision, pairs.c.seconds),
        select(null().label("key"), pairs.c.decision, pairs.c.seconds),
    ).subquery("keyed")
    ranked = select(keyed.c.key, keyed.c.decision, keyed.c.seconds,
                    *numbered(keyed.c.key, keyed.c.seconds)).cte("ranked")
    found = session.execute(
        select(ranked.c.key, func.count(), _count(ranked.c.decision == "approve"),
               _count(ranked.c.decision == "reject"), median(ranked.c.n, ranked.c.total, ranked.c.seconds),
               func.avg(ranked.c.seconds))
        .group_by(ranked.c.key)).all()
    return [(key, count, share(approved, count), share(rejected, count), _days(median), _days(average))
            for key, count, approved, rejected, median, average in found]


def _count(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _days(seconds: Any) -> float:
    """Seconds (to the whole second) as days to the hundredth, about a quarter of an hour."""
    days = Decimal(round(float(seconds or 0))) / Decimal(SECONDS_PER_DAY)
    return float(days.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
