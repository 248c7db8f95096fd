"""What happens to one import row: created, updated, unchanged, skipped as a duplicate, or
rejected, and why.

The preview and the run call the same :class:`Planner`, so the preview tells the truth.
Duplicates are looked for in two places: earlier rows of the same file (by phone and
email, in memory) and existing leads, by the duplicate rules. What a match with an
existing lead does is the import's choice (``ON_MATCH``):

- ``skip`` (the default): a blocking rule's match skips the row; a warning rule's match
  still creates the lead and notes the possible duplicate;
- ``fill`` and ``overwrite``: a row matching exactly one lead, by any rule, updates it if
  the importing user may see it: its empty fields, or every field the row gives. A row
  matching several leads, or one out of sight, is skipped: which lead it meant is unclear.
  A lead whose values the row already has is "unchanged", so running a file twice updates
  nothing the second time. Owner, pool and status never change.

A lead the same import created is never updated by a later row (a match with it is
treated as in ``skip`` mode): the preview, which creates nothing, could not foresee that.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from core.errors import InvalidInput, NotFound
from core.phrases import Phrase
from workflows.dedupe import Duplicate, match
from workflows.dedupe.normalize import normalize_email, phone_e164
from workflows.dedupe.rules import active_rules
from workflows.org.visibility import Viewer

from .models import Lead
from .service import LeadInput, checked, get_lead

SOURCE_ALIASES = {"网站": "website", "官网": "website", "微信": "wechat", "来电": "phone_in",
                  "电话": "phone_in",
                  "去电": "phone_out", "活动": "event", "会议": "event", "名片": "business_card",
                  "转介绍": "referral", "推荐": "referral", "老客户": "existing_customer", "导入": "import"}
RATING_ALIASES = {"热": "hot", "温": "warm", "冷": "cold", "高": "hot", "中": "warm", "低": "cold"}
Reason = dict[str, Any]
NAMED = 5  # of the leads a row matches when it matches several, how many its reason names
SHOWN = 80  # characters of a value a change reason quotes
# How two values of a field are compared: the same number or email address typed otherwise is no change.
_COMPARED: dict[str, Callable[[str], str]] = {"phone": lambda raw: phone_e164(raw) or raw,
                                              "email": normalize_email}


@dataclass
class Plan:
    """A row's outcome and reasons; ``data`` is the row's lead when it creates or matched one,
    ``lead`` the existing lead it matched and ``changes`` the fields it sets on it."""

    number: int
    outcome: str
    reasons: list[Reason] = field(default_factory=list)
    data: LeadInput | None = None
    lead: Lead | None = None
    changes: dict[str, object] = field(default_factory=dict)


def reason(field_name: str, message: str) -> Reason:
    """A reason kept as msgid and values, so it is translated for whoever reads it later."""
    if isinstance(message, Phrase):
        return {"field": field_name, "msgid": message.msgid,
                "values": {k: str(v) for k, v in message.values.items()}}
    return {"field": field_name, "msgid": str(message), "values": {}}


class Planner:
    """Plans rows in file order, remembering the rows that created a lead or matched one.
    ``lock`` (the run) locks a lead a row updates until the batch commits."""

    def __init__(self, session: Session, viewer: Viewer, mapping: Sequence[str], on_match: str = "skip",
                 *, lock: bool = False) -> None:
        self.session, self.viewer, self.mapping = session, viewer, list(mapping)
        self.on_match, self.lock = on_match, lock
        self.rules = active_rules(session, "lead")
        self.phones: dict[str, int] = {}
        self.emails: dict[str, int] = {}
        self.created: set[int] = set()  # leads this import created
        self.matched: dict[int, int] = {}  # existing lead → the row that updated it (or found it unchanged)

    def plan(self, number: int, cells: Sequence[str]) -> Plan:
        data = self.lead_input(cells)
        try:
            values = checked(data)
        except InvalidInput as exc:
            return Plan(number, "rejected", [reason(name, message) for name, message in exc.fields.items()])
        e164, email = phone_e164(data.phone) or "", normalize_email(data.email)
        if e164 in self.phones:
            return Plan(number, "skipped", [reason("phone", Phrase("same phone as row %(row)s",
                                                                   row=self.phones[e164]))])
        if email in self.emails:
            return Plan(number, "skipped", [reason("email", Phrase("same email as row %(row)s",
                                                                   row=self.emails[email]))])
        found = match(self.session, "lead", {"name": data.name, "company": data.company, "phone": data.phone,
                                             "email": data.email, "address": data.address}, rules=self.rules)
        existing = [d for d in found.duplicates if d.record_id not in self.created]
        if existing and self.on_match != "skip":
            given = {name: values[name] for name, cell in zip(self.mapping, cells, strict=False)
                     if name and cell.strip()}
            return self._update(number, data, given, existing)
        notes = [_note(d) for d in found.duplicates]
        if any(d.action == "block" for d in found.duplicates):
            return Plan(number, "skipped", notes[:1])
        return Plan(number, "created", notes, data)

    def remember(self, number: int, data: LeadInput, lead_id: int | None, *, created: bool) -> None:
        """Note a row that ``created`` ``lead_id`` or matched it (None: the preview creates nothing),
        so later rows are compared with it."""
        e164, email = phone_e164(data.phone) or "", normalize_email(data.email)
        if e164:
            self.phones.setdefault(e164, number)
        if email:
            self.emails.setdefault(email, number)
        if lead_id is not None and created:
            self.created.add(lead_id)
        elif lead_id is not None:
            self.matched.setdefault(lead_id, number)

    def lead_input(self, cells: Sequence[str]) -> LeadInput:
        values = {name: cell for name, cell in zip(self.mapping, cells, strict=False) if name}
        source = values.get("source", "").strip()
        rating = values.get("rating", "").strip()
        values["source"] = SOURCE_ALIASES.get(source, source.lower()) or "import"
        values["rating"] = RATING_ALIASES.get(rating, rating.lower()) or "warm"
        return LeadInput(**{"name": "", **values})

    def _update(self, number: int, data: LeadInput, given: dict[str, object], found: list[Duplicate]) -> Plan:
        """The row matched existing leads: plan the update of the one it matches, or say why not."""
        ids = list(dict.fromkeys(d.record_id for d in found))
        if len(ids) > 1:
            named = ", ".join(f"#{i}" for i in ids[:NAMED]) + (", …" if len(ids) > NAMED else "")
            return _skipped(number, Phrase("matches %(count)s existing leads (%(ids)s): which one to update "
                                           "is unclear", count=len(ids), ids=named))
        if (row := self.matched.get(ids[0])) is not None:
            return _skipped(number, Phrase("lead #%(id)s was matched by row %(row)s already",
                                           id=ids[0], row=row))
        try:
            lead = get_lead(self.session, self.viewer, ids[0], for_update=self.lock)
        except NotFound:
            return _skipped(number, Phrase("matches lead #%(id)s, which you may not see", id=ids[0]))
        changes = {name: value for name, value in given.items() if self._changes(lead, name, value)}
        notes = [_note(found[0])]
        if not changes:
            return Plan(number, "unchanged", [*notes, reason("", Phrase("nothing to change"))], data, lead)
        notes += [_change(name, str(getattr(lead, name) or ""), str(value))
                  for name, value in changes.items()]
        return Plan(number, "updated", notes, data, lead, changes)

    def _changes(self, lead: Lead, name: str, value: object) -> bool:
        current = str(getattr(lead, name) or "")
        if self.on_match == "fill":
            return not current
        compared = _COMPARED.get(name, str)
        return compared(current) != compared(str(value))


def _skipped(number: int, why: Phrase) -> Plan:
    return Plan(number, "skipped", [reason("", why)])


def _note(duplicate: Duplicate) -> Reason:
    return reason(next(iter(duplicate.scores), ""), duplicate.described)


def _change(name: str, old: str, new: str) -> Reason:
    if not old:
        return reason(name, Phrase("filled in with “%(new)s”", new=_shown(new)))
    return reason(name, Phrase("“%(old)s” replaced by “%(new)s”", old=_shown(old), new=_shown(new)))


def _shown(value: str) -> str:
    return value if len(value) <= SHOWN else value[:SHOWN - 1] + "…"
