"""Saving a built report under a name, and sharing it with a role or an org unit (a team, a
department, a branch, with everything below it) or keeping it private.

Sharing lists the report for others; it never shares figures: each reader runs it with their
own visibility. Only the owner renames, changes, shares or deletes a report; a shipped one
belongs to no one and is copied, not changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from core.errors import NotFound, PermissionDenied, reject_fields
from core.phrases import Phrase
from workflows.org.models import ROLES, OrgUnit, User
from workflows.org.visibility import Viewer, units_in_sight

from .builder import ReportDefinition, check_definition
from .builder_defaults import REPORTS
from .builder_models import ReportShare, SavedReport

MAX_NAME = 120
PER_PAGE = 50


@dataclass(frozen=True)
class Audience:
    """Whom a report is shared with: one role, or one unit and everyone below it."""

    role: str | None = None
    unit_id: int | None = None


@dataclass(frozen=True)
class ReportList:
    reports: list[SavedReport]
    page: int
    pages: int


def report_name(report: SavedReport) -> str:
    """A shipped report's name in the reader's language (a Phrase); anyone else's as they typed it."""
    shipped = REPORTS.get(report.system_key or "")
    return shipped.name if shipped is not None else report.name


def ancestor_ids(viewer: Viewer) -> list[int]:
    """The viewer's unit and every unit above it, read from its path ("/1/4/9/")."""
    return [int(part) for part in viewer.unit_path.split("/") if part.isdigit()]


def visible_condition(viewer: Viewer) -> ColumnElement[bool]:
    """Reports the viewer owns, or shared with one of their roles or a unit they belong to."""
    audience = [ReportShare.unit_id.in_(ancestor_ids(viewer))]
    if viewer.roles:
        audience.append(ReportShare.role.in_(sorted(viewer.roles)))
    shared = exists().where(ReportShare.report_id == SavedReport.id, or_(*audience))
    return or_(SavedReport.owner_id == viewer.user_id, shared)


