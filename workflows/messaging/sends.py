"""Use cases for sending: preview a template on a record, make a send to one or many
records, and read back its progress and what became of each recipient.

Only records the sender may see can be previewed or sent to: one id out of sight and
the whole send "does not exist", so nothing about another team's records leaks. A send
is checked against the kind of record it goes to and written once for the first of them
before it is queued, so a template that cannot be written sends nothing at all. The run
itself is ``running.run_send``, after the caller commits. Functions work in the caller's
``Session`` and never commit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput, NotFound, reject_fields
from core.phrases import Phrase
from notifications.paging import Page, page_of
from workflows.accounts.contacts import get_contact
from workflows.accounts.models import Contact
from workflows.leads.models import Lead
from workflows.leads.service import get_lead, visible_condition
from workflows.org.models import User
from workflows.org.visibility import Viewer, owner_condition

from .compose import (
    Addressee,
    Draft,
    Written,
    context_for,
    of_contact,
    of_lead,
    problems,
    sender_fields,
    written,
)
from .models import OUTCOMES, RECORD_KINDS, MessageSend, MessageTemplate, SendRecipient
from .placeholders import OBJECTS, Unwritable
from .templates import get_template

MAX_RECIPIENTS = 10_000
_CHUNK = 1_000  # ids per IN (...) list


@dataclass(frozen=True)
class Preview:
    """The message one record would get, and whether it would be skipped (and why)."""

    addressee: Addressee
    address: str
    message: Written
    skip: str | None  # "opted_out" or "no_address"


def draft_of(template: MessageTemplate | MessageSend) -> Draft:
    return Draft(template.channel, template.subject, template.body)


def preview(session: Session, viewer: Viewer, template_id: int, kind: str, record_id: int) -> Preview:
    """The template written for a record the viewer picked; a template problem is InvalidInput."""
    draft = draft_of(get_template(session, viewer, template_id))
    addressee = visible_addressee(session, viewer, kind, record_id)
    message = _written_for(session, viewer, draft, addressee)
    return Preview(addressee, addressee.address(draft.channel), message, addressee.skip(draft.channel))


def visible_addressee(session: Session, viewer: Viewer, kind: str, record_id: int) -> Addressee:
    if kind == "lead":
        return of_lead(get_lead(session, viewer, record_id))
    if kind == "contact":
        return of_contact(get_contact(session, viewer, record_id))
    raise NotFound(Phrase("This record does not exist"))


def create_send(session: Session, viewer: Viewer, template_id: int, kind: str, ids: Sequence[int],
                now: datetime, *, bulk: bool = True) -> MessageSend:
    """Queue the template for these records, in this order; the caller launches the run
    once this commits. Bulk email carries an unsubscribe link."""
    template = get_template(session, viewer, template_id)
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        reject_fields({"ids": Phrase("choose at least one recipient")})
    if len(wanted) > MAX_RECIPIENTS:
        reject_fields({"ids": Phrase("at most %(count)s recipients per send", count=MAX_RECIPIENTS)})
    names = visible_names(session, viewer, kind, wanted)
    draft = draft_of(template)
    _written_for(session, viewer, draft, visible_addressee(session, viewer, kind, wanted[0]))
    send = MessageSend(template_id=template.id, template_name=template.name, channel=draft.channel,
                       subject=draft.subject, body=draft.body, bulk=bulk, created_by=viewer.username,
                       status="queued", total=len(wanted), created_at=now, updated_at=now)
    session.add(send)
    session.flush()
    for start in range(0, len(wanted), _CHUNK):
        session.execute(insert(SendRecipient), [
            {"send_id": send.id, "number": start + i + 1, "subject_type": kind, "subject_id": record_id,
             "name": names[record_id][:120], "address": "", "reason": ""}
            for i, record_id in enumerate(wanted[start:start + _CHUNK])])
    return send


def get_send(session: Session, viewer: Viewer, send_id: int) -> MessageSend:
    """The viewer's own send (admins: any); another's "does not exist"."""
    send = session.get(MessageSend, send_id)
    if send is None or not (viewer.is_admin or send.created_by == viewer.username):
        raise NotFound(Phrase("This send does not exist"))
    return send


def list_sends(session: Session, viewer: Viewer, page: int = 1) -> Page[MessageSend]:
    return page_of(session, select(MessageSend).where(MessageSend.created_by == viewer.username)
                   .order_by(MessageSend.id.desc()), page)


def recipients(session: Session, viewer: Viewer, send_id: int, page: int = 1,
               outcome: str = "") -> Page[SendRecipient]:
    """A page of the send's recipients in the order chosen, optionally those of one outcome."""
    send = get_send(session, viewer, send_id)
    query = select(SendRecipient).where(SendRecipient.send_id == send.id)
    if outcome:
        if outcome not in OUTCOMES:
            reject_fields({"outcome": Phrase("is not one of the allowed values")})
        query = query.where(SendRecipient.outcome == outcome)
    return page_of(session, query.order_by(SendRecipient.number), page, per_page=50)


def start_again(session: Session, viewer: Viewer, send_id: int, now: datetime) -> MessageSend:
    """Queue a send that stopped half-way; whoever it reached is not sent to again."""
    send = get_send(session, viewer, send_id)
    if send.status != "failed":
        raise Conflict(Phrase("This send is not stopped"))
    send.status, send.error, send.updated_at = "queued", "", now
    return send


def _written_for(session: Session, viewer: Viewer, draft: Draft, addressee: Addressee) -> Written:
    """The draft written for one record, or InvalidInput naming the template field at fault."""
    reject_fields(problems(draft, OBJECTS[addressee.kind]))
    sender = sender_fields(session.get(User, viewer.user_id), viewer.username)
    try:
        return written(draft, context_for(addressee, sender))
    except Unwritable as exc:
        raise InvalidInput(exc.args[0], fields={exc.args[1]: exc.args[0]}) from exc


def visible_names(session: Session, viewer: Viewer, kind: str, ids: list[int]) -> dict[int, str]:
    """Each record's name by id, in the order given, if the viewer may see every one of them;
    else NotFound."""
    if kind not in RECORD_KINDS:
        raise NotFound(Phrase("This record does not exist"))
    found = dict(_named(session, viewer, kind, ids))
    if len(found) != len(set(ids)):
        raise NotFound(Phrase("This lead does not exist") if kind == "lead" else
                       Phrase("This contact does not exist"))
    return {record_id: found[record_id] for record_id in ids}


def _named(session: Session, viewer: Viewer, kind: str, ids: list[int]) -> Iterator[tuple[int, str]]:
    model = Lead if kind == "lead" else Contact
    condition = visible_condition(viewer) if kind == "lead" else owner_condition(viewer, Contact.owner)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        query = select(model.id, model.name).where(model.id.in_(chunk), condition)
        yield from session.execute(query)
