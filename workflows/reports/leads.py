"""Lead reports: the leads created in a period by source, by region and by how they were
assigned, each with how many were converted; leads and accounts gone 7, 15, 30 and 60 days
without contact; and each rep's lead-to-opportunity and lead-to-customer conversion.

Each table is one GROUP BY over ``lead`` (the period on ``ix_lead_created_owner``); the
no-contact bands use the cadence's own definition (``follow_up_status.not_contacted``) over
its indexed ``followup_since`` column. How a lead was assigned is ``lead.assigned_via``,
which every assignment path sets (migration 0025 classified older leads best effort).

Whose leads: those whose owner is in the scope; with no unit or person chosen, also those
waiting in the reader's pools (nobody owns them yet, yet they are the reader's to see).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, exists, func, select
from sqlalchemy.orm import Session

from core.phrases import Phrase
from workflows.accounts.cadence import not_contacted_for as account_not_contacted_for
from workflows.accounts.models import Account
from workflows.activities.filters import period
from workflows.contracts.models import Contract
from workflows.leads.follow_up_status import NO_CONTACT_DAYS
from workflows.leads.follow_up_status import not_contacted_for as lead_not_contacted_for
from workflows.leads.models import ASSIGNED_VIA, SOURCES, Lead
from workflows.leads.service import pooled_condition
from workflows.opportunities.models import Opportunity
from workflows.org.recipients import display_names
from workflows.org.visibility import Viewer
from workflows.visits.periods import first_day, preceding, utc_bounds

from .scope import Problems, ReportScope
from .table import Column, Table

# The longest period of creation a report reads: five years tell all a lead report can.
MAX_DAYS = 5 * 366
MAX_REGIONS = 25  # the rest are summed in one row: regions are typed freely, so they are many
RATE_PLACES = Decimal("0.0001")

SOURCE_NAMES = {
    "website": Phrase("Website"), "wechat": Phrase("WeChat"), "phone_in": Phrase("Phone (inbound)"),
    "phone_out": Phrase("Phone (outbound)"), "event": Phrase("Event sign-up"),
    "business_card": Phrase("Business card"), "referral": Phrase("Referral"),
    "existing_customer": Phrase("Existing customer"), "import": Phrase("Import"),
    "manual": Phrase("Entered by hand"),
}
WAITING, NOT_RECORDED = "waiting", "unknown"
ASSIGNMENT_NAMES = {
    "rule": Phrase("By the assignment rules"), "manager": Phrase("By a manager, by hand"),
    "pool": Phrase("Claimed from a pool"), "entered": Phrase("Entered by the rep for themselves"),
    "handover": Phrase("Handed over from a leaver"), WAITING: Phrase("Not assigned: waiting in a pool"),
    NOT_RECORDED: Phrase("Not recorded"),
}
CONVERSION_DEFINITION = Phrase(
    "Of the leads created in the period that a rep has (a converted lead stays with the rep who "
    "converted it; leads waiting in a pool have no rep): converted means turned into an account; "
    "became an opportunity means converted and an opportunity was opened on its account at the "
    "conversion or later; became a customer means converted and its account then won an opportunity "
    "or had a contract approved (active) that was opened at the conversion or later. Rates are of "
    "all the rep's leads of the period.")


@dataclass(frozen=True)
class LeadPeriod:
    """The days of creation a lead report counts, both included, in the reader's time zone."""

    since: date
    until: date

    def params(self) -> dict[str, str]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat()}


@dataclass(frozen=True)
class NoContactBand:
    """Leads and accounts being worked that went ``days`` or more without contact."""

    days: int
    leads: int
    accounts: int


def parse_lead_period(params: Mapping[str, str], today: date, problems: Problems) -> LeadPeriod:
    """The period a query string asks for; by default this month and the two before it."""
    since, until = period((params.get("since") or "").strip(), (params.get("until") or "").strip(), problems)
    until = until or today
    if since is None or since > until:
        since = preceding("month", preceding("month", first_day("month", until)))
    if (until - since).days >= MAX_DAYS:
        problems["since"] = Phrase("is too long ago: at most %(count)s days are shown", count=MAX_DAYS)
        since = until - timedelta(days=MAX_DAYS - 1)
    return LeadPeriod(since, until)


