"""Writing one message for one record: the record's allowed fields as plain dicts, the
template written over them, and the email's text and HTML parts.

Preview and the background send both come through here, so what a person previews is
exactly what the recipient gets.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from core.phrases import Phrase
from notifications.rendering import blocks
from workflows.accounts.models import Contact
from workflows.leads.models import Lead
from workflows.org.models import User

from .placeholders import FIELDS, Context, Unwritable, compiled, problem_in, write

# The customer's language is not known: the unsubscribe line is written in both.
UNSUBSCRIBE_LINE = "如不想再收到此类邮件，请点此退订 / To stop receiving these emails, unsubscribe: {url}"


@dataclass(frozen=True)
class Draft:
    """What a template (or a send's copy of it) says, before it meets a record."""

    channel: str
    subject: str
    body: str

    def texts(self) -> dict[str, str]:
        """The form fields that hold template text: email has a subject, SMS only a body."""
        if self.channel == "email":
            return {"subject": self.subject, "body": self.body}
        return {"body": self.body}


@dataclass(frozen=True)
class Addressee:
    """A lead or contact as a message sees it: where it can be reached, whether it wants to
    be, and the fields its templates may use."""

    kind: str
    id: int
    name: str
    email: str
    phone: str
    email_opt_out: bool
    sms_opt_out: bool
    fields: dict[str, dict[str, str]]

    def address(self, channel: str) -> str:
        return self.email if channel == "email" else self.phone

    def skip(self, channel: str) -> str | None:
        """Why a message on ``channel`` would not go out ("opted_out", "no_address"), or None."""
        if self.email_opt_out if channel == "email" else self.sms_opt_out:
            return "opted_out"
        return None if self.address(channel) else "no_address"


@dataclass(frozen=True)
class Written:
    subject: str
    body: str


def problems(draft: Draft, objects: Collection[str]) -> dict[str, Phrase]:
    """Each template field's first problem over ``objects``; empty when the draft is usable."""
    return {name: problem for name, text in draft.texts().items()
            if (problem := problem_in(text, objects)) is not None}


def written(draft: Draft, context: Context) -> Written:
    """The draft written for one record; Unwritable names the field that could not be."""
    texts = {}
    for name, text in draft.texts().items():
        try:
            texts[name] = write(compiled(text), context)
        except Unwritable as exc:
            raise Unwritable(exc.args[0], name) from exc
    # A subject is one line: a line break in a header would be refused by the mail library.
    return Written(" ".join(texts.get("subject", "").split())[:300], texts["body"].strip())


def context_for(addressee: Addressee, sender: dict[str, str]) -> Context:
    return {**addressee.fields, "sender": sender}


def sender_fields(user: User | None, username: str) -> dict[str, str]:
    """The ``sender`` a template sees: the person who sends (their name, if they have left)."""
    if user is None:
        return {"name": username, "email": ""}
    return {"name": user.display_name, "email": user.email}


def addressees(session: Session, kind: str, ids: Iterable[int]) -> dict[int, Addressee]:
    """The records of ``kind`` with these ids that still exist, by id, in one query."""
    wanted = list(ids)
    if kind == "lead":
        leads = session.scalars(select(Lead).where(Lead.id.in_(wanted)))
        return {lead.id: of_lead(lead) for lead in leads}
    contacts = session.scalars(select(Contact).where(Contact.id.in_(wanted))
                               .options(joinedload(Contact.account)))
    return {contact.id: of_contact(contact) for contact in contacts}


def of_lead(lead: Lead) -> Addressee:
    return _addressee("lead", lead, {"lead": _pick(lead, "lead")})


def of_contact(contact: Contact) -> Addressee:
    return _addressee("contact", contact, {"contact": _pick(contact, "contact"),
                                           "account": _pick(contact.account, "account")})


def email_parts(body: str, unsubscribe_url: str | None) -> tuple[str, str]:
    """The text part and the HTML part, both made from the same written body."""
    footer = UNSUBSCRIBE_LINE.format(url=unsubscribe_url) if unsubscribe_url else ""
    text = body + (f"\n\n--\n{footer}" if footer else "") + "\n"
    html = []
    for kind, lines in blocks(body):
        if kind == "ul":
            html.append("<ul>" + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>")
        else:
            html.append("<p>" + "<br>".join(str(escape(line)) for line in lines) + "</p>")
    if unsubscribe_url:
        link = Markup('<a href="{0}">{0}</a>').format(unsubscribe_url)
        footer_html = escape(UNSUBSCRIBE_LINE).format(url=link)
        html.append(f'<p style="font-size:12px;color:#6b7280;">{footer_html}</p>')
    return text, f'<!doctype html>\n<html><body>{"".join(html)}</body></html>\n'


def _addressee(kind: str, person: Lead | Contact, fields: dict[str, dict[str, str]]) -> Addressee:
    """A lead or contact with the fields its templates see: ``recipient`` and ``fields``."""
    return Addressee(kind, person.id, person.name, person.email, person.phone_e164 or person.phone,
                     person.email_opt_out, person.sms_opt_out,
                     {"recipient": _pick(person, "recipient"), **fields})


def _pick(row: object, name: str) -> dict[str, str]:
    return {field: str(getattr(row, field) or "") for field in FIELDS[name]}

