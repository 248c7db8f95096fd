"""Read side of opportunities: the filtered, sorted, paged list and its totals, in SQL.

Every query is scoped by the record-visibility rule and reads opportunity rows (with
the account, business type and owner names joined), never workflow state: the stage
columns are copies the pipeline keeps up to date (see ``tracking``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, func, select, type_coerce
from sqlalchemy.orm import Session

from core.phrases import Phrase
from workflows.accounts.models import Account
from workflows.org.models import User
from workflows.org.visibility import Viewer, owner_condition, visible_usernames, within_unit

from .models import STATUSES, BusinessType, Opportunity

FILTER_KEYS = ("business_type", "stage", "status", "unit", "owner", "close_from", "close_to", "q")
VIEW_KEYS = (*FILTER_KEYS, "sort", "desc")  # what a saved view keeps: filters and order, not the page
SORTS: dict[str, tuple[Any, ...]] = {
    "name": (Opportunity.name,), "account": (Account.name,), "business_type": (BusinessType.name,),
    "stage": (Opportunity.probability, Opportunity.stage_name),  # pipelines advance as probability grows
    "probability": (Opportunity.probability,), "amount": (Opportunity.amount,),
    "close": (Opportunity.expected_close_date,), "owner": (Opportunity.owner,),
    "status": (Opportunity.status,),
}
DEFAULT_SORT = "close"  # what closes soonest first: the question a pipeline list answers
PER_PAGE = 25
MAX_TEXT = 200
MAX_ID = 2**31 - 1  # larger ids cannot exist and would overflow PostgreSQL's integer
MAX_OWNERS = 500
CENT = Decimal("0.01")


@dataclass(frozen=True)
class OpportunityFilter:
    """Which opportunities, in what order, which page; ``None`` means "any"."""

    business_type_id: int | None = None
    stage: str | None = None
    status: str | None = None
    unit_id: int | None = None  # the owner works in this org unit or below it
    owner: str | None = None
    close_from: date | None = None
    close_to: date | None = None
    text: str | None = None
    sort: str = DEFAULT_SORT
    descending: bool = False
    page: int = 1
    per_page: int = PER_PAGE

    def params(self) -> dict[str, str]:
        """The query-string form of the filters and order (not the page): for links and saved views."""
        values = {"business_type": self.business_type_id, "stage": self.stage, "status": self.status,
                  "unit": self.unit_id, "owner": self.owner, "close_from": self.close_from,
                  "close_to": self.close_to, "q": self.text,
                  "sort": self.sort if self.sort != DEFAULT_SORT else None,
                  "desc": "1" if self.descending else None}
        return {key: str(value) for key, value in values.items() if value is not None}


@dataclass(frozen=True)
class OpportunityRow:
    """One line of the list, or one card of the board."""

    id: int
    name: str
    account: str
    business_type: str
    stage: str
    stage_name: str
    probability: int
    amount: Decimal
    expected_close_date: date | None
    owner: str
    owner_name: str
    status: str
    stage_entered_at: datetime | None


@dataclass(frozen=True)
class Totals:
    """The whole filtered set, not just the page: how many, how much, how much weighted by probability."""

    count: int
    amount: Decimal
    weighted: Decimal


@dataclass(frozen=True)
class ListPage:
    rows: list[OpportunityRow]
    totals: Totals
    page: int
    pages: int


def parse_filter(params: Mapping[str, str]) -> tuple[OpportunityFilter, dict[str, str]]:
    """The filter a query string asks for; each value it cannot use is left out and named
    with the reason, so a bad link narrows nothing and breaks nothing."""
    problems: dict[str, str] = {}
    raw = {key: (params.get(key) or "").strip() for key in (*VIEW_KEYS, "page")}
    business_type, unit = _number(raw["business_type"]), _number(raw["unit"])
    if raw["business_type"] and business_type is None:
        problems["business_type"] = Phrase("is not a business type")
    if raw["unit"] and unit is None:
        problems["unit"] = Phrase("is not an org unit")
    if raw["status"] and raw["status"] not in STATUSES:
        problems["status"] = Phrase("is not one of the allowed values")
    dates = {key: _date(raw[key], key, problems) for key in ("close_from", "close_to")}
    found = OpportunityFilter(
        business_type_id=business_type,
        stage=raw["stage"][:100] or None,
        status=raw["status"] if raw["status"] and "status" not in problems else None,
        unit_id=unit,
        owner=raw["owner"].lower()[:100] or None,
        close_from=dates["close_from"], close_to=dates["close_to"],
        text=raw["q"][:MAX_TEXT] or None,
        sort=raw["sort"] if raw["sort"] in SORTS else DEFAULT_SORT,
        descending=raw["desc"] == "1",
        page=max(1, _number(raw["page"]) or 1),
    )
    return found, problems


def conditions(viewer: Viewer, f: OpportunityFilter) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a filter, always including what the viewer may see."""
    where = [owner_condition(viewer, Opportunity.owner)]
    if f.business_type_id is not None:
        where.append(Opportunity.business_type_id == f.business_type_id)
    if f.stage:
        where.append(Opportunity.stage == f.stage)
    if f.status:
        where.append(Opportunity.status == f.status)
    if f.unit_id is not None:
        where.append(within_unit(Opportunity.owner, f.unit_id))
    if f.owner:
        where.append(Opportunity.owner == f.owner)
    if f.close_from:
        where.append(Opportunity.expected_close_date >= f.close_from)
    if f.close_to:
        where.append(Opportunity.expected_close_date <= f.close_to)
    if f.text:
        where.append(Opportunity.name.icontains(f.text, autoescape=True))
    return where