def by_source(session: Session, viewer: Viewer, scope: ReportScope, f: LeadPeriod, time_zone: str) -> Table:
    """Leads created in the period per source, with how many were converted and the rate."""
    rows = _counted(session, Lead.source, _created(viewer, scope, f, time_zone))
    order = {source: i for i, source in enumerate(SOURCES)}
    keys = sorted(rows, key=lambda key: (-rows[key][0], order.get(key, len(order)), key))
    return _conversion_table(Column("source", Phrase("Source")),
                             [(SOURCE_NAMES.get(key, key), *rows[key]) for key in keys])


def by_region(session: Session, viewer: Viewer, scope: ReportScope, f: LeadPeriod, time_zone: str) -> Table:
    """Leads created in the period per region (the most frequent ones, the rest summed)."""
    rows = _counted(session, Lead.region, _created(viewer, scope, f, time_zone))
    keys = sorted(rows, key=lambda key: (-rows[key][0], key))
    shown: list[tuple[str, int, int]] = [(key or Phrase("No region given"), *rows[key])
                                         for key in keys[:MAX_REGIONS]]
    rest = keys[MAX_REGIONS:]
    if rest:
        shown.append((Phrase("All other regions (%(count)s)", count=len(rest)),
                      sum(rows[key][0] for key in rest), sum(rows[key][1] for key in rest)))
    return _conversion_table(Column("region", Phrase("Region")), shown)


def by_assignment(session: Session, viewer: Viewer, scope: ReportScope, f: LeadPeriod,
                  time_zone: str) -> Table:
    """Leads created in the period by how their owner came to have them (or that none has yet)."""
    how = case((Lead.owner.is_(None), WAITING), else_=func.coalesce(Lead.assigned_via, NOT_RECORDED))
    rows = _counted(session, how, _created(viewer, scope, f, time_zone))
    keys = [*ASSIGNED_VIA, WAITING, *([NOT_RECORDED] if NOT_RECORDED in rows else [])]
    return _conversion_table(Column("assignment", Phrase("How it was assigned")),
                             [(ASSIGNMENT_NAMES[key], *rows.get(key, (0, 0))) for key in keys],
                             notes=(Phrase("How a lead was assigned is recorded as it happens. Leads from "
                                           "before that was recorded were classified from what was known "
                                           "(pool claims, handovers, who entered them, a team the rules "
                                           "chose), so a few of them may be counted under the wrong way."),))


def no_contact(session: Session, viewer: Viewer, scope: ReportScope, now: datetime) -> list[NoContactBand]:
    """Leads and accounts being worked in the scope that went 7, 15, 30 and 60 days or more
    without contact: one count per band and kind, by the cadence's own definition."""
    counts: dict[str, list[int]] = {}
    for name, model, not_contacted_for in (("leads", Lead, lead_not_contacted_for),
                                           ("accounts", Account, account_not_contacted_for)):
        bands = [func.coalesce(func.sum(case((not_contacted_for(days, now), 1), else_=0)), 0)
                 for days in NO_CONTACT_DAYS]
        found = session.execute(select(*bands).where(
            not_contacted_for(NO_CONTACT_DAYS[0], now), scope.condition(viewer, model.owner))).one()
        counts[name] = [int(value) for value in found]
    found_bands = zip(NO_CONTACT_DAYS, counts["leads"], counts["accounts"], strict=True)
    return [NoContactBand(days, leads, accounts) for days, leads, accounts in found_bands]


def no_contact_table(bands: Sequence[NoContactBand]) -> Table:
    return Table(columns=(Column("days", Phrase("Without contact")),
                          Column("leads", Phrase("Leads"), "count"),
                          Column("accounts", Phrase("Accounts"), "count")),
                 rows=[(Phrase("%(days)s days or more", days=band.days), band.leads, band.accounts)
                       for band in bands],
                 notes=(Phrase("Counted from the last call, visit or meeting, or from when the owner got it; "
                               "leads being worked (new, working, qualified) and accounts with an owner."),))


