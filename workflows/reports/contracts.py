"""Contracts and money: the amount signed per month or quarter, per product, industry, team
or rep, and how the margins of the contracts signed spread over the approval bands.

A contract counts as signed once its approval made it active. Its signing day is the day
typed on it (``signed_on``) or, where none was typed, the day it became active in the
reader's time zone. Each contract's period is worked out in SQL by a CASE over the
periods' ends (calendar days, and for the activation time the UTC moments those days
start in the reader's zone, so daylight saving needs no special care); amounts are summed
from the contract lines in integer cents, so every figure is exact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import CTE, BigInteger, ColumnElement, and_, case, func, literal, or_, select, type_coerce
from sqlalchemy.orm import Session

from core.phrases import Phrase
from workflows.accounts.models import Account
from workflows.activities.filters import one_of, period
from workflows.catalog.models import Product
from workflows.contracts.models import Contract, ContractLine
from workflows.inputs import Checker
from workflows.opportunities.queries import money_of_cents
from workflows.org.models import OrgUnit, User
from workflows.org.recipients import display_names
from workflows.org.visibility import Viewer
from workflows.visits.periods import day_start, first_day, following, on_calendar

from .scope import Problems, ReportScope
from .table import Column, Table

BUCKETS = ("month", "quarter")
SIGNED_BY = ("period", "product", "industry", "team", "rep")
MAX_MONTHS = 60  # five years of months: more than that is no longer a table a person reads
SHARE_PLACES = Decimal("0.0001")
DAY = timedelta(days=1)
CONTRACTS = Column("contracts", Phrase("Contracts"), "count")
SIGNED = Column("amount", Phrase("Signed amount"), "money")
SHARE = Column("share", Phrase("Share"), "percent")
SIGNED_NOTE = Phrase("A contract counts once its approval made it active, on the day it was signed or, "
                     "where no signing day was entered, the day it was approved.")


@dataclass(frozen=True)
class MoneyFilter:
    """Which days (both included, in the reader's calendar), in which periods, broken down how."""

    since: date
    until: date
    bucket: str = "month"
    by: str = "period"

    def params(self) -> dict[str, str]:
        """The query-string form, for export links; a report without breakdowns has no ``by``."""
        given = {"since": self.since.isoformat(), "until": self.until.isoformat(), "bucket": self.bucket,
                 "by": self.by}
        return {key: value for key, value in given.items() if value}


@dataclass(frozen=True)
class Bucket:
    """One period of a report: its first day, the first day after it, and how a table names it."""

    first: date
    after: date
    label: str


def parse_money_filter(params: Mapping[str, str], today: date, problems: Problems,
                       breakdowns: Sequence[str] = SIGNED_BY) -> MoneyFilter:
    """The filter a query string asks for; by default the twelve months up to the end of this
    one, by month, broken down by the first of ``breakdowns`` (none if there are none). A value
    that cannot be used is named in ``problems`` and left out; a period longer than five years
    is shortened to its last five."""
    raw = {key: (params.get(key) or "").strip()[:20] for key in ("since", "until", "bucket", "by")}
    since, until = period(raw["since"], raw["until"], problems)
    check = Checker()
    since, until = on_calendar(check, "since", since), on_calendar(check, "until", until)
    problems.update(check.problems)
    until = until or following("month", first_day("month", today)) - DAY
    if since is None or since > until:
        since = _months_back(first_day("month", until), 11)
    earliest = _months_back(first_day("month", until), MAX_MONTHS - 1)
    if since < earliest:
        problems["since"] = Phrase("is too long ago: at most %(count)s months are shown", count=MAX_MONTHS)
        since = earliest
    bucket = one_of(raw["bucket"], BUCKETS, "bucket", problems) or BUCKETS[0]
    by = one_of(raw["by"], breakdowns, "by", problems) or (breakdowns[0] if breakdowns else "")
    return MoneyFilter(since, until, bucket, by)


def buckets(f: MoneyFilter) -> list[Bucket]:
    """The months or quarters from the one holding ``since`` to the one holding ``until``."""
    found: list[Bucket] = []
    first = first_day("month", f.since)
    if f.bucket == "quarter":
        first = first.replace(month=(first.month - 1) // 3 * 3 + 1)
    while first <= f.until:
        after = _months_back(first, -3 if f.bucket == "quarter" else -1)
        label = (Phrase("%(year)s Q%(quarter)s", year=first.year, quarter=(first.month + 2) // 3)
                 if f.bucket == "quarter" else f"{first:%Y-%m}")
        found.append(Bucket(first, after, label))
        first = after
    return found


def cents(column: Any) -> ColumnElement[int]:
    """A money column as the integer cents it is stored as, for exact sums in SQL."""
    return type_coerce(column, BigInteger())


def money(value: Any) -> Decimal:
    """Cents summed by the database (an int, a Decimal from PostgreSQL, None over no rows)."""
    return money_of_cents(int(value or 0))


def share(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(SHARE_PLACES, ROUND_HALF_UP) if whole else None


def signed_condition(f: MoneyFilter, time_zone: str) -> ColumnElement[bool]:
    """Active contracts whose signing day falls within the filter's days."""
    return and_(Contract.status == "active", or_(
        Contract.signed_on.between(f.since, f.until),
        and_(Contract.signed_on.is_(None), Contract.activated_at >= day_start(f.since, time_zone),
             Contract.activated_at < day_start(f.until + DAY, time_zone))))


def signed_contracts(viewer: Viewer, scope: ReportScope, f: MoneyFilter, time_zone: str) -> CTE:
    """One row per contract signed in the period and in scope: id, owner, account, the index
    of its period in :func:`buckets`, revenue and costs in cents."""
    periods = buckets(f)
    by_day = case(*((Contract.signed_on < b.after, i) for i, b in enumerate(periods)), else_=None)
    by_moment = case(*((Contract.activated_at < day_start(b.after, time_zone), i)
                       for i, b in enumerate(periods)), else_=None)
    costs = cents(Contract.sales_expense) + cents(Contract.cost_reserve) + cents(Contract.maintenance_reserve)
    return (select(Contract.id.label("id"), Contract.owner.label("owner"),
                   Contract.account_id.label("account_id"),
                   case((Contract.signed_on.is_not(None), by_day), else_=by_moment).label("bucket"),
                   func.sum(cents(ContractLine.unit_price) * ContractLine.quantity).label("revenue"),
                   costs.label("costs"))
            .join(ContractLine, ContractLine.contract_id == Contract.id)
            .where(signed_condition(f, time_zone), scope.condition(viewer, Contract.owner))
            .group_by(Contract.id)  # every other contract column depends on its key
            .cte("signed"))


def signed_report(session: Session, viewer: Viewer, scope: ReportScope, f: MoneyFilter,
                  time_zone: str) -> Table:
    """The table ``f.by`` asks for: per period, or per product, industry, team or rep."""
    if f.by == "period":
        return signed_by_period(session, viewer, scope, f, time_zone)
    if f.by == "product":
        return signed_by_product(session, viewer, scope, f, time_zone)
    return signed_by_group(session, viewer, scope, f, time_zone)


def signed_by_period(session: Session, viewer: Viewer, scope: ReportScope, f: MoneyFilter,
                     time_zone: str) -> Table:
    """Contracts, signed amount and gross margin per month or quarter, every period listed."""
    signed = signed_contracts(viewer, scope, f, time_zone)
    per_bucket = session.execute(select(signed.c.bucket, func.count(), func.sum(signed.c.revenue),
                                        func.sum(signed.c.revenue - signed.c.costs))
                                 .group_by(signed.c.bucket))
    found = {bucket: (count, money(revenue), money(gross)) for bucket, count, revenue, gross in per_bucket}
    rows = []
    for index, bucket in enumerate(buckets(f)):
        count, revenue, gross = found.get(index, (0, money(0), money(0)))
        rows.append((bucket.label, count, revenue, gross, share(gross, revenue) if revenue else None))
    count = sum(row[1] for row in rows)
    revenue, gross = sum((row[2] for row in rows), money(0)), sum((row[3] for row in rows), money(0))
    return Table(columns=(Column("period", Phrase("Period")), CONTRACTS, SIGNED,
                          Column("gross_margin", Phrase("Gross margin"), "money"),
                          Column("margin", Phrase("Margin"), "percent")),
                 rows=rows, totals=(Phrase("Total"), count, revenue, gross, share(gross, revenue)),
                 notes=(SIGNED_NOTE,))


def signed_by_product(session: Session, viewer: Viewer, scope: ReportScope, f: MoneyFilter,
                      time_zone: str) -> Table:
    """Per product: the contracts that sold it, the quantity and the amount of its lines."""
    where = (signed_condition(f, time_zone), scope.condition(viewer, Contract.owner))
    amount = func.sum(cents(ContractLine.unit_price) * ContractLine.quantity)
    found = session.execute(
        select(Product.name, func.count(Contract.id.distinct()), func.sum(ContractLine.quantity), amount)
        .select_from(ContractLine).join(Contract, Contract.id == ContractLine.contract_id)
        .join(Product, Product.id == ContractLine.product_id).where(*where)
        .group_by(Product.id, Product.name).order_by(amount.desc(), Product.name)).all()
    count = session.scalar(select(func.count()).select_from(Contract).where(*where)) or 0
    total = sum((money(cents_) for *_, cents_ in found), money(0))  # every line sells one product
    rows = [(name, contracts, int(quantity or 0), money(cents_), share(money(cents_), total))
            for name, contracts, quantity, cents_ in found]
    return Table(columns=(Column("product", Phrase("Product")), CONTRACTS,
                          Column("quantity", Phrase("Quantity"), "count"), SIGNED, SHARE),
                 rows=rows, totals=(Phrase("Total"), count, None, total, share(total, total)),
                 notes=(SIGNED_NOTE, Phrase("A contract selling several products counts once under each.")))


def signed_by_group(session: Session, viewer: Viewer, scope: ReportScope, f: MoneyFilter,
                    time_zone: str) -> Table:
    """Per industry of the account, per team (the unit the owner belongs to) or per rep (the owner)."""
    signed = signed_contracts(viewer, scope, f, time_zone)
    amount = func.sum(signed.c.revenue)
    query = select(func.count(), amount).select_from(signed)
    if f.by == "industry":
        keys: tuple[Any, ...] = (Account.industry,)
        query = query.join(Account, Account.id == signed.c.account_id)
        heading = Phrase("Industry")
    elif f.by == "team":  # units of the same name elsewhere in the tree stay apart
        keys = (OrgUnit.name, OrgUnit.id)
        query = (query.outerjoin(User, User.username == signed.c.owner)
                 .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id))
        heading = Phrase("Team")
    else:
        keys = (signed.c.owner,)
        heading = Phrase("Rep")
    found = [(name, contracts, cents_) for contracts, cents_, name, *_ in session.execute(
        query.add_columns(*keys).group_by(*keys).order_by(amount.desc(), *keys))]
    names = display_names(session, (name for name, *_ in found)) if f.by == "rep" else {}
    # Each contract is in exactly one group, so the groups add up to the whole.
    count, total = sum(contracts for _, contracts, _ in found), sum((money(c) for *_, c in found), money(0))
    rows = [(_group_name(f.by, name, names), contracts, money(cents_), share(money(cents_), total))
            for name, contracts, cents_ in found]
    return Table(columns=(Column(f.by, heading), CONTRACTS, SIGNED, SHARE),
                 rows=rows, totals=(Phrase("Total"), count, total, share(total, total)), notes=(SIGNED_NOTE,))


def _group_name(by: str, name: str | None, names: Mapping[str, str]) -> str:
    if by == "rep":
        return names.get(name or "", name or "")
    if not name:
        return Phrase("No industry given") if by == "industry" else Phrase("No team")
    return name


# --- margin distribution ------------------------------------------------------------------

@dataclass(frozen=True)
class Band:
    """Margins from ``low`` (included) to ``high`` (excluded); None is open-ended."""

    low: Decimal | None
    high: Decimal | None

    @property
    def label(self) -> str:
        if self.low is None:
            return Phrase("below %(high)s", high=_percent(self.high))
        if self.high is None:
            return Phrase("%(low)s and above", low=_percent(self.low))
        return Phrase("%(low)s to %(high)s", low=_percent(self.low), high=_percent(self.high))


# The thresholds of the shipped approval route (bpmn/approvals/approval_route.dmn): below
# 30% the commercial director approves too, below 20% the service director, below 10% the
# general manager; below 0% the contract loses money.
THRESHOLDS = (Decimal("0"), Decimal("0.10"), Decimal("0.20"), Decimal("0.30"))
BANDS = tuple(Band(low, high) for low, high in zip((None, *THRESHOLDS), (*THRESHOLDS, None), strict=True))
MARGIN_NOTES = (
    Phrase("The margin is the gross margin (revenue less sales expense and reserves) over the revenue, "
           "rounded to a hundredth of a percent, as the contract page shows it and the approval route "
           "compares it."),
    Phrase("The bands follow the approval route as shipped: below 30% the commercial director approves "
           "too, below 20% the service director, below 10% the general manager."),
)


def margin_distribution(session: Session, viewer: Viewer, scope: ReportScope, f: MoneyFilter,
                        time_zone: str) -> Table:
    """Contracts signed in the period per margin band: how many and for how much."""
    signed = signed_contracts(viewer, scope, f, time_zone)
    banded = select(_band_index(signed.c.revenue, signed.c.revenue - signed.c.costs).label("band"),
                    signed.c.revenue).cte("banded")
    found = {band: (count, money(revenue)) for band, count, revenue in session.execute(
        select(banded.c.band, func.count(), func.sum(banded.c.revenue)).group_by(banded.c.band))}
    count, total = sum(c for c, _ in found.values()), sum((r for _, r in found.values()), money(0))
    rows = [(band.label, *_band_row(found.get(index), count, total)) for index, band in enumerate(BANDS)]
    if -1 in found:  # only a contract without revenue has no margin; approval refuses those
        rows.append((Phrase("no revenue"), *_band_row(found[-1], count, total)))
    return Table(columns=(Column("band", Phrase("Margin")), CONTRACTS,
                          Column("contract_share", Phrase("Share of contracts"), "percent"), SIGNED,
                          Column("amount_share", Phrase("Share of amount"), "percent")),
                 rows=rows, totals=(Phrase("Total"), count, share(count, count), total, share(total, total)),
                 notes=(SIGNED_NOTE, *MARGIN_NOTES))


def _band_row(found: tuple[int, Decimal] | None, count: int, total: Decimal) -> tuple[Any, ...]:
    band_count, amount = found or (0, money(0))
    return band_count, share(band_count, count), amount, share(amount, total)


def _band_index(revenue: Any, gross: Any) -> ColumnElement[int]:
    """The index in BANDS of the margin ``gross / revenue`` rounded half-up to four places (as
    ``figures.margin_of`` rounds it), compared in whole numbers: the rounded margin is below a
    threshold t > 0 exactly when 20000 × gross < (20000 t − 1) × revenue; at or below zero a
    tie rounds away from zero, so there the comparison includes equality."""
    whens = []
    for index, threshold in enumerate(THRESHOLDS):
        factor = literal(int(threshold * 20000) - 1, BigInteger())
        below = 20000 * gross < factor * revenue if threshold > 0 else 20000 * gross <= factor * revenue
        whens.append((below, index))
    return case((revenue <= 0, -1), *whens, else_=len(THRESHOLDS))


def _percent(fraction: Decimal | None) -> str:
    return f"{(fraction or Decimal(0)) * 100:.0f}%"


def _months_back(first: date, months: int) -> date:
    """The first of the month ``months`` before the month starting on ``first`` (negative: after)."""
    index = first.year * 12 + first.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)