def row_select() -> Select[*tuple[Any, ...]]:
    """The columns of an ``OpportunityRow``, with the names they show joined in."""
    return (select(Opportunity.id, Opportunity.name, Account.name.label("account"),
                   BusinessType.name.label("business_type"), Opportunity.stage, Opportunity.stage_name,
                   Opportunity.probability, Opportunity.amount, Opportunity.expected_close_date,
                   Opportunity.owner, func.coalesce(User.display_name, Opportunity.owner).label("owner_name"),
                   Opportunity.status, Opportunity.stage_entered_at)
            .join(Account, Account.id == Opportunity.account_id)
            .join(BusinessType, BusinessType.id == Opportunity.business_type_id)
            .outerjoin(User, User.username == Opportunity.owner))


def list_opportunities(session: Session, viewer: Viewer, f: OpportunityFilter) -> list[OpportunityRow]:
    """One page of the filtered list, in the filter's order (ties broken by id, so pages never overlap)."""
    columns = SORTS.get(f.sort, SORTS[DEFAULT_SORT])
    order = [(c.desc() if f.descending else c.asc()).nulls_last() for c in columns]
    query = (row_select().where(*conditions(viewer, f)).order_by(*order, Opportunity.id)
             .limit(f.per_page).offset((f.page - 1) * f.per_page))
    return [OpportunityRow(**row._mapping) for row in session.execute(query)]


def totals(session: Session, viewer: Viewer, f: OpportunityFilter) -> Totals:
    """Count, amount and probability-weighted amount of everything the filter matches, in one query."""
    cents = type_coerce(Opportunity.amount, BigInteger)  # sum the stored cents, not Decimals
    count, amount, weighted = session.execute(
        select(func.count(), func.coalesce(func.sum(cents), 0),
               func.coalesce(func.sum(cents * Opportunity.probability), 0))
        .select_from(Opportunity).where(*conditions(viewer, f))).one()
    return Totals(count=count, amount=money_of_cents(amount),
                  weighted=money_of_cents(Decimal(weighted) / 100))


def opportunity_page(session: Session, viewer: Viewer, f: OpportunityFilter) -> ListPage:
    """The list as a page shows it: totals first, so a page past the end shows the last one."""
    found = totals(session, viewer, f)
    pages = max(1, -(-found.count // f.per_page))
    current = replace(f, page=min(f.page, pages))
    return ListPage(rows=list_opportunities(session, viewer, current), totals=found,
                    page=current.page, pages=pages)


def owner_choices(session: Session, viewer: Viewer) -> list[tuple[str, str]]:
    """(username, display name) of everyone whose opportunities the viewer may see."""
    return [(username, name) for username, name in session.execute(
        select(User.username, User.display_name).where(User.username.in_(visible_usernames(viewer)))
        .order_by(User.display_name).limit(MAX_OWNERS))]


def money_of_cents(cents: int | Decimal) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _number(raw: str) -> int | None:
    """A whole number small enough to be an id or a page; anything else is None."""
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_ID))):
        return None
    return int(raw) if int(raw) <= MAX_ID else None


def _date(raw: str, key: str, problems: dict[str, str]) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems[key] = Phrase("must be a date (YYYY-MM-DD)")
        return None
