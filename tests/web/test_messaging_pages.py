"""The template pages, sending from a lead's page and from the lead list (the send runs on a thread,
as in the embedded default, through a real SMTP server), the progress page, opt-outs and the public
unsubscribe page; CSRF everywhere, and another team's records and sends answering 404."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from sqlalchemy import func, select

import bootstrap
from core.settings import Settings
from tests.integration.test_bulk_send import relay  # noqa: F401  (the SMTP server fixture)
from tests.integration.test_message_templates import records
from tests.web.conftest import csrf_token
from workflows.leads.models import Lead
from workflows.leads.service import LeadInput, create_lead
from workflows.messaging.models import MessageSend, MessageTemplate

WAIT_SECONDS = 30  # a deadline for the send's thread, not a measured time
WELCOME = {"name": "Welcome", "channel": "email", "subject": "Hello {{ recipient.name }}",
           "body": "Dear {{ recipient.name }},\nHow is {{ lead.company }}?"}


@pytest.fixture
def container(database_url, clock, relay) -> Iterator[bootstrap.Container]:  # noqa: F811
    built = bootstrap.build(Settings(database_url=database_url, smtp_url=relay[1],
                                     base_url="https://crm.example.com"), clock=clock)
    yield built
    built.db.dispose()


@pytest.fixture
def ids(app, container) -> dict[str, int]:
    return records(container)


def write_template(client, **fields: str) -> int:
    token = csrf_token(client.get("/messages/templates/new").text)
    response = client.post("/messages/templates/new", data={"csrf_token": token, **WELCOME, **fields})
    assert response.status_code == 302, response.text
    return int(re.findall(r"/messages/templates/(\d+)/edit", client.get("/messages/templates").text)[-1])


def finished(client, location: str) -> str:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        page = client.get(location).text
        if 'http-equiv="refresh"' not in page:
            return page
        time.sleep(0.1)
    pytest.fail(f"the send at {location} did not finish within {WAIT_SECONDS} s")


def received(relay) -> dict[str, object]:  # noqa: F811
    return {str(m["To"]): m for m in (message_from_bytes(raw, policy=default_policy) for raw in relay[0].received)}


def sends_count(container) -> int:
    with container.session_factory() as session:
        return session.scalar(select(func.count()).select_from(MessageSend)) or 0


def test_templates_are_written_on_their_page_with_each_problem_beside_its_field(login, container):
    rep = login("wang.fang")
    assert "No templates yet." in rep.get("/messages/templates").text
    token = csrf_token(rep.get("/messages/templates/new").text)
    bad = rep.post("/messages/templates/new", data={"csrf_token": token, **WELCOME,
                                                     "subject": "Hi {{ contact.nickname }}"})
    assert bad.status_code == 400 and "contact.nickname is not a field you can use (line 1)" in bad.text
    broken = rep.post("/messages/templates/new", data={"csrf_token": token, **WELCOME, "body": "Hi\n{{ x"})
    assert broken.status_code == 400 and "line 2: " in broken.text
    assert rep.post("/messages/templates/new", data=WELCOME).status_code == 400  # no CSRF token
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(MessageTemplate)) == 0
    template_id = write_template(rep)
    assert "Welcome" in rep.get("/messages/templates").text
    assert login("sun.li").get(f"/messages/templates/{template_id}/edit").status_code == 404  # private
    news = write_template(login("admin"), name="News", shared="y")
    assert "News" in rep.get("/messages/templates").text
    assert rep.get(f"/messages/templates/{news}/edit").status_code == 403  # admins change shared ones


def test_a_lead_is_emailed_from_its_page_and_the_send_is_watched_to_the_end(login, ids, relay):  # noqa: F811
    rep = login("wang.fang")
    template_id = write_template(rep)
    lead_page = rep.get(f"/leads/{ids['emily']}").text
    assert f'/messages/send/lead?ids={ids["emily"]}' in lead_page
    compose = rep.get(f"/messages/send/lead?ids={ids['emily']}&template_id={template_id}")
    assert compose.status_code == 200 and "Hello Emily Zhou" in compose.text and "How is Suzhou Parts?" in compose.text
    sent = rep.post("/messages/send/lead", data={"csrf_token": csrf_token(compose.text), "ids": [ids["emily"]],
                                                 "template_id": template_id})
    assert sent.status_code == 302 and "Sending to 1 recipient." in rep.get(sent.location).text
    page = finished(rep, sent.location)
    assert "Finished: 1 of 1 recipients" in page and "No mail server is set" not in page
    assert list(received(relay)) == ["emily@parts.example"]
    message = received(relay)["emily@parts.example"]
    assert "unsubscribe" not in message.get_body(("plain",)).get_content()  # one personal email
    assert "Hello Emily Zhou" in rep.get(f"/leads/{ids['emily']}").text  # logged as an activity


def test_the_leads_ticked_in_the_list_are_sent_to_and_one_unsubscribes_without_logging_in(
        app, login, container, ids, relay):  # noqa: F811
    rep = login("wang.fang")
    template_id = write_template(rep)
    listing = rep.get("/leads").text
    assert "Send email/SMS to the selected" in listing
    chosen = rep.post("/messages/send/lead/selected", data={"csrf_token": csrf_token(listing),
                                                            "lead_ids": [ids["emily"], ids["chen"], ids["li"]]})
    assert chosen.status_code == 302 and "/messages/send/lead?ids=" in chosen.location
    compose = rep.get(chosen.location + f"&template_id={template_id}&preview_id={ids['chen']}")
    assert "no address for this channel" in compose.text and "Send to 3 recipients" in compose.text
    sent = rep.post("/messages/send/lead", data={"csrf_token": csrf_token(compose.text), "template_id": template_id,
                                                 "ids": [ids["emily"], ids["chen"], ids["li"]]})
    page = finished(rep, sent.location)
    assert "Finished: 3 of 3 recipients" in page and "Skipped: no email address" in page
    assert sorted(received(relay)) == ["emily@parts.example", "li@port.example"]
    assert len(set(relay[0].peers)) == 1  # both over one connection to the mail server
    skipped = rep.get(sent.location + "?outcome=no_address").text
    assert "Chen Jie" in skipped and "Emily Zhou" not in skipped

    text = received(relay)["emily@parts.example"].get_body(("plain",)).get_content()
    link = re.search(r"https://crm\.example\.com(/unsubscribe/\S+)", text)
    assert link is not None
    visitor = app.test_client()  # nobody logged in: the page speaks the browser's language
    english = {"Accept-Language": "en-US,en;q=0.9"}
    confirm = visitor.get(link.group(1), headers=english)
    assert confirm.status_code == 200 and "Stop these emails to e***@parts.example?" in confirm.text
    with container.session_factory() as session:  # only the click unsubscribes, not a mail scanner's GET
        assert session.get_one(Lead, ids["emily"]).email_opt_out is False
    assert visitor.post(link.group(1)).status_code == 400  # no CSRF token
    done = visitor.post(link.group(1), data={"csrf_token": csrf_token(confirm.text)}, headers=english)
    assert done.status_code == 200 and "will get no more of these emails" in done.text
    with container.session_factory() as session:
        assert session.get_one(Lead, ids["emily"]).email_opt_out is True
    assert visitor.get("/unsubscribe/lead.1.forged").status_code == 404
    assert 'name="email_opt_out" value="y" checked' in rep.get(f"/leads/{ids['emily']}").text


def test_a_mail_servers_refusal_is_shown_as_it_said_it(login, container, ids, relay):  # noqa: F811
    rep = login("wang.fang")
    with container.uow() as uow:
        full = create_lead(uow.session, None, LeadInput(name="Full Box", email="full@example.com"),
                           container.engine.clock.now(), owner="wang.fang").id
        uow.commit()
    template_id = write_template(rep)
    compose = rep.get(f"/messages/send/lead?ids={full}&ids={ids['emily']}&template_id={template_id}")
    sent = rep.post("/messages/send/lead", data={"csrf_token": csrf_token(compose.text), "template_id": template_id,
                                                 "ids": [full, ids["emily"]]})
    page = finished(rep, sent.location)
    assert "Finished: 2 of 2 recipients" in page
    assert "the mail server refused full@example.com: 552 mailbox 100% full" in page
    assert list(received(relay)) == ["emily@parts.example"]


def test_opt_outs_are_set_on_the_records_page(login, container, ids):
    rep = login("wang.fang")
    page = rep.get(f"/contacts/{ids['anna']}").text
    assert "Does not want text messages" in page
    assert rep.post(f"/contact/{ids['anna']}/opt-outs", data={"sms_opt_out": "y"}).status_code == 400  # CSRF
    saved = rep.post(f"/contact/{ids['anna']}/opt-outs", data={"csrf_token": csrf_token(page), "sms_opt_out": "y"})
    assert saved.status_code == 302 and saved.location.endswith(f"/contacts/{ids['anna']}")
    assert 'name="sms_opt_out" value="y" checked' in rep.get(saved.location).text
    other = login("sun.li")
    token = csrf_token(other.get("/leads").text)
    assert other.post(f"/lead/{ids['emily']}/opt-outs", data={"csrf_token": token}).status_code == 404


def test_a_bad_placeholder_fails_the_preview_and_nothing_is_sent(login, container, ids, relay):  # noqa: F811
    rep = login("wang.fang")
    template_id = write_template(rep)  # lead.company: nothing for a contact
    compose = rep.get(f"/messages/send/contact?ids={ids['anna']}&template_id={template_id}")
    assert compose.status_code == 400 and "lead.company is not a field you can use" in compose.text
    assert "Send to" not in compose.text
    refused = rep.post("/messages/send/contact", data={"csrf_token": csrf_token(compose.text),
                                                       "template_id": template_id, "ids": [ids["anna"]]})
    assert refused.status_code == 400 and "lead.company is not a field you can use" in refused.text
    assert sends_count(container) == 0 and relay[0].received == []


def test_another_teams_records_and_sends_answer_404_and_a_send_needs_its_csrf_token(login, container, ids):
    rep, other = login("wang.fang"), login("sun.li")
    template_id = write_template(rep)
    token = csrf_token(rep.get("/leads").text)
    assert rep.get(f"/messages/send/lead?ids={ids['emily']}&ids={ids['hz']}").status_code == 404
    assert rep.get(f"/messages/send/lead?ids={ids['emily']}&template_id={template_id}&preview_id={ids['li']}") \
        .status_code == 404  # the preview is of a record in the selection
    assert rep.post("/messages/send/lead", data={"csrf_token": token, "template_id": template_id,
                                                 "ids": [ids["emily"], ids["hz"]]}).status_code == 404
    assert rep.post("/messages/send/lead", data={"template_id": template_id,
                                                 "ids": [ids["emily"]]}).status_code == 400
    assert sends_count(container) == 0
    sent = rep.post("/messages/send/lead", data={"csrf_token": token, "template_id": template_id,
                                                 "ids": [ids["emily"]]})
    finished(rep, sent.location)
    assert other.get(sent.location).status_code == 404
    assert other.get(f"/messages/send/lead?ids={ids['emily']}").status_code == 404
    assert "Welcome" in rep.get("/messages/sends").text and "Welcome" not in other.get("/messages/sends").text


def rate(container, rating: str, *lead_ids: int) -> None:
    with container.uow() as uow:
        for lead_id in lead_ids:
            uow.session.get_one(Lead, lead_id).rating = rating
        uow.commit()


def test_a_saved_lead_view_is_sent_to_whoever_it_shows_when_the_send_is_queued(
        login, container, ids, relay):  # noqa: F811
    rep = login("wang.fang")
    template_id = write_template(rep)
    rate(container, "cold", ids["emily"], ids["li"], ids["chen"])
    rate(container, "hot", ids["emily"], ids["li"])
    listing = rep.get("/leads?rating=hot&source=nonsense").text
    assert "Emily Zhou" in listing and "Li Qiang" in listing and "Chen Jie" not in listing
    saved = rep.post("/leads/views", data={"csrf_token": csrf_token(listing), "name": "Hot ones",
                                           "scope": "mine", "rating": "hot", "source": "nonsense"})
    assert saved.status_code == 302 and saved.location == "/leads?scope=mine&rating=hot"
    listing = rep.get(saved.location).text
    view_id = re.search(r"/messages/send/lead\?view_id=(\d+)", listing).group(1)
    compose = rep.get(f"/messages/send/lead?view_id={view_id}&template_id={template_id}")
    assert compose.status_code == 200 and "To the 2 leads of the view “Hot ones”:" in compose.text
    assert "Send to 2 recipients" in compose.text and "Chen Jie" not in compose.text
    rate(container, "hot", ids["chen"])  # the view is read again when the send is queued
    sent = rep.post("/messages/send/lead", data={"csrf_token": csrf_token(compose.text),
                                                 "template_id": template_id, "view_id": view_id})
    assert sent.status_code == 302 and "Sending to 3 recipients." in rep.get(sent.location).text
    page = finished(rep, sent.location)
    assert "Finished: 3 of 3 recipients" in page and "Skipped: no email address" in page
    assert sorted(received(relay)) == ["emily@parts.example", "li@port.example"]


def test_someone_elses_view_and_an_empty_view_send_nothing(login, container, ids):
    rep, other = login("wang.fang"), login("sun.li")
    template_id = write_template(rep)
    token = csrf_token(rep.get("/leads").text)
    rep.post("/leads/views", data={"csrf_token": token, "name": "Nobody", "scope": "mine", "status": "converted"})
    view_id = re.search(r"/messages/send/lead\?view_id=(\d+)", rep.get("/leads").text).group(1)
    empty = rep.get(f"/messages/send/lead?view_id={view_id}&template_id={template_id}")
    assert empty.status_code == 400 and "Nobody is in the view “Nobody” right now." in empty.text
    refused = rep.post("/messages/send/lead", data={"csrf_token": token, "template_id": template_id,
                                                    "view_id": view_id})
    assert refused.status_code == 400 and "choose at least one recipient" in refused.text
    assert other.get(f"/messages/send/lead?view_id={view_id}").status_code == 404
    assert other.post("/messages/send/lead", data={"csrf_token": csrf_token(other.get("/leads").text),
                                                   "template_id": template_id, "view_id": view_id}).status_code == 404
    assert sends_count(container) == 0
