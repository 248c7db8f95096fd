"""Sending a template to many records through a real SMTP server (aiosmtpd) and a real HTTP SMS
gateway: each recipient gets their own message once, however often the job runs; opted-out and
unreachable ones are skipped and said so; each message is logged on its record."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import ThreadingHTTPServer

import pytest
import redis
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update

import bootstrap
from core.celery_app import make_celery
from core.errors import InvalidInput, NotFound
from core.settings import Settings
from tests.conftest import require_redis
from tests.integration.test_message_templates import SECRET, records, save
from tests.integration.test_notification_senders import Gateway, Relay
from tests.integration.test_notification_worker import ROOT, WAIT_SECONDS, free_port
from tests.usecases import run
from workflows.activities.models import Activity
from workflows.leads.service import LeadInput, create_lead
from workflows.messaging.models import MessageSend, SendRecipient
from workflows.messaging.opt_out import set_opt_outs, unsubscribe
from workflows.messaging.running import INTERRUPTED, LEASE, SEND_TASK, outlets, run_send
from workflows.messaging.sends import create_send, start_again
from workflows.messaging.templates import TemplateInput
from workflows.org.demo import load_demo
from workflows.org.models import User
from workflows.org.visibility import viewer_for


class FullRelay(Relay):
    """Also refuses ``full@`` as a full mailbox does, with a per cent sign in the reply."""

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: ANN001
        if address.startswith("full@"):
            return "552 mailbox 100% full"
        return await super().handle_RCPT(server, session, envelope, address, options)


@pytest.fixture
def relay() -> Iterator[tuple[Relay, str]]:
    handler, port = FullRelay(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, f"smtp://127.0.0.1:{port}"
    controller.stop()


@pytest.fixture
def gateway() -> Iterator[str]:
    Gateway.status, Gateway.requests = 202, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/send"
    server.shutdown()
    server.server_close()


@pytest.fixture
def container(database_url, clock, relay, gateway) -> Iterator[bootstrap.Container]:
    settings = Settings(database_url=database_url, smtp_url=relay[1], sms_url=gateway,
                        base_url="https://crm.example.com", secret_key=SECRET)
    built = bootstrap.build(settings, clock=clock)
    yield built
    built.db.dispose()


@pytest.fixture
def ids(container, demo) -> dict[str, int]:
    """The records of test_message_templates, and one more lead of wang.fang's with an email."""
    made = records(container)
    with container.uow() as uow:
        made["wu"] = create_lead(uow.session, None, LeadInput(name="Wu Lei", company="Wuxi Gears",
                                                              email="wu@gears.example"),
                                 container.engine.clock.now(), owner="wang.fang").id
        uow.commit()
    return made


def send(container, viewer, template_id: int, kind: str, targets: list[int]) -> int:
    return run(container, lambda s: create_send(s, viewer, template_id, kind, targets,
                                                container.engine.clock.now()).id)


def go(container, send_id: int) -> str:
    return run_send(container.session_factory, send_id, container.engine.clock,
                    outlets(container.settings, container.notifications.postman.senders))


def mail(relay) -> list[EmailMessage]:
    return [message_from_bytes(raw, policy=default_policy) for raw in relay[0].received]  # type: ignore[misc]


def outcomes(container, send_id: int) -> list[tuple[int, str | None, str]]:
    with container.session_factory() as session:
        return [(r.subject_id, r.outcome, r.reason) for r in session.scalars(
            select(SendRecipient).where(SendRecipient.send_id == send_id).order_by(SendRecipient.number))]


