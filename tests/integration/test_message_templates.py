"""Message templates: checked when saved, sandboxed when written, shared or private, previewed on a
record the sender may see; and the opt-out flags with the signed unsubscribe link."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bootstrap import Container
from core.errors import InvalidInput, NotFound, PermissionDenied
from tests.usecases import refused, run
from workflows.accounts.models import Account, Contact
from workflows.dedupe.sources import refresh_match_columns
from workflows.leads.models import Lead
from workflows.leads.service import LeadInput, create_lead
from workflows.messaging.models import MessageTemplate
from workflows.messaging.opt_out import recipient_of, set_opt_outs, token_for, unsubscribe
from workflows.messaging.placeholders import Unwritable, compiled, write
from workflows.messaging.sends import preview
from workflows.messaging.templates import (
    TemplateInput,
    create_template,
    delete_template,
    get_template,
    list_templates,
    update_template,
)

SECRET = "test-secret"
WELCOME = TemplateInput(name="Welcome", channel="email", subject="Hello {{ recipient.name }}",
                        body="Dear {{ recipient.name }},\n\n{% if lead.company %}How is {{ lead.company }}?{% endif %}\n"
                             "{{ sender.name }}")


def records(container: Container) -> dict[str, int]:
    """wang.fang's leads (one without email) and a contact at her account; sun.li's lead in Hangzhou."""
    now = container.engine.clock.now()
    with container.uow() as uow:
        session = uow.session
        acme = Account(name="ACME Logistics", owner="wang.fang", industry="Logistics", region="Shanghai",
                       created_at=now, updated_at=now)
        session.add(acme)
        session.flush()
        anna = Contact(account_id=acme.id, name="Anna Müller", title="Head of Logistics", email="anna@acme.example",
                       phone="13800000001", owner="wang.fang", created_at=now, updated_at=now)
        refresh_match_columns(anna)
        session.add(anna)
        made = {"acme": acme.id}
        for key, owner, data in (
            ("emily", "wang.fang", LeadInput(name="Emily Zhou", company="Suzhou Parts", email="emily@parts.example",
                                             phone="13962150001")),
            ("li", "wang.fang", LeadInput(name="Li Qiang", company="Ningbo Port", email="li@port.example")),
            ("chen", "wang.fang", LeadInput(name="Chen Jie", company="No Mail Ltd", phone="13962150002")),
            ("hz", "sun.li", LeadInput(name="Zhou Hang", company="Hangzhou Tools", email="zhou@tools.example")),
        ):
            made[key] = create_lead(session, None, data, now, owner=owner).id
        session.flush()
        made["anna"] = anna.id
        uow.commit()
    return made


def save(container: Container, viewer, data: TemplateInput = WELCOME) -> int:
    return run(container, lambda s: create_template(s, viewer, data, container.engine.clock.now()).id)


def templates_count(container: Container) -> int:
    with container.session_factory() as session:
        return session.scalar(select(func.count()).select_from(MessageTemplate)) or 0


def test_a_template_naming_a_field_that_does_not_exist_is_refused_naming_it(container, as_):
    rep = as_("wang.fang")
    assert save(container, rep) > 0
    bad = TemplateInput(name="Oops", channel="email", subject="Hi {{ contact.nickname }}", body="Hello")
    problems = refused(container, create_template, rep, bad, container.engine.clock.now())
    assert problems["subject"].startswith("contact.nickname is not a field you can use (line 1); available: ")
    assert "contact.name" in problems["subject"] and "lead.company" in problems["subject"]
    assert templates_count(container) == 1


def test_a_syntax_error_names_its_line(container, as_):
    broken = TemplateInput(name="Broken", channel="email", subject="Hi", body="Hello\n\n{{ recipient.name }\nBye")
    problems = refused(container, create_template, as_("wang.fang"), broken, container.engine.clock.now())
    assert problems["body"].startswith("line 3: ")
    assert templates_count(container) == 0


@pytest.mark.parametrize(("body", "says"), [
    ("{{ contact.__class__ }}", "contact.__class__ is not a field you can use"),
    ("{{ ''.__class__.__mro__ }}", "''.__class__.__mro__ is not a field you can use"),
    ("{{ recipient.name.__class__.__base__ }}", "recipient.name.__class__.__base__ is not a field you can use"),
    ("{{ ''|attr('__class__') }}", "the filter attr is not allowed in a message"),
    ("{{ recipient }}", "recipient is not a field you can use"),
    ("{{ recipient.name.upper() }}", "call is not allowed in a message"),
    ("{% for c in recipient.name %}{{ c }}{% endfor %}", "for is not allowed in a message"),
    ("{{ 'x' * 1000000000 }}", "mul is not allowed in a message"),
    ("{% include 'base.html' %}", "include is not allowed in a message"),
])
def test_the_sandbox_refuses_attribute_tricks_and_anything_but_placeholders(container, as_, body, says):
    problems = refused(container, create_template, as_("wang.fang"),
                       TemplateInput(name="Trick", channel="sms", body=body), container.engine.clock.now())
    assert says in problems["body"]
    assert templates_count(container) == 0


def test_the_rendering_sandbox_itself_refuses_unsafe_attributes():
    """The second line of defence, should a trick ever pass the check."""
    with pytest.raises(Unwritable, match="unsafe"):
        write(compiled("{{ contact.__class__ }}"), {"contact": {"name": "Anna"}})
    with pytest.raises(Unwritable, match="nickname"):
        write(compiled("{{ contact.nickname }}"), {"contact": {"name": "Anna"}})


def test_sms_templates_have_no_subject_and_a_short_body(container, as_):
    rep = as_("wang.fang")
    problems = refused(container, create_template, rep, TemplateInput(name="Long", channel="sms", body="x" * 501),
                       container.engine.clock.now())
    assert problems == {"body": "must be at most 500 characters"}
    template_id = save(container, rep, TemplateInput(name="Hi", channel="sms", subject="ignored", body="Hi"))
    with container.session_factory() as session:
        assert session.get_one(MessageTemplate, template_id).subject == ""


def test_only_admins_share_templates_and_private_ones_stay_private(container, as_):
    rep, other, admin = as_("wang.fang"), as_("sun.li"), as_("admin")
    shared = TemplateInput(name="Company news", channel="email", subject="News", body="Hi {{ recipient.name }}",
                           shared="y")
    assert refused(container, create_template, rep, shared, container.engine.clock.now()) == {
        "shared": "only admins may share a template with everyone"}
    news = save(container, admin, shared)
    mine = save(container, rep)
    with container.session_factory() as session:
        assert [t.name for t in list_templates(session, rep).items] == ["Company news", "Welcome"]
        assert [t.name for t in list_templates(session, other).items] == ["Company news"]
        with pytest.raises(NotFound):
            get_template(session, other, mine)
    now = container.engine.clock.now()
    with pytest.raises(PermissionDenied):
        run(container, update_template, rep, news, shared, now)
    with pytest.raises(NotFound):
        run(container, delete_template, other, mine)
    run(container, update_template, admin, news, TemplateInput(name="Company news", channel="email",
                                                                 subject="News!", body="Hi", shared="y"), now)
    run(container, delete_template, rep, mine)
    assert templates_count(container) == 1


def test_preview_writes_the_template_for_a_record_the_sender_picked(container, as_):
    rep = as_("wang.fang")
    ids = records(container)
    template_id = save(container, rep)
    with container.session_factory() as session:
        shown = preview(session, rep, template_id, "lead", ids["emily"])
        assert (shown.address, shown.skip) == ("emily@parts.example", None)
        assert shown.message.subject == "Hello Emily Zhou"
        assert shown.message.body == "Dear Emily Zhou,\n\nHow is Suzhou Parts?\n王芳"
        assert preview(session, rep, template_id, "lead", ids["chen"]).skip == "no_address"
        with pytest.raises(NotFound):
            preview(session, rep, template_id, "lead", ids["hz"])  # another team's lead
        with pytest.raises(InvalidInput) as caught:  # lead.company means nothing for a contact
            preview(session, rep, template_id, "contact", ids["anna"])
    problem = caught.value.fields["body"]
    assert problem.startswith("lead.company is not a field you can use (line 3); available: recipient.name")
    assert "contact.name" in problem and "account.name" in problem and "lead.name" not in problem


def test_a_contacts_preview_reads_its_account(container, as_):
    rep = as_("wang.fang")
    ids = records(container)
    template_id = save(container, rep, TemplateInput(name="Account", channel="sms",
                                                      body="{{ contact.name }} at {{ account.name|upper }}"))
    with container.session_factory() as session:
        shown = preview(session, rep, template_id, "contact", ids["anna"])
    assert (shown.message.body, shown.address) == ("Anna Müller at ACME LOGISTICS", "+8613800000001")


def test_opt_outs_are_edited_by_who_may_see_the_record(container, as_):
    ids = records(container)
    now = container.engine.clock.now()
    run(container, set_opt_outs, as_("wang.fang"), "lead", ids["emily"], True, False, now)
    run(container, set_opt_outs, as_("liu.yang"), "contact", ids["anna"], False, True, now)  # her manager
    with pytest.raises(NotFound):
        run(container, set_opt_outs, as_("sun.li"), "lead", ids["emily"], False, False, now)
    rep = as_("wang.fang")
    template_id = save(container, rep)
    with container.session_factory() as session:
        emily, anna = session.get_one(Lead, ids["emily"]), session.get_one(Contact, ids["anna"])
        assert (emily.email_opt_out, emily.sms_opt_out, anna.email_opt_out, anna.sms_opt_out) == \
            (True, False, False, True)
        assert preview(session, rep, template_id, "lead", ids["emily"]).skip == "opted_out"


def test_the_unsubscribe_link_is_signed_and_stops_email_to_that_address_everywhere(container, as_):
    ids = records(container)
    now = container.engine.clock.now()
    with container.uow() as uow:  # the same person is also a lead of someone else's
        twin = create_lead(uow.session, None, LeadInput(name="Anna M.", email="ANNA@acme.example"), now,
                           owner="sun.li")
        uow.commit()
    token = token_for(SECRET, "contact", ids["anna"])
    forged = [token_for("another-secret", "contact", ids["anna"]), token.replace(f".{ids['anna']}.", f".{ids['anna'] + 100}."),
              token[:-2], "contact.x.y", "", f"lead.{ids['emily']}.{token.rsplit('.', 1)[1]}"]
    with container.session_factory() as session:
        assert recipient_of(session, SECRET, token).address == "a***@acme.example"
        for bad in forged:
            with pytest.raises(NotFound):
                recipient_of(session, SECRET, bad)
    assert run(container, unsubscribe, SECRET, token, now).address == "a***@acme.example"
    with container.session_factory() as session:
        assert session.get_one(Contact, ids["anna"]).email_opt_out is True
        assert session.get_one(Lead, twin.id).email_opt_out is True
        assert session.get_one(Lead, ids["emily"]).email_opt_out is False


def test_lines_are_counted_as_typed_in_the_form(container, as_):
    typed = TemplateInput(name="Lines", channel="sms", body="\r\n\r\nHi {{ recipient.nickname }}\r\n")
    problems = refused(container, create_template, as_("wang.fang"), typed, container.engine.clock.now())
    assert problems["body"].startswith("recipient.nickname is not a field you can use (line 3)")
