"""The approver inbox: the open approval tasks a viewer works or oversees, with the figures
each contract was submitted on.

One row per open approval task, in plain indexed SQL over ``human_task``, the pending
``approval_round`` of the task's instance (its submitted revenue and margin), and the
contract, account and contract type; workflow state is never loaded. "mine" holds the
tasks assigned to the viewer; "team" (managers, directors, admins) every approval task the
one visibility rule lets them see. Bad filter values are named and left out, never fatal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from core.phrases import Phrase
from engine import HumanTask
from workflows.accounts.models import Account
from workflows.contracts.models import Contract, ContractType
from workflows.inputs import MAX_PAGE, page_window, parse_id
from workflows.opportunities.queries import owner_choices
from workflows.org.models import User
from workflows.org.visibility import Viewer, visible_task_condition

from .models import ApprovalRound

TABS = ("mine", "team")
FILTER_KEYS = ("contract_type", "account", "margin_min", "margin_max", "submitter", "min_age")
PER_PAGE, MAX_PER_PAGE = 25, 100
MAX_AGE_DAYS = 3650
MAX_TEXT = 200
HUNDRED = Decimal(100)
MARGIN_LIMIT = Decimal(1000)  # percent; a margin beyond ±1000% is a typing error, not a filter

_submitter, _assignee = aliased(User), aliased(User)
# Sort key -> (column, whether "ascending" runs the column backwards). The youngest task has
# the smallest age, so ascending age is descending creation time.
SORTS: dict[str, tuple[Any, bool]] = {
    "number": (Contract.number, False), "account": (Account.name, False),
    "type": (ContractType.name, False), "total": (ApprovalRound.revenue, False),
    "margin": (ApprovalRound.margin, False), "submitter": (_submitter.display_name, False),
    "age": (HumanTask.created_at, True), "assignee": (HumanTask.assignee, False),
    "round": (ApprovalRound.number, False),
}
DEFAULT_SORT, DEFAULT_DESCENDING = "age", True  # oldest first: who has waited longest


@dataclass(frozen=True)
class InboxFilter:
    """Which approval tasks, in what order, which page; ``None`` means "any"."""

    tab: str = "mine"
    contract_type_id: int | None = None
    account: str | None = None
    margin_min: Decimal | None = None  # fractions, as rounds keep margins
    margin_max: Decimal | None = None
    submitter: str | None = None
    min_age_days: int | None = None
    sort: str = DEFAULT_SORT
    descending: bool = DEFAULT_DESCENDING
    page: int = 1
    per_page: int = PER_PAGE

    def params(self) -> dict[str, str]:
        """The query string of the tab, filters and order (not the page): for links and forms."""
        values = {"tab": self.tab if self.tab != "mine" else None, "contract_type": self.contract_type_id,
                  "account": self.account, "margin_min": _percent(self.margin_min),
                  "margin_max": _percent(self.margin_max), "submitter": self.submitter,
                  "min_age": self.min_age_days,
                  "per_page": self.per_page if self.per_page != PER_PAGE else None}
        if (self.sort, self.descending) != (DEFAULT_SORT, DEFAULT_DESCENDING):
            values |= {"sort": self.sort, "desc": "1" if self.descending else None}
        return {key: str(value) for key, value in values.items() if value is not None}

    @property
    def filtered(self) -> bool:
        return any(getattr(self, name) is not None for name in (
            "contract_type_id", "account", "margin_min", "margin_max", "submitter", "min_age_days"))


@dataclass(frozen=True)
class ApprovalRow:
    """One open approval task with the contract and the round it decides on."""

    task_id: str
    contract_id: int
    number: str
    account_id: int
    account: str
    contract_type: str
    revenue: Decimal
    margin: Decimal  # a fraction: 0.1500 is 15%
    submitter: str
    submitter_name: str
    created_at: datetime
    due_at: datetime | None
    assignee: str | None
    assignee_name: str | None
    round: int


@dataclass(frozen=True)
class InboxPage:
    rows: list[ApprovalRow]
    total: int
    page: int
    pages: int


def parse_inbox(params: Mapping[str, str], viewer: Viewer) -> tuple[InboxFilter, dict[str, str]]:
    """The inbox a query string asks for; each value it cannot use is left out and named with
    the reason, so a bad link narrows nothing and breaks nothing. Only those who oversee
    others have a "team" tab."""
    problems: dict[str, str] = {}
    raw = {key: (params.get(key) or "").strip() for key in (*FILTER_KEYS, "tab", "sort", "desc", "page",
                                                             "per_page")}
    contract_type = parse_id(raw["contract_type"]) if raw["contract_type"] else None
    if raw["contract_type"] and contract_type is None:
        problems["contract_type"] = Phrase("is not a contract type")
    margins = {key: _margin(raw[key], key, problems) for key in ("margin_min", "margin_max")}
    min_age = _whole(raw["min_age"], "min_age", MAX_AGE_DAYS, problems)
    sort = raw["sort"] if raw["sort"] in SORTS else DEFAULT_SORT
    found = InboxFilter(
        tab="team" if raw["tab"] == "team" and oversees(viewer) else "mine",
        contract_type_id=contract_type, account=raw["account"][:MAX_TEXT] or None,
        margin_min=margins["margin_min"], margin_max=margins["margin_max"],
        submitter=raw["submitter"].lower()[:100] or None, min_age_days=min_age, sort=sort,
        descending=raw["desc"] == "1" if raw["sort"] in SORTS else DEFAULT_DESCENDING,
        page=_whole(raw["page"], "page", MAX_PAGE, {}) or 1,
        per_page=min(_whole(raw["per_page"], "per_page", MAX_PAGE, {}) or PER_PAGE, MAX_PER_PAGE))
    return found, problems


def oversees(viewer: Viewer) -> bool:
    """Managers, directors and admins see their team's approvals besides their own."""
    return viewer.is_manager or viewer.is_admin