def test_each_recipient_gets_their_own_email_once_and_the_opted_out_and_unreachable_are_skipped(
        container, as_, ids, relay):
    rep = as_("wang.fang")
    run(container, set_opt_outs, rep, "lead", ids["li"], True, False, container.engine.clock.now())
    template_id = save(container, rep)
    send_id = send(container, rep, template_id, "lead", [ids["emily"], ids["li"], ids["chen"], ids["wu"]])
    assert go(container, send_id) == "done"

    received = {str(m["To"]): m for m in mail(relay)}
    assert len(relay[0].received) == 2 and set(received) == {"emily@parts.example", "wu@gears.example"}
    emily = received["emily@parts.example"]
    assert emily["Subject"] == "Hello Emily Zhou" and received["wu@gears.example"]["Subject"] == "Hello Wu Lei"
    text = emily.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = emily.get_body(("html",)).get_content()
    assert text.startswith("Dear Emily Zhou,\n\nHow is Suzhou Parts?\n王芳\n")
    link = re.search(r"https://crm\.example\.com/unsubscribe/\S+", text)
    assert link is not None and f'href="{link.group(0)}"' in html
    assert emily["Message-ID"].startswith(f"<dealflow-send-{send_id}-") and "Wuxi Gears" not in text

    assert outcomes(container, send_id) == [(ids["emily"], "sent", ""), (ids["li"], "opted_out", ""),
                                            (ids["chen"], "no_address", ""), (ids["wu"], "sent", "")]
    with container.session_factory() as session:
        done = session.get_one(MessageSend, send_id)
        assert (done.status, done.done, done.sent, done.opted_out, done.no_address, done.failed) == \
            ("done", 4, 2, 1, 1, 0)
        logged = session.scalars(select(Activity).order_by(Activity.subject_id)).all()
    assert [(a.kind, a.subject_type, a.subject_id, a.owner) for a in logged] == \
        [("email", "lead", ids["emily"], "wang.fang"), ("email", "lead", ids["wu"], "wang.fang")]
    assert logged[0].outcome.startswith("Hello Emily Zhou\n\nDear Emily Zhou,")

    token = link.group(0).rsplit("/", 1)[1]  # Emily unsubscribes: the next send skips her
    run(container, unsubscribe, SECRET, token, container.engine.clock.now())
    again = send(container, rep, template_id, "lead", [ids["emily"]])
    assert go(container, again) == "done" and outcomes(container, again) == [(ids["emily"], "opted_out", "")]
    assert len(relay[0].received) == 2


def test_one_personal_email_has_no_unsubscribe_link(container, as_, ids, relay):
    rep = as_("wang.fang")
    with container.uow() as uow:
        one = create_send(uow.session, rep, save(container, rep), "lead", [ids["emily"]],
                          container.engine.clock.now(), bulk=False)
        uow.commit()
    go(container, one.id)
    [message] = mail(relay)
    assert "unsubscribe" not in message.get_body(("plain",)).get_content()


def test_a_send_run_again_or_by_two_jobs_at_once_sends_to_nobody_twice(container, as_, ids, relay, clock):
    rep = as_("wang.fang")
    template_id = save(container, rep)
    targets = [ids["emily"], ids["wu"]]
    first = send(container, rep, template_id, "lead", targets)
    assert go(container, first) == "done" and go(container, first) == "done"
    assert len(relay[0].received) == 2

    second = send(container, rep, template_id, "lead", targets)
    with container.uow() as uow:  # another job is at it right now: this one leaves it alone
        uow.session.get_one(MessageSend, second).status = "running"
        uow.commit()
    assert go(container, second) == "running" and len(relay[0].received) == 2
    clock.advance(LEASE + timedelta(minutes=1))  # that job died: its heartbeat is ten minutes old
    assert go(container, second) == "done" and len(relay[0].received) == 4


def test_a_recipient_claimed_by_a_run_that_died_is_not_sent_again(container, as_, ids, relay):
    rep = as_("wang.fang")
    send_id = send(container, rep, save(container, rep), "lead", [ids["emily"], ids["wu"]])
    with container.uow() as uow:  # a run claimed Emily, may have mailed her, and stopped
        uow.session.execute(update(SendRecipient).where(SendRecipient.subject_id == ids["emily"])
                            .values(outcome="sending"))
        uow.session.get_one(MessageSend, send_id).status = "failed"
        uow.commit()
    run(container, start_again, rep, send_id, container.engine.clock.now())
    assert go(container, send_id) == "done"
    assert [str(m["To"]) for m in mail(relay)] == ["wu@gears.example"]
    assert outcomes(container, send_id) == [(ids["emily"], "failed", str(INTERRUPTED)), (ids["wu"], "sent", "")]


