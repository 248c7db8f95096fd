"""Activity reports: each rep's visits, calls and meetings by day, week, month or over a
chosen period, and the rankings of reps and of teams by won amount and by activity.

The counting is the visit statistics' own (``activities.statistics``: one GROUP BY per rep,
bucket and kind, in the reader's calendar days); a chosen unit narrows its rows to the
unit's people. Won amounts are one GROUP BY over ``opportunity``: an opportunity counts as
won in the period when it entered its pipeline's won end then (``stage_entered_at``, kept
by ``opportunities.tracking``). A team is the org unit a person belongs to.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, func, select, type_coerce
from sqlalchemy.orm import Session

from core.phrases import Phrase
from workflows.activities.filters import one_of
from workflows.activities.statistics import (
    StatisticsFilter,
    StatisticsRow,
    parse_statistics,
    visit_statistics,
)
from workflows.opportunities.models import Opportunity
from workflows.opportunities.queries import money_of_cents
from workflows.org.models import OrgUnit, User, UserRole
from workflows.org.visibility import Viewer
from workflows.visits.periods import first_day, following, utc_bounds

from .scope import Problems, ReportScope
from .table import Column, Table

RANKINGS = ("won", "activity")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Ranked:
    """One person's or team's figures in the period."""

    key: str  # a username, or a team's unit id
    name: str
    team_key: str  # the unit id of the person's team ("" for someone no longer a user)
    team_name: str
    people: int
    won_amount: Decimal
    won_count: int
    visits: int
    calls: int
    meetings: int

    @property
    def activities(self) -> int:
        return self.visits + self.calls + self.meetings


def parse_activity_report(session: Session, viewer: Viewer, params: Mapping[str, str],
                          today: date) -> tuple[StatisticsFilter, str, Problems]:
    """The grouping (``group``: ``unit`` names the scope's org unit here) and period, by the
    visit statistics' rules (the last four weeks by week by default), and what the rankings
    rank by; whose is the scope's (``ReportScope``)."""
    wanted = {"unit": params.get("group") or "", "since": params.get("since") or "",
              "until": params.get("until") or ""}
    f, problems = parse_statistics(session, viewer, wanted, today)
    if "unit" in problems:
        problems["group"] = problems.pop("unit")
    by = one_of((params.get("by") or "").strip(), RANKINGS, "by", problems) or RANKINGS[0]
    return f, by, problems


def activity_rows(session: Session, viewer: Viewer, scope: ReportScope, f: StatisticsFilter,
                  time_zone: str) -> list[StatisticsRow]:
    """The visit statistics of the scope's people: per bucket and rep, those with any."""
    rows = visit_statistics(session, viewer, replace(f, person=scope.person), time_zone)
    if scope.unit_id is None:
        return rows
    people = _people(session, viewer, scope)
    return [row for row in rows if row.owner in people]


def activity_table(rows: Sequence[StatisticsRow]) -> Table:
    return Table(
        columns=(Column("first", Phrase("First day"), "date"), Column("last", Phrase("Last day"), "date"),
                 Column("rep", Phrase("Rep")), Column("visits", Phrase("Visits"), "count"),
                 Column("calls", Phrase("Calls"), "count"), Column("meetings", Phrase("Meetings"), "count"),
                 Column("total", Phrase("Total"), "count")),
        rows=[(r.first, r.last, r.owner_name, r.visits, r.calls, r.meetings, r.total) for r in rows],
        totals=(None, None, Phrase("Total"), *(sum(getattr(r, name) for r in rows)
                                                for name in ("visits", "calls", "meetings", "total")))
        if rows else None,
        notes=(Phrase("Counted by the day each activity happened, in your time zone."),))


def over_time(rows: Sequence[StatisticsRow], f: StatisticsFilter) -> list[tuple[date, int, int, int]]:
    """Per day, week or month of the period, everyone's visits, calls and meetings (none in
    the buckets without any): what the chart draws over time."""
    sums: dict[date, tuple[int, int, int]] = defaultdict(lambda: (0, 0, 0))
    for row in rows:
        visits, calls, meetings = sums[row.first]
        sums[row.first] = (visits + row.visits, calls + row.calls, meetings + row.meetings)
    if f.unit == "period":
        return [(f.since, *sums[f.since])]
    buckets, first = [], first_day(f.unit, f.since)
    while first <= f.until:
        buckets.append(max(first, f.since))
        first = following(f.unit, first)
    return [(first, *sums[first]) for first in buckets]


def rankings(session: Session, viewer: Viewer, scope: ReportScope, f: StatisticsFilter, by: str,
             time_zone: str) -> tuple[list[Ranked], list[Ranked]]:
    """The scope's people and teams over the whole period, best first by won amount (then
    deals won) or by activity (visits, calls and meetings). Every active rep in the scope is
    ranked, with nothing to show or not; anyone else once they won or logged something."""
    start, end = utc_bounds(f.since, f.until + timedelta(days=1), time_zone)
    cents = type_coerce(Opportunity.amount, BigInteger)  # sum the stored cents, not Decimals
    won = {owner: (int(count), money_of_cents(amount)) for owner, count, amount in session.execute(
        select(Opportunity.owner, func.count(), func.coalesce(func.sum(cents), 0))
        .where(Opportunity.status == "won", Opportunity.stage_entered_at >= start,
               Opportunity.stage_entered_at < end, scope.condition(viewer, Opportunity.owner))
        .group_by(Opportunity.owner))}
    whole = replace(f, unit="period")
    done = {row.owner: row for row in activity_rows(session, viewer, scope, whole, time_zone)}
    reps = session.scalars(select(User.username).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == "sales_rep", User.active.is_(True), scope.condition(viewer, User.username)))
    everyone = {*won, *done, *reps}
    known = {username: (name, str(unit_id), unit) for username, name, unit_id, unit in session.execute(
        select(User.username, User.display_name, OrgUnit.id, OrgUnit.name)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id).where(User.username.in_(everyone)))}
    people = []
    for username in everyone:
        name, unit_id, unit = known.get(username, (username, "", Phrase("No team")))
        count, amount = won.get(username, (0, ZERO))
        row = done.get(username)
        people.append(Ranked(username, name, unit_id, unit, 1, amount, count, row.visits if row else 0,
                             row.calls if row else 0, row.meetings if row else 0))
    teams = [_team([p for p in people if p.team_key == key]) for key in {p.team_key for p in people}]
    measure = _measure(by)
    return (sorted(people, key=lambda p: (measure(p), p.name, p.key)),
            sorted(teams, key=lambda t: (measure(t), t.name, t.key)))


