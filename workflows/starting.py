"""Starting a process by hand (the JSON API): who may, and for whom.

Admins and process designers may start any process. Anyone else may start a process
whose diagram names them, or one of their roles, as a starter
(``camunda:candidateStarterUsers`` / ``camunda:candidateStarterGroups``); a diagram that
names nobody is started by the CRM itself (a new opportunity starts its pipeline). The
instance's ``owner`` is the starter unless given, and may only be someone whose records
the starter sees, so no one fills a stranger's inbox.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from core.errors import PermissionDenied
from core.phrases import Phrase
from engine import ProcessEngine, ProcessInstance, Starters

from .org.rules import raise_if
from .org.visibility import Viewer, can_see_owner

START_ANY = frozenset({"admin", "process_designer"})
BUSINESS_KEY_MAX = 200
_SCALARS = (str, int, float, bool, type(None))


def may_start(viewer: Viewer, starters: Starters) -> bool:
    return bool(viewer.roles & START_ANY or viewer.username in starters.users
                or viewer.groups & set(starters.groups))


def start_process(session: Session, engine: ProcessEngine, viewer: Viewer, key: str,
                  business_key: str | None, variables: Mapping[str, object]) -> ProcessInstance:
    """Start the latest version of ``key`` as ``viewer``; the caller commits."""
    raise_if(_problems(business_key, variables))
    if not may_start(viewer, engine.starters(session, key)):
        raise PermissionDenied(Phrase("You may not start this process"))
    owner = variables.get("owner", viewer.username)
    if not isinstance(owner, str) or not can_see_owner(session, viewer, owner):  # str: see _problems
        raise PermissionDenied(Phrase("You may not start a process for %(name)s", name=owner))
    return engine.start(session, key, business_key, {**variables, "owner": owner}, viewer.username)


def _problems(business_key: str | None, variables: Mapping[str, object]) -> list[str]:
    problems: list[str] = []
    if not isinstance(variables.get("owner", ""), str):
        problems.append(Phrase("variables.owner: must be a username"))
    if business_key is not None and not 0 < len(business_key) <= BUSINESS_KEY_MAX:
        problems.append(Phrase("business_key: must be 1 to %(count)s characters", count=BUSINESS_KEY_MAX))
    for name, value in variables.items():
        if not name.isidentifier() or name.startswith("_"):  # scripts cannot read "_" names
            problems.append(Phrase("variables.%(name)s: is not a valid variable name", name=name))
        elif not isinstance(value, _SCALARS):
            problems.append(Phrase("variables.%(name)s: must be text, a number, true/false or null",
                                   name=name))
    return problems
