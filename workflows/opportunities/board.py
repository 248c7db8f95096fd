"""The kanban board of one business type: a column per stage of its latest pipeline.

Columns come from the latest deployed diagram, so redrawing the pipeline redraws the
board. Opportunities still running on an older version, in a stage the latest one no
longer has, are gathered in an "other stages" column rather than dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import BigInteger, ColumnElement, and_, case, func, literal, select, type_coerce
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.phrases import Phrase
from engine import ProcessEngine
from engine.deployment import latest_definition
from workflows.org.visibility import Viewer

from .models import STATUSES, BusinessType, Opportunity
from .pipeline import Stage, stages
from .queries import OpportunityFilter, OpportunityRow, conditions, money_of_cents, row_select

CARDS_PER_COLUMN = 50
CLOSED_STATUSES = tuple(s for s in STATUSES if s != "open")
STATUS_NAMES = {"won": Phrase("Won"), "lost": Phrase("Lost"), "abandoned": Phrase("Abandoned")}


@dataclass(frozen=True)
class Column:
    """``kind`` is "open" (a stage; ``key`` its stage key), "closed" (``key`` the status)
    or "other" (open, in a stage the latest pipeline lacks). ``next`` is the key of the one
    column a card here may be dragged to in order to complete its stage."""

    key: str
    name: str
    kind: str
    probability: int
    count: int
    amount: Decimal
    cards: list[OpportunityRow]
    next: str | None = None

    @property
    def more(self) -> int:
        """Cards beyond the cap: the list shows them."""
        return self.count - len(self.cards)

    def list_params(self) -> dict[str, str]:
        return stage_list_params(self.kind, self.key)


@dataclass(frozen=True)
class Board:
    business_type_id: int
    business_type: str
    version: int | None  # of the pipeline the columns come from; None when none is deployed
    columns: list[Column]


def stage_list_params(kind: str, key: str) -> dict[str, str]:
    """The opportunity list's filter for exactly one stage's opportunities (a board column, a
    funnel row); "other stages" gets every open one, as the list has no "not in these stages"."""
    if kind == "closed":
        return {"status": key}
    return {"status": "open", "stage": key} if kind == "open" else {"status": "open"}


def latest_stages(session: Session, engine: ProcessEngine,
                  business_type: BusinessType) -> tuple[int | None, list[Stage]]:
    """The version number and stages of the business type's latest deployed pipeline."""
    definition = latest_definition(session, business_type.process_key)
    if definition is None:
        return None, []
    return definition.version, stages(engine, session, definition.id)


def board(session: Session, engine: ProcessEngine, viewer: Viewer, f: OpportunityFilter,
          per_column: int = CARDS_PER_COLUMN) -> Board:
    """The board of ``f``'s business type, narrowed by its other filters except stage and status
    (the columns are the stages and statuses); totals per column in one GROUP BY."""
    business_type = session.get(BusinessType, f.business_type_id) if f.business_type_id else None
    if business_type is None:
        raise NotFound(Phrase("This business type does not exist"))
    version, pipeline = latest_stages(session, engine, business_type)
    open_keys = [s.key for s in pipeline if not s.closed]
    where = conditions(viewer, replace(f, stage=None, status=None))
    bucket = _bucket(open_keys)
    sums = {(status, key): (count, money_of_cents(cents)) for status, key, count, cents in session.execute(
        select(Opportunity.status, bucket, func.count(),
               func.coalesce(func.sum(type_coerce(Opportunity.amount, BigInteger)), 0))
        .where(*where).group_by(Opportunity.status, bucket))}
    cards = _cards(session, where, bucket, per_column)
    columns = _columns(pipeline, sums, cards)
    return Board(business_type_id=business_type.id, business_type=business_type.name, version=version,
                 columns=columns)


def _bucket(open_keys: list[str]) -> ColumnElement[str]:
    """Within a status, which column: an open opportunity's stage if the latest pipeline has
    it, else "" (the other-stages column, or the closed column of its status)."""
    known = and_(Opportunity.status == "open", Opportunity.stage.in_(open_keys))
    return case((known, Opportunity.stage), else_=literal(""))


def _cards(session: Session, where: list[ColumnElement[bool]], bucket: ColumnElement[str],
           per_column: int) -> dict[tuple[str, str], list[OpportunityRow]]:
    """The first ``per_column`` cards of every column in one query, largest amount first (so
    the cap hides the smallest deals)."""
    rank = func.row_number().over(partition_by=(Opportunity.status, bucket),
                                  order_by=(Opportunity.amount.desc(), Opportunity.id))
    ranked = row_select().add_columns(bucket.label("bucket"), rank.label("rank")).where(*where).subquery()
    fields = [ranked.c[name] for name in OpportunityRow.__dataclass_fields__]
    found: dict[tuple[str, str], list[OpportunityRow]] = {}
    for row in session.execute(select(*fields, ranked.c.bucket).where(ranked.c.rank <= per_column)
                               .order_by(ranked.c.rank)):
        values = dict(row._mapping)
        found.setdefault((values["status"], values.pop("bucket")), []).append(OpportunityRow(**values))
    return found


def _columns(pipeline: list[Stage], sums: dict[tuple[str, str], tuple[int, Decimal]],
             cards: dict[tuple[str, str], list[OpportunityRow]]) -> list[Column]:
    """Open stages in flow order, other stages (only when there are any), then won, lost, abandoned."""
    def column(key: str, name: str, kind: str, probability: int, group: tuple[str, str],
               next_key: str | None = None) -> Column:
        count, amount = sums.get(group, (0, Decimal("0.00")))
        return Column(key=key, name=name, kind=kind, probability=probability, count=count, amount=amount,
                      cards=cards.get(group, []), next=next_key)

    open_stages = [s for s in pipeline if not s.closed]
    following = [s.key for s in open_stages] + ["won"]  # completing the last open stage wins the deal
    columns = [column(s.key, s.name, "open", s.probability, ("open", s.key), following[i + 1])
               for i, s in enumerate(open_stages)]
    if ("open", "") in sums:
        columns.append(column("", Phrase("Other stages"), "other", 0, ("open", "")))
    ends = {s.status: s for s in reversed([s for s in pipeline if s.closed])}
    for status in CLOSED_STATUSES:
        end = ends.get(status)
        columns.append(column(status, end.name if end else STATUS_NAMES[status], "closed",
                              end.probability if end else 0, (status, "")))
    return columns
