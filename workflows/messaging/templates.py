"""Use cases for message templates: write, edit, delete, list and pick one to send.

A private template is its author's alone; a shared one everybody may use and only admins
may write, change or delete. A template is checked when it is saved: its syntax, every
placeholder against the fields a message may use, and a trial run over sample values,
so a typo is caught at the desk and not in front of a customer. Functions work in the
caller's ``Session`` and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from core.errors import NotFound, PermissionDenied
from core.phrases import Phrase
from notifications.paging import Page, page_of
from workflows.inputs import Checker
from workflows.org.visibility import Viewer

from .compose import Draft, problems, written
from .models import CHANNELS, MessageTemplate
from .placeholders import EVERY_OBJECT, Unwritable, sample

MAX_BODY = {"email": 10_000, "sms": 500}


@dataclass(frozen=True)
class TemplateInput:
    """The template form as typed; ``shared`` is a ticked box ("y") or empty."""

    name: str
    channel: str
    subject: str = ""
    body: str = ""
    shared: str = ""


def create_template(session: Session, viewer: Viewer, data: TemplateInput, now: datetime) -> MessageTemplate:
    values = _checked(viewer, data)
    template = MessageTemplate(**values, author=viewer.username, created_at=now, updated_at=now)
    session.add(template)
    session.flush()
    return template


def update_template(session: Session, viewer: Viewer, template_id: int, data: TemplateInput,
                    now: datetime) -> MessageTemplate:
    template = editable_template(session, viewer, template_id)
    for name, value in _checked(viewer, data).items():
        setattr(template, name, value)
    template.updated_at = now
    session.flush()
    return template


def delete_template(session: Session, viewer: Viewer, template_id: int) -> None:
    """Sends made from it keep their own copy of what they said."""
    session.delete(editable_template(session, viewer, template_id))
    session.flush()


def get_template(session: Session, viewer: Viewer, template_id: int) -> MessageTemplate:
    """A shared template, or one of the viewer's own; anyone else's "does not exist"."""
    template = session.scalars(select(MessageTemplate).where(
        MessageTemplate.id == template_id, usable_by(viewer))).first()
    if template is None:
        raise NotFound(Phrase("This template does not exist"))
    return template


def editable_template(session: Session, viewer: Viewer, template_id: int) -> MessageTemplate:
    template = get_template(session, viewer, template_id)
    if not may_edit(viewer, template):
        raise PermissionDenied(Phrase("Only admins change shared templates"))
    return template


def may_edit(viewer: Viewer, template: MessageTemplate) -> bool:
    return viewer.is_admin if template.shared else template.author == viewer.username


def list_templates(session: Session, viewer: Viewer, page: int = 1) -> Page[MessageTemplate]:
    """The templates the viewer may use, shared first, by name."""
    return page_of(session, select(MessageTemplate).where(usable_by(viewer)).order_by(
        MessageTemplate.shared.desc(), MessageTemplate.name, MessageTemplate.id), page)


def template_choices(session: Session, viewer: Viewer) -> list[MessageTemplate]:
    """Every template the viewer may send, for the picker on the send page."""
    return list(session.scalars(select(MessageTemplate).where(usable_by(viewer)).order_by(
        MessageTemplate.channel, MessageTemplate.name, MessageTemplate.id)))


def usable_by(viewer: Viewer) -> ColumnElement[bool]:
    return or_(MessageTemplate.shared.is_(True), MessageTemplate.author == viewer.username)


def _checked(viewer: Viewer, data: TemplateInput) -> dict[str, object]:
    check = Checker()
    channel = check.choice("channel", data.channel, CHANNELS)
    body = data.body.replace("\r\n", "\n").rstrip()  # leading lines kept: problems name lines as typed
    check.text("body", body, MAX_BODY.get(channel, MAX_BODY["email"]), required=True)
    values: dict[str, object] = {
        "name": check.text("name", data.name, 120, required=True),
        "channel": channel,
        "subject": check.text("subject", data.subject, 300, required=True) if channel == "email" else "",
        "body": body,
        "shared": bool(data.shared),
    }
    if values["shared"] and not viewer.is_admin:
        check.problem("shared", Phrase("only admins may share a template with everyone"))
    if channel in CHANNELS:
        draft = Draft(channel, str(values["subject"]), str(values["body"]))
        for name, problem in problems(draft, EVERY_OBJECT).items():
            check.problem(name, problem)
        if not check.problems:
            _try_out(check, draft)
    check.done()
    return values


def _try_out(check: Checker, draft: Draft) -> None:
    """Write it once over sample values: what the syntax check cannot see fails here, at the desk."""
    try:
        written(draft, sample(EVERY_OBJECT))
    except Unwritable as exc:
        check.problem(exc.args[1], exc.args[0])

