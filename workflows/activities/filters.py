"""Reading filter values from a query string: a value that cannot be used is named with the
reason and left out, so a bad link narrows nothing and breaks nothing."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy.orm import Session

from core.phrases import Phrase
from workflows.inputs import MAX_PAGE, Checker
from workflows.org.visibility import Viewer, can_see_owner

Problems = dict[str, str]


def one_of(raw: str, allowed: Collection[str], key: str, problems: Problems) -> str | None:
    if raw and raw not in allowed:
        problems[key] = Phrase("is not one of the allowed values")
    return raw if raw in allowed else None


def person(session: Session, viewer: Viewer, raw: str, problems: Problems) -> str | None:
    """Whose activities: someone the viewer may see, or None ("everyone in sight")."""
    username = raw[:100] or None
    if username is not None and not can_see_owner(session, viewer, username):
        problems["person"] = Phrase("is not someone whose activities you can see")
        return None
    return username


def period(since_raw: str, until_raw: str, problems: Problems) -> tuple[date | None, date | None]:
    """The first and last day of a period, both included; a last day before the first is left out."""
    check = Checker()
    since, until = check.date("since", since_raw), check.date("until", until_raw)
    problems.update(check.problems)
    if since is not None and until is not None and until < since:
        problems["until"] = Phrase("must not be before the first day")
        return since, None
    return since, until


def page_number(raw: str) -> int | None:
    """A page or page size: a positive whole number, or None. The length is checked first:
    ``int()`` refuses strings of thousands of digits with an error."""
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_PAGE))):
        return None
    return int(raw) if 0 < int(raw) <= MAX_PAGE else None