def inbox_page(session: Session, viewer: Viewer, f: InboxFilter, now: datetime) -> InboxPage:
    """The inbox as a page shows it: the total first, so a page past the end shows the last one."""
    where = _conditions(viewer, f, now)
    total = session.scalar(_counted(f).where(*where)) or 0
    pages = max(1, -(-total // f.per_page))
    page = min(max(1, f.page), pages)
    limit, offset = page_window(page, f.per_page, MAX_PER_PAGE)
    column, backwards = SORTS.get(f.sort, SORTS[DEFAULT_SORT])
    ascending = f.descending == backwards
    order = column.asc() if ascending else column.desc()
    query = _rows().where(*where).order_by(order.nulls_last(), HumanTask.id).limit(limit).offset(offset)
    return InboxPage(rows=[ApprovalRow(**row._mapping) for row in session.execute(query)], total=total,
                     page=page, pages=pages)


def approval_rows(session: Session, viewer: Viewer, task_ids: Sequence[str]) -> list[ApprovalRow]:
    """The open approval tasks among ``task_ids`` the viewer may see, in the order given."""
    if not task_ids:
        return []
    query = _rows().where(HumanTask.id.in_(list(task_ids)), visible_task_condition(viewer))
    found = {row.task_id: ApprovalRow(**row._mapping) for row in session.execute(query)}
    return [found[task_id] for task_id in dict.fromkeys(task_ids) if task_id in found]


def has_approval_tasks(session: Session, username: str) -> bool:
    """Whether anyone has approval tasks waiting for them: the nav shows the inbox then."""
    return bool(session.scalar(select(exists().where(HumanTask.assignee == username, _PENDING))))


def is_approval_task(session: Session, task_id: str) -> bool:
    """Whether an open task decides a pending approval round."""
    return bool(session.scalar(select(exists().where(HumanTask.id == task_id, _PENDING))))


def submitter_choices(session: Session, viewer: Viewer) -> list[tuple[str, str]]:
    """(username, display name) of whoever the viewer may see: suggestions for the submitter filter."""
    return owner_choices(session, viewer)


# A task decides a round while that round of its instance is pending.
_ROUND = and_(ApprovalRound.instance_id == HumanTask.instance_id, ApprovalRound.outcome == "pending")
_PENDING = exists().where(_ROUND)
DECIDES_APPROVAL: ColumnElement[bool] = _PENDING  # a HumanTask condition: it decides a pending round

def _rows() -> Select[*tuple[Any, ...]]:
    """The columns of an :class:`ApprovalRow`, with the names it shows joined in."""
    return (select(HumanTask.id.label("task_id"), Contract.id.label("contract_id"), Contract.number,
                   Account.id.label("account_id"), Account.name.label("account"),
                   ContractType.name.label("contract_type"), ApprovalRound.revenue, ApprovalRound.margin,
                   ApprovalRound.submitted_by.label("submitter"),
                   func.coalesce(_submitter.display_name, ApprovalRound.submitted_by).label("submitter_name"),
                   HumanTask.created_at, HumanTask.due_at, HumanTask.assignee,
                   _assignee.display_name.label("assignee_name"), ApprovalRound.number.label("round"))
            .select_from(HumanTask)
            .join(ApprovalRound, _ROUND)
            .join(Contract, Contract.id == ApprovalRound.contract_id)
            .join(Account, Account.id == Contract.account_id)
            .join(ContractType, ContractType.id == Contract.contract_type_id)
            .outerjoin(_submitter, _submitter.username == ApprovalRound.submitted_by)
            .outerjoin(_assignee, _assignee.username == HumanTask.assignee))


def _counted(f: InboxFilter) -> Select[Any]:
    """A count joining only what the filters read: every task's round has its contract,
    account and type, so leaving those joins out changes nothing but the cost."""
    query = select(func.count()).select_from(HumanTask).join(ApprovalRound, _ROUND)
    if f.contract_type_id is not None or f.account is not None:
        query = query.join(Contract, Contract.id == ApprovalRound.contract_id)
    if f.account is not None:
        query = query.join(Account, Account.id == Contract.account_id)
    return query


def _conditions(viewer: Viewer, f: InboxFilter, now: datetime) -> list[ColumnElement[bool]]:
    where = [HumanTask.assignee == viewer.username if f.tab == "mine" else visible_task_condition(viewer)]
    if f.contract_type_id is not None:
        where.append(Contract.contract_type_id == f.contract_type_id)
    if f.account is not None:
        where.append(Account.name.icontains(f.account, autoescape=True))
    if f.margin_min is not None:
        where.append(ApprovalRound.margin >= f.margin_min)
    if f.margin_max is not None:
        where.append(ApprovalRound.margin <= f.margin_max)
    if f.submitter is not None:
        where.append(ApprovalRound.submitted_by == f.submitter)
    if f.min_age_days is not None:
        where.append(HumanTask.created_at <= now - timedelta(days=f.min_age_days))
    return where


def _margin(raw: str, key: str, problems: dict[str, str]) -> Decimal | None:
    """A margin typed in percent ("15", "12.5") as the fraction rounds keep (0.15, 0.125)."""
    if not raw:
        return None
    try:
        value = Decimal(raw.rstrip("%").strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or abs(value) > MARGIN_LIMIT or value != round(value, 2):
        problems[key] = Phrase("must be a percentage such as 15 or 12.5")
        return None
    return value / HUNDRED


def _percent(fraction: Decimal | None) -> str | None:
    return None if fraction is None else f"{(fraction * HUNDRED).normalize():f}"


def _whole(raw: str, key: str, high: int, problems: dict[str, str]) -> int | None:
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(high)) and int(raw) <= high):
        problems[key] = Phrase("must be a whole number from %(low)s to %(high)s", low=0, high=high)
        return None
    return int(raw)
