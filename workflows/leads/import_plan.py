"""What happens to one import row: created, skipped as a duplicate, or rejected, and why.

The preview and the run call the same :class:`Planner`, so the preview tells the truth.
Duplicates are looked for in two places: earlier rows of the same file (by phone and
email, in memory) and existing leads, by the blocking duplicate rules; a warning rule's
match still creates the lead and notes the possible duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from core.errors import InvalidInput
from core.phrases import Phrase
from workflows.dedupe import match
from workflows.dedupe.normalize import normalize_email, phone_e164
from workflows.dedupe.rules import active_rules

from .service import LeadInput, checked

SOURCE_ALIASES = {"网站": "website", "官网": "website", "微信": "wechat", "来电": "phone_in",
                  "电话": "phone_in",
                  "去电": "phone_out", "活动": "event", "会议": "event", "名片": "business_card",
                  "转介绍": "referral", "推荐": "referral", "老客户": "existing_customer", "导入": "import"}
RATING_ALIASES = {"热": "hot", "温": "warm", "冷": "cold", "高": "hot", "中": "warm", "低": "cold"}
Reason = dict[str, Any]


@dataclass
class Plan:
    number: int
    outcome: str
    reasons: list[Reason] = field(default_factory=list)
    data: LeadInput | None = None


def reason(field_name: str, message: str) -> Reason:
    """A reason kept as msgid and values, so it is translated for whoever reads it later."""
    if isinstance(message, Phrase):
        return {"field": field_name, "msgid": message.msgid,
                "values": {k: str(v) for k, v in message.values.items()}}
    return {"field": field_name, "msgid": str(message), "values": {}}


class Planner:
    """Plans rows in file order, remembering the phones and emails of the rows it created."""

    def __init__(self, session: Session, mapping: Sequence[str]) -> None:
        self.session, self.mapping = session, list(mapping)
        self.rules = active_rules(session, "lead")
        self.phones: dict[str, int] = {}
        self.emails: dict[str, int] = {}

    def plan(self, number: int, cells: Sequence[str]) -> Plan:
        data = self.lead_input(cells)
        try:
            checked(data)
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
        notes = [reason(next(iter(d.scores), ""), _duplicate(d.label, d.record_id, d.rule_name))
                 for d in found.duplicates]
        if any(d.action == "block" for d in found.duplicates):
            return Plan(number, "skipped", notes[:1])
        return Plan(number, "created", notes, data)

    def remember(self, number: int, data: LeadInput) -> None:
        e164, email = phone_e164(data.phone) or "", normalize_email(data.email)
        if e164:
            self.phones.setdefault(e164, number)
        if email:
            self.emails.setdefault(email, number)

    def lead_input(self, cells: Sequence[str]) -> LeadInput:
        values = {name: cell for name, cell in zip(self.mapping, cells, strict=False) if name}
        source = values.get("source", "").strip()
        rating = values.get("rating", "").strip()
        values["source"] = SOURCE_ALIASES.get(source, source.lower()) or "import"
        values["rating"] = RATING_ALIASES.get(rating, rating.lower()) or "warm"
        return LeadInput(**{"name": "", **values})


def _duplicate(label: str, record_id: int, rule: str) -> Phrase:
    return Phrase('Duplicate of "%(label)s" (#%(id)s) by the rule "%(rule)s"', label=label, id=record_id,
                  rule=rule)
