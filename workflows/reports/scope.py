"""Whose records a report counts: the whole company, a branch, department or team, or one
person, always within what the reader may see (``org.visibility``).

A manager picks any unit of their own subtree or anyone in it; a unit or person out of
sight is named as a problem and left out, so the report never widens beyond the reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import ColumnElement, SQLColumnExpression
from sqlalchemy.orm import Session

from core.phrases import Phrase
from workflows.inputs import parse_id
from workflows.org.models import OrgUnit
from workflows.org.visibility import Viewer, can_see_owner, owner_condition, units_in_sight, within_unit

Problems = dict[str, str]


@dataclass(frozen=True)
class ReportScope:
    """An org unit (with every unit below it) and/or one person; neither means all in sight."""

    unit_id: int | None = None
    unit_path: str | None = None
    unit_name: str | None = None
    person: str | None = None

    def params(self) -> dict[str, str]:
        """The query-string form, for links (exports, drill-downs) and saved reports."""
        values = {"unit": self.unit_id, "person": self.person}
        return {key: str(value) for key, value in values.items() if value is not None}

    def list_params(self) -> dict[str, str]:
        """The same scope as the lead, account and opportunity lists' filters, for drill-downs."""
        values = {"unit": self.unit_id, "owner": self.person}
        return {key: str(value) for key, value in values.items() if value is not None}

    def condition(self, viewer: Viewer, owner: SQLColumnExpression[str | None]) -> ColumnElement[bool]:
        """``owner`` is someone the viewer sees and, when chosen, in the unit or the person."""
        where = owner_condition(viewer, owner)
        if self.person is not None:
            where = where & (owner == self.person)
        if self.unit_id is not None:
            where = where & within_unit(owner, self.unit_id)
        return where


def parse_scope(session: Session, viewer: Viewer, params: Mapping[str, str],
                problems: Problems) -> ReportScope:
    """The scope a query string asks for; a unit or person out of sight is named in ``problems``."""
    unit: OrgUnit | None = None
    raw_unit = (params.get("unit") or "").strip()
    if raw_unit:
        unit_id = parse_id(raw_unit)
        unit = next((u for u in units_in_sight(session, viewer) if u.id == unit_id), None)
        if unit is None:
            problems["unit"] = Phrase("is not a unit whose figures you can see")
    who = (params.get("person") or "").strip()[:100] or None
    if who is not None and not can_see_owner(session, viewer, who):
        problems["person"] = Phrase("is not someone whose figures you can see")
        who = None
    if unit is None:
        return ReportScope(person=who)
    return ReportScope(unit.id, unit.path, unit.name, who)