def test_a_refused_address_fails_that_recipient_only(container, as_, ids, relay):
    rep = as_("wang.fang")
    with container.uow() as uow:
        nobody = create_lead(uow.session, None, LeadInput(name="No Body", email="nobody@example.com"),
                             container.engine.clock.now(), owner="wang.fang").id
        uow.commit()
    send_id = send(container, rep, save(container, rep), "lead", [nobody, ids["emily"]])
    assert go(container, send_id) == "done"
    [(_, failed, reason), (_, sent, _)] = outcomes(container, send_id)
    assert (failed, sent) == ("failed", "sent") and "550 no such mailbox" in reason
    with container.session_factory() as session:
        assert session.scalars(select(Activity.subject_id)).all() == [ids["emily"]]


def test_a_template_that_cannot_be_written_for_the_records_sends_nothing(container, as_, ids, relay):
    rep = as_("wang.fang")
    template_id = save(container, rep)  # it says lead.company: nothing for a contact
    with pytest.raises(InvalidInput) as caught:
        send(container, rep, template_id, "contact", [ids["anna"]])
    assert "lead.company is not a field you can use" in caught.value.fields["body"]
    with pytest.raises(NotFound):  # one of another team's leads: the whole send does not exist
        send(container, rep, template_id, "lead", [ids["emily"], ids["hz"]])
    with container.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(MessageSend)) == 0
    assert relay[0].received == []


def test_text_messages_go_through_the_gateway_to_whoever_has_a_phone_and_wants_them(container, as_, ids):
    rep = as_("wang.fang")
    template_id = save(container, rep, TemplateInput(name="Visit", channel="sms",
                                                     body="{{ recipient.name }}, {{ sender.name }} visits tomorrow"))
    run(container, set_opt_outs, rep, "lead", ids["chen"], False, True, container.engine.clock.now())
    send_id = send(container, rep, template_id, "lead", [ids["emily"], ids["chen"], ids["wu"]])
    assert go(container, send_id) == "done"
    with container.session_factory() as session:
        row = session.scalars(select(SendRecipient.id).where(SendRecipient.subject_id == ids["emily"])).one()
    assert [body for _path, body, _auth in Gateway.requests] == [
        {"to": "+8613962150001", "text": "Emily Zhou, 王芳 visits tomorrow", "reference": f"dealflow-send-{send_id}-{row}"}]
    assert [outcome for _id, outcome, _reason in outcomes(container, send_id)] == \
        ["sent", "opted_out", "no_address"]
    with container.session_factory() as session:
        [logged] = session.scalars(select(Activity)).all()
    assert (logged.kind, logged.subject_id, logged.outcome) == ("sms", ids["emily"], "Emily Zhou, 王芳 visits tomorrow")


@pytest.mark.redis
def test_a_celery_worker_runs_the_send_and_a_duplicate_job_sends_nothing_more(postgres_database, relay, gateway,
                                                                              tmp_path):
    broker = require_redis()
    redis.Redis.from_url(broker).flushdb()  # no job left over from an earlier run
    settings = Settings(database_url=postgres_database, broker_url=broker, smtp_url=relay[1], sms_url=gateway,
                        base_url="https://crm.example.com", secret_key=SECRET)
    built = bootstrap.build(settings)
    with built.uow() as uow:
        load_demo(uow.session, built.engine.clock.now())
        uow.commit()
    with built.session_factory() as session:
        rep = viewer_for(session, session.scalars(select(User.id).where(User.username == "wang.fang")).one())
    assert rep is not None
    made = records(built)
    send_id = send(built, rep, save(built, rep), "lead", [made["emily"], made["li"]])
    env = {**os.environ, "DEALFLOW_DATABASE_URL": postgres_database, "DEALFLOW_BROKER_URL": broker,
           "DEALFLOW_SMTP_URL": relay[1], "DEALFLOW_BASE_URL": settings.base_url, "DEALFLOW_SECRET_KEY": SECRET}
    with open(tmp_path / "worker.log", "wb") as log:
        worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "worker", "worker", "--pool=solo",
                                   "--loglevel=warning", "-n", "sends@%h"], cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
        try:
            client = make_celery(settings)
            jobs = [client.send_task(SEND_TASK, args=[send_id]) for _ in range(2)]  # a duplicated publish
            assert {job.get(timeout=WAIT_SECONDS) for job in jobs} == {"done"}
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    assert sorted(str(m["To"]) for m in mail(relay)) == ["emily@parts.example", "li@port.example"]
    built.db.dispose()