def list_reports(session: Session, viewer: Viewer, page: int = 1) -> ReportList:
    """The viewer's own reports first, then those shared with them, each by name."""
    where = visible_condition(viewer)
    total = session.scalar(select(func.count()).select_from(SavedReport).where(where)) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, page), pages)
    mine_first = case((SavedReport.owner_id == viewer.user_id, 0), else_=1)  # shipped ones have no owner
    reports = session.scalars(select(SavedReport).where(where).options(selectinload(SavedReport.shares))
                              .order_by(mine_first, SavedReport.name, SavedReport.id)
                              .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return ReportList(list(reports), page, pages)


def get_report(session: Session, viewer: Viewer, report_id: int) -> SavedReport:
    """A report the viewer may run; anyone's private one "does not exist"."""
    report = session.scalars(select(SavedReport).where(SavedReport.id == report_id,
                                                       visible_condition(viewer))).first()
    if report is None:
        raise NotFound(Phrase("This report does not exist"))
    return report


def own_report(session: Session, viewer: Viewer, report_id: int) -> SavedReport:
    report = get_report(session, viewer, report_id)
    if report.owner_id != viewer.user_id:
        raise PermissionDenied(Phrase("Only the report's owner may change it; copy it into the builder "
                                      "to save one of your own"))
    return report


def definition_of(report: SavedReport) -> tuple[ReportDefinition | None, dict[str, str]]:
    """The saved definition checked as the builder checks it: a field withdrawn since is named."""
    return check_definition(report.definition)


def save_report(session: Session, viewer: Viewer, raw: Mapping[str, Any], name: str, audience: str,
                now: datetime, report_id: int | None = None) -> SavedReport:
    """Save a new report, or (``report_id``) change one's name and definition; ``audience``
    ("", "role:sales_rep", "unit:4") adds a share. Refused as a whole, naming every problem."""
    name = name.strip()
    problems: dict[str, str] = {}
    if not 0 < len(name) <= MAX_NAME:
        problems["name"] = Phrase("is required (at most %(count)s characters)", count=MAX_NAME)
    definition, definition_problems = check_definition(raw)
    problems.update(definition_problems)
    share = parse_audience(session, viewer, audience, problems)
    report = own_report(session, viewer, report_id) if report_id is not None else None
    same_name = select(SavedReport.id).where(SavedReport.owner_id == viewer.user_id, SavedReport.name == name)
    if report is not None:
        same_name = same_name.where(SavedReport.id != report.id)
    if name and session.scalar(same_name) is not None:
        problems["name"] = Phrase("is already the name of one of your reports")
    reject_fields(problems)
    assert definition is not None  # no problems: it was read
    if report is None:
        report = SavedReport(owner_id=viewer.user_id, created_at=now)
        session.add(report)
    report.name, report.definition, report.updated_at = name, definition.to_json(), now
    session.flush()
    if share is not None:
        _add_share(session, report, share)
    return report


def parse_audience(session: Session, viewer: Viewer, raw: str, problems: dict[str, str]) -> Audience | None:
    """"role:<role>" or "unit:<id>" among the viewer's choices; "" keeps the report private."""
    kind, _colon, value = raw.strip().partition(":")
    if not kind:
        return None
    roles, units = share_choices(session, viewer)
    if kind == "role" and value in roles:
        return Audience(role=value)
    if kind == "unit" and value.isdigit() and int(value) in {u.id for u in units}:
        return Audience(unit_id=int(value))
    problems["share"] = Phrase("is not a role or an org unit you can share with")
    return None


def share_choices(session: Session, viewer: Viewer) -> tuple[tuple[str, ...], list[OrgUnit]]:
    """Every role; the units the viewer belongs to (their team up to the company) and those they
    manage."""
    on_path = ancestor_ids(viewer)
    above = list(session.scalars(select(OrgUnit).where(OrgUnit.id.in_(on_path)))) if on_path else []
    units = {u.id: u for u in [*above, *units_in_sight(session, viewer)]}
    return ROLES, sorted(units.values(), key=lambda u: u.path)


def add_share(session: Session, viewer: Viewer, report_id: int, audience: str) -> ReportShare:
    report = own_report(session, viewer, report_id)
    problems: dict[str, str] = {}
    share = parse_audience(session, viewer, audience, problems)
    if share is None:
        problems.setdefault("share", Phrase("Choose a role or an org unit"))
    reject_fields(problems)
    assert share is not None
    return _add_share(session, report, share)


def _add_share(session: Session, report: SavedReport, audience: Audience) -> ReportShare:
    """Share once per audience: sharing again with the same one changes nothing."""
    found = next((s for s in report.shares if (s.role, s.unit_id) == (audience.role, audience.unit_id)), None)
    if found is None:
        found = ReportShare(report_id=report.id, role=audience.role, unit_id=audience.unit_id)
        report.shares.append(found)
        session.flush()
    return found


def remove_share(session: Session, viewer: Viewer, report_id: int, share_id: int) -> None:
    report = own_report(session, viewer, report_id)
    share = next((s for s in report.shares if s.id == share_id), None)
    if share is None:
        raise NotFound(Phrase("This report is not shared that way"))
    report.shares.remove(share)
    session.flush()


def delete_report(session: Session, viewer: Viewer, report_id: int) -> None:
    """Gone for everyone it was shared with, and from every dashboard showing it."""
    session.delete(own_report(session, viewer, report_id))
    session.flush()


def owns(session: Session, viewer: Viewer, report_id: int) -> bool:
    """Whether the viewer may save changes to the report (the builder then offers it)."""
    return session.scalar(select(SavedReport.owner_id).where(SavedReport.id == report_id)) == viewer.user_id


def owner_names(session: Session, reports: list[SavedReport]) -> dict[int, str]:
    """Report id → its owner's display name; shipped reports have none."""
    ids = {r.owner_id for r in reports if r.owner_id is not None}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(ids))) if ids else ()
    names = {user_id: name for user_id, name in rows}
    return {r.id: names.get(r.owner_id, "") for r in reports if r.owner_id is not None}


def unit_names(session: Session, reports: list[SavedReport]) -> dict[int, str]:
    """Unit id → name, for the units these reports are shared with."""
    ids = {s.unit_id for r in reports for s in r.shares if s.unit_id is not None}
    rows = session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(ids))) if ids else ()
    return {unit_id: name for unit_id, name in rows}


def report_choices(session: Session, viewer: Viewer, limit: int = 500) -> list[SavedReport]:
    """Reports the viewer may run, by name, for a picker (a dashboard's "add a report")."""
    return list(session.scalars(select(SavedReport).where(visible_condition(viewer))
                                .order_by(SavedReport.name, SavedReport.id).limit(limit)))