def ranking_table(ranked: Sequence[Ranked], by: str, *, teams: bool) -> Table:
    """A ranking as a table: equal figures share a rank (1, 2, 2, 4)."""
    first = (Column("team", Phrase("Team")), Column("people", Phrase("People"), "count")) if teams else \
        (Column("rep", Phrase("Rep")), Column("team", Phrase("Team")))
    measure = _measure(by)
    ranks: list[int] = []
    for i, item in enumerate(ranked):
        ranks.append(ranks[-1] if i and measure(item) == measure(ranked[i - 1]) else i + 1)
    return Table(
        columns=(Column("rank", Phrase("Rank"), "count"), *first,
                 Column("won_amount", Phrase("Won amount"), "money"),
                 Column("won_count", Phrase("Deals won"), "count"),
                 Column("visits", Phrase("Visits"), "count"), Column("calls", Phrase("Calls"), "count"),
                 Column("meetings", Phrase("Meetings"), "count"),
                 Column("activities", Phrase("Activities"), "count")),
        rows=[(rank, item.name, item.people if teams else item.team_name, item.won_amount, item.won_count,
               item.visits, item.calls, item.meetings, item.activities)
              for rank, item in zip(ranks, ranked, strict=True)],
        notes=(Phrase("Won: opportunities that reached their pipeline's won end in the period, by their "
                      "owner. Activities: visits, calls and meetings logged in the period."),))


def _measure(by: str) -> Callable[[Ranked], tuple[Any, ...]]:
    """The sort key of a ranking, best first; equal keys share a rank."""
    if by == "activity":
        return lambda item: (-item.activities,)
    return lambda item: (-item.won_amount, -item.won_count)


def _team(members: list[Ranked]) -> Ranked:
    first = members[0]
    return Ranked(key=first.team_key, name=first.team_name, team_key=first.team_key,
                  team_name=first.team_name, people=len(members),
                  won_amount=sum((m.won_amount for m in members), ZERO),
                  won_count=sum(m.won_count for m in members), visits=sum(m.visits for m in members),
                  calls=sum(m.calls for m in members), meetings=sum(m.meetings for m in members))


def _people(session: Session, viewer: Viewer, scope: ReportScope) -> set[str]:
    """The usernames the scope covers."""
    return set(session.scalars(select(User.username).where(scope.condition(viewer, User.username))))