def conversion_per_rep(session: Session, viewer: Viewer, scope: ReportScope, f: LeadPeriod,
                       time_zone: str) -> Table:
    """Per rep, of their leads created in the period: how many were converted, became an
    opportunity and became a customer (see ``CONVERSION_DEFINITION``), with the rates."""
    converted = Lead.status == "converted"
    since_conversion = Opportunity.created_at >= Lead.converted_at
    opportunity = converted & (Lead.opportunity_id.is_not(None) | exists().where(
        Opportunity.account_id == Lead.account_id, since_conversion))
    customer = converted & (
        exists().where(Opportunity.account_id == Lead.account_id, Opportunity.status == "won",
                       since_conversion)
        | exists().where(Contract.account_id == Lead.account_id, Contract.status == "active",
                         Contract.created_at >= Lead.converted_at))
    start, end = utc_bounds(f.since, f.until + timedelta(days=1), time_zone)
    query = (select(Lead.owner, func.count(), *(_how_many(c) for c in (converted, opportunity, customer)))
             .where(Lead.created_at >= start, Lead.created_at < end, Lead.owner.is_not(None),
                    scope.condition(viewer, Lead.owner))
             .group_by(Lead.owner))
    found = {owner: (int(n), int(c), int(o), int(w)) for owner, n, c, o, w in session.execute(query)}
    names = display_names(session, found)
    owners = sorted(found, key=lambda owner: (names.get(owner, owner), owner))
    rows = [(names.get(owner, owner), *found[owner], _rate(found[owner][2], found[owner][0]),
             _rate(found[owner][3], found[owner][0])) for owner in owners]
    totals = [sum(found[owner][i] for owner in owners) for i in range(4)]
    return Table(
        columns=(Column("rep", Phrase("Rep")), Column("leads", Phrase("Leads"), "count"),
                 Column("converted", Phrase("Converted"), "count"),
                 Column("opportunities", Phrase("Became an opportunity"), "count"),
                 Column("customers", Phrase("Became a customer"), "count"),
                 Column("opportunity_rate", Phrase("Lead to opportunity"), "percent"),
                 Column("customer_rate", Phrase("Lead to customer"), "percent")),
        rows=rows,
        totals=(Phrase("Total"), *totals, _rate(totals[2], totals[0]), _rate(totals[3], totals[0])) if rows
        else None,
        notes=(CONVERSION_DEFINITION,))


def _created(viewer: Viewer, scope: ReportScope, f: LeadPeriod, time_zone: str) -> list[ColumnElement[bool]]:
    """Leads created in the period whose owner is in the scope, or (no unit or person chosen)
    that wait in one of the reader's pools."""
    start, end = utc_bounds(f.since, f.until + timedelta(days=1), time_zone)
    whose = scope.condition(viewer, Lead.owner)
    if scope.unit_id is None and scope.person is None:
        whose = whose | pooled_condition(viewer)
    return [Lead.created_at >= start, Lead.created_at < end, whose]


def _counted(session: Session, key: Any, where: list[ColumnElement[bool]]) -> dict[str, tuple[int, int]]:
    """``key`` → (leads, converted ones) over the leads ``where`` picks, in one GROUP BY."""
    query = select(key, func.count(), _how_many(Lead.status == "converted")).where(*where).group_by(key)
    return {value: (int(count), int(converted)) for value, count, converted in session.execute(query)}


def _how_many(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _rate(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(RATE_PLACES) if whole else None


def _conversion_table(first: Column, rows: Sequence[tuple[Any, int, int]],
                      notes: Sequence[Phrase] = ()) -> Table:
    """Rows of (label, leads, converted) with the conversion rate, and their totals."""
    leads, converted = sum(row[1] for row in rows), sum(row[2] for row in rows)
    return Table(
        columns=(first, Column("leads", Phrase("Leads"), "count"),
                 Column("converted", Phrase("Converted"), "count"),
                 Column("rate", Phrase("Conversion rate"), "percent")),
        rows=[(label, count, done, _rate(done, count)) for label, count, done in rows],
        totals=(Phrase("Total"), leads, converted, _rate(converted, leads)),
        notes=notes)
