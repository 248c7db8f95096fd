"""What the report builder may read: per object its table, the owner column every run is scoped
by, and the allow-list of fields with their kinds. Nothing outside this list reaches SQL, so a
report definition (a query string, a saved JSON) can name fields but never write a query.

Kinds decide which operators a filter may use, how a value is typed, whether a field can
group and be summed: ``text``, ``choice`` (a fixed set of codes), ``person`` (a username),
``number`` (whole), ``money`` (Decimal), ``date`` and ``datetime`` (stored in UTC, read on
the reader's calendar).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, FromClause, func, select, type_coerce
from sqlalchemy.orm import InstrumentedAttribute, QueryableAttribute

from core.db import Money
from core.phrases import Phrase
from workflows.accounts.models import ACCOUNT_TYPES, CATEGORIES, CREDIT_RATINGS, Account
from workflows.activities.models import KINDS as ACTIVITY_KINDS
from workflows.activities.models import SUBJECTS, Activity
from workflows.contracts.models import STATUSES as CONTRACT_STATUSES
from workflows.contracts.models import Contract, ContractLine, ContractType, Instalment
from workflows.leads.models import RATINGS, SIZES, Lead
from workflows.leads.models import SOURCES as LEAD_SOURCES
from workflows.leads.models import STATUSES as LEAD_STATUSES
from workflows.opportunities.models import SOURCES as OPPORTUNITY_SOURCES
from workflows.opportunities.models import STATUSES as OPPORTUNITY_STATUSES
from workflows.opportunities.models import BusinessType, Opportunity

NUMERIC = ("number", "money")
DATED = ("date", "datetime")
# The operators a filter on each kind may use; "between" takes two values, "empty" none.
OPERATORS: dict[str, Phrase] = {
    "equals": Phrase("equals"), "contains": Phrase("contains"), "at_least": Phrase("at least"),
    "at_most": Phrase("at most"), "before": Phrase("before"), "after": Phrase("after"),
    "between": Phrase("between"), "empty": Phrase("is empty"), "not_empty": Phrase("is not empty"),
}
KIND_OPERATORS: dict[str, tuple[str, ...]] = {
    "text": ("equals", "contains", "empty", "not_empty"),
    "choice": ("equals", "empty", "not_empty"),
    "person": ("equals", "empty", "not_empty"),
    "number": ("equals", "at_least", "at_most", "between", "empty", "not_empty"),
    "money": ("equals", "at_least", "at_most", "between", "empty", "not_empty"),
    "date": ("equals", "before", "after", "between", "empty", "not_empty"),
    "datetime": ("equals", "before", "after", "between", "empty", "not_empty"),
}
NO_VALUE = ("empty", "not_empty")
TWO_VALUES = ("between",)
# Dated fields group by a period of the reader's calendar; each bucket is a sortable label.
PERIODS: dict[str, Phrase] = {"month": Phrase("by month"), "quarter": Phrase("by quarter"),
                              "year": Phrase("by year")}
AGGREGATES: dict[str, Phrase] = {"count": Phrase("Count of records"), "sum": Phrase("Sum"),
                                 "avg": Phrase("Average")}
CHARTS: dict[str, Phrase] = {"bar": Phrase("Bar chart"), "line": Phrase("Line chart"),
                             "pie": Phrase("Pie chart"), "none": Phrase("No chart")}


@dataclass(frozen=True)
class Field:
    """One field a report may show, filter, group or sum; ``join`` names the object's join it needs."""

    key: str
    label: Phrase
    kind: str
    column: ColumnElement[Any]
    choices: tuple[str, ...] = ()
    groupable: bool = False
    join: str | None = None

    @property
    def operators(self) -> tuple[str, ...]:
        return KIND_OPERATORS[self.kind]


@dataclass(frozen=True)
class ReportObject:
    """A kind of record: its model, whose it is (the visibility rule's column), its fields and
    the outer joins some fields read (an account's name, a contract's revenue)."""

    key: str
    label: Phrase
    model: type[Any]
    owner: InstrumentedAttribute[Any]
    fields: Mapping[str, Field]
    joins: Mapping[str, tuple[FromClause, ColumnElement[bool]]] = field(default_factory=dict)
    default_columns: tuple[str, ...] = ()


