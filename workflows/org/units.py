"""Use cases for the org tree's units: company → branch → department → team.

Like the user use cases, they work in the caller's ``Session`` and never commit.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import reject_fields
from core.phrases import Phrase

from .models import UNIT_KINDS, OrgUnit, User
from .rules import no_unit, one_of, require_admin, required_text_problems
from .visibility import Viewer

# A unit kind inside a sentence ("a team cannot sit under a team"), in the reader's words.
_KIND_NAMES = {"company": Phrase("company"), "branch": Phrase("branch"), "department": Phrase("department"),
               "team": Phrase("team")}


def create_unit(
    session: Session, actor: Viewer, name: str, kind: str, parent_id: int | None
) -> OrgUnit:
    """An admin adds a unit. Kinds nest company → branch → department → team; a level may
    be skipped (a team straight under a branch) but never inverted."""
    require_admin(actor)
    name = name.strip()
    problems = required_text_problems("name", name)
    if kind not in UNIT_KINDS:
        problems["kind"] = one_of(UNIT_KINDS)
        reject_fields(problems)
    parent = session.get(OrgUnit, parent_id) if parent_id is not None else None
    if kind == "company" and parent_id is not None:
        problems["parent_id"] = Phrase("a company is a root unit and has no parent")
    elif kind != "company" and parent is None:
        problems["parent_id"] = (no_unit(parent_id) if parent_id is not None
                                 else Phrase("a %(kind)s needs a parent unit", kind=_KIND_NAMES[kind]))
    elif parent is not None and UNIT_KINDS.index(parent.kind) >= UNIT_KINDS.index(kind):
        problems["kind"] = Phrase("a %(kind)s cannot sit under a %(parent)s", kind=_KIND_NAMES[kind],
                                  parent=_KIND_NAMES[parent.kind])
    reject_fields(problems)
    return insert_unit(session, name, kind, parent)


def insert_unit(session: Session, name: str, kind: str, parent: OrgUnit | None) -> OrgUnit:
    """Add a unit with its materialised path ("/1/4/9/"); no checks, like ``insert_user``."""
    unit = OrgUnit(name=name, kind=kind, parent_id=parent.id if parent else None, path="")
    session.add(unit)
    session.flush()  # the path needs the id
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    session.flush()
    return unit


def list_units(session: Session) -> list[OrgUnit]:
    """Every unit in tree order: each parent directly before its subtree, siblings oldest
    first. Sorted by the path's numbers, since as text "/1/10/" would come before "/1/9/"."""
    units = session.scalars(select(OrgUnit)).all()
    return sorted(units, key=lambda unit: [int(part) for part in unit.path.split("/") if part])


def count_members(session: Session) -> dict[int, int]:
    """Active users per org unit id (its own members, not its subtree's); empty units are absent."""
    rows = session.execute(
        select(User.org_unit_id, func.count()).where(User.active.is_(True)).group_by(User.org_unit_id)
    )
    return {unit_id: count for unit_id, count in rows}