def _c(attribute: QueryableAttribute[Any]) -> ColumnElement[Any]:
    """A mapped column as the SQL expression a query selects, filters and groups by."""
    return attribute.expression


def _fields(*fields: Field) -> dict[str, Field]:
    return {f.key: f for f in fields}


def _money(expression: ColumnElement[Any]) -> ColumnElement[Any]:
    """A sum of cents read back as Decimal, like a Money column (0 where nothing is summed)."""
    return type_coerce(func.coalesce(expression, 0), Money())


def _opportunities() -> ReportObject:
    joins = {"account": (Account.__table__, Account.id == Opportunity.account_id),
             "business_type": (BusinessType.__table__, BusinessType.id == Opportunity.business_type_id)}
    fields = _fields(
        Field("name", Phrase("Name"), "text", _c(Opportunity.name)),
        Field("account", Phrase("Account"), "text", _c(Account.name), groupable=True, join="account"),
        Field("business_type", Phrase("Business type"), "text", _c(BusinessType.name), groupable=True,
              join="business_type"),
        Field("stage_name", Phrase("Stage"), "text", _c(Opportunity.stage_name), groupable=True),
        Field("status", Phrase("Status"), "choice", _c(Opportunity.status), OPPORTUNITY_STATUSES, True),
        Field("source", Phrase("Source"), "choice", _c(Opportunity.source), OPPORTUNITY_SOURCES, True),
        Field("amount", Phrase("Amount"), "money", _c(Opportunity.amount)),
        Field("probability", Phrase("Probability (%)"), "number", _c(Opportunity.probability),
              groupable=True),
        Field("expected_close_date", Phrase("Expected close"), "date", _c(Opportunity.expected_close_date),
              groupable=True),
        Field("owner", Phrase("Owner"), "person", _c(Opportunity.owner), groupable=True),
        Field("created_at", Phrase("Created"), "datetime", _c(Opportunity.created_at), groupable=True),
        Field("stage_entered_at", Phrase("In this stage since"), "datetime", _c(Opportunity.stage_entered_at),
              groupable=True),
    )
    return ReportObject("opportunities", Phrase("Opportunities"), Opportunity, Opportunity.owner, fields,
                        joins, ("name", "account", "stage_name", "amount", "expected_close_date", "owner"))


def _leads() -> ReportObject:
    fields = _fields(
        Field("name", Phrase("Name"), "text", _c(Lead.name)),
        Field("company", Phrase("Company"), "text", _c(Lead.company)),
        Field("region", Phrase("Region"), "text", _c(Lead.region), groupable=True),
        Field("industry", Phrase("Industry"), "text", _c(Lead.industry), groupable=True),
        Field("size", Phrase("Company size"), "choice", _c(Lead.size), SIZES, True),
        Field("source", Phrase("Source"), "choice", _c(Lead.source), LEAD_SOURCES, True),
        Field("rating", Phrase("Rating"), "choice", _c(Lead.rating), RATINGS, True),
        Field("status", Phrase("Status"), "choice", _c(Lead.status), LEAD_STATUSES, True),
        Field("owner", Phrase("Owner"), "person", _c(Lead.owner), groupable=True),
        Field("created_at", Phrase("Created"), "datetime", _c(Lead.created_at), groupable=True),
        Field("last_contacted_at", Phrase("Last contact"), "datetime", _c(Lead.last_contacted_at),
              groupable=True),
        Field("converted_at", Phrase("Converted"), "datetime", _c(Lead.converted_at), groupable=True),
    )
    return ReportObject("leads", Phrase("Leads"), Lead, Lead.owner, fields,
                        default_columns=("name", "company", "source", "status", "owner", "created_at"))


def _accounts() -> ReportObject:
    fields = _fields(
        Field("name", Phrase("Name"), "text", _c(Account.name)),
        Field("industry", Phrase("Industry"), "text", _c(Account.industry), groupable=True),
        Field("region", Phrase("Region"), "text", _c(Account.region), groupable=True),
        Field("category", Phrase("Category"), "choice", _c(Account.category), CATEGORIES, True),
        Field("account_type", Phrase("Account type"), "choice", _c(Account.account_type), ACCOUNT_TYPES,
              True),
        Field("credit_rating", Phrase("Credit rating"), "choice", _c(Account.credit_rating),
              CREDIT_RATINGS, True),
        Field("owner", Phrase("Owner"), "person", _c(Account.owner), groupable=True),
        Field("created_at", Phrase("Created"), "datetime", _c(Account.created_at), groupable=True),
        Field("last_contacted_at", Phrase("Last contact"), "datetime", _c(Account.last_contacted_at),
              groupable=True),
    )
    return ReportObject("accounts", Phrase("Accounts"), Account, Account.owner, fields,
                        default_columns=("name", "industry", "region", "category", "owner"))


def _contracts() -> ReportObject:
    lines = (select(ContractLine.contract_id.label("contract_id"),
                    func.sum(ContractLine.quantity * ContractLine.unit_price).label("cents"))
             .group_by(ContractLine.contract_id).subquery("contract_revenue"))
    collected = (select(Instalment.contract_id.label("contract_id"),
                        func.sum(Instalment.collected).label("cents"))
                 .group_by(Instalment.contract_id).subquery("contract_collected"))
    joins = {"account": (Account.__table__, Account.id == Contract.account_id),
             "contract_type": (ContractType.__table__, ContractType.id == Contract.contract_type_id),
             "revenue": (lines, lines.c.contract_id == Contract.id),
             "collected": (collected, collected.c.contract_id == Contract.id)}
    fields = _fields(
        Field("number", Phrase("Number"), "text", _c(Contract.number)),
        Field("account", Phrase("Account"), "text", _c(Account.name), groupable=True, join="account"),
        Field("contract_type", Phrase("Contract type"), "text", _c(ContractType.name), groupable=True,
              join="contract_type"),
        Field("status", Phrase("Status"), "choice", _c(Contract.status), CONTRACT_STATUSES, True),
        Field("owner", Phrase("Owner"), "person", _c(Contract.owner), groupable=True),
        Field("revenue", Phrase("Revenue"), "money", _money(lines.c.cents), join="revenue"),
        Field("collected", Phrase("Collected"), "money", _money(collected.c.cents), join="collected"),
        Field("sales_expense", Phrase("Sales expense"), "money", _c(Contract.sales_expense)),
        Field("signed_on", Phrase("Signed on"), "date", _c(Contract.signed_on), groupable=True),
        Field("start_on", Phrase("Starts on"), "date", _c(Contract.start_on), groupable=True),
        Field("end_on", Phrase("Ends on"), "date", _c(Contract.end_on), groupable=True),
        Field("created_at", Phrase("Created"), "datetime", _c(Contract.created_at), groupable=True),
    )
    return ReportObject("contracts", Phrase("Contracts"), Contract, Contract.owner, fields, joins,
                        ("number", "account", "status", "revenue", "signed_on", "owner"))


def _activities() -> ReportObject:
    fields = _fields(
        Field("kind", Phrase("Kind"), "choice", _c(Activity.kind), ACTIVITY_KINDS, True),
        Field("subject_type", Phrase("Kind of record"), "choice", _c(Activity.subject_type), SUBJECTS, True),
        Field("owner", Phrase("Owner"), "person", _c(Activity.owner), groupable=True),
        Field("happened_at", Phrase("When"), "datetime", _c(Activity.happened_at), groupable=True),
        Field("outcome", Phrase("Outcome"), "text", _c(Activity.outcome)),
        Field("next_step", Phrase("Next step"), "text", _c(Activity.next_step)),
        Field("created_at", Phrase("Created"), "datetime", _c(Activity.created_at), groupable=True),
    )
    return ReportObject("activities", Phrase("Activities"), Activity, Activity.owner, fields,
                        default_columns=("happened_at", "kind", "subject_type", "outcome", "owner"))


OBJECTS: dict[str, ReportObject] = {o.key: o for o in (
    _leads(), _accounts(), _opportunities(), _contracts(), _activities())}
