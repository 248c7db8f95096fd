"""The real senders against servers on this machine: SMTP (aiosmtpd) and an HTTP SMS
gateway. A refusal that retrying cannot fix is Undeliverable; anything else is raised."""

from __future__ import annotations

import json
import smtplib
import threading
import urllib.error
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from core.clock import ManualClock
from notifications.mail import SmtpSender, SmtpServer, one_connection
from notifications.outgoing import OutgoingEmail, OutgoingSms, Undeliverable
from notifications.sms import HttpSmsGateway
from tests.integration.test_notification_worker import free_port

EMAIL = OutgoingEmail(7, "rep@example.com", "New task: Qualify", "Hello,\n\nA task.\n", "<p>A task.</p>",
                      "zh_CN", "<dealflow-delivery-7@crm.example.com>")


class Relay:
    """Accepts mail, except for ``nobody@`` (550) and while ``busy`` (451 on DATA)."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.peers: list[tuple[str, int]] = []
        self.busy = False

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: ANN001
        if address.startswith("nobody@"):
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        if self.busy:
            return "451 try again later"
        self.received.append(envelope.content)
        self.peers.append(session.peer)  # one per connection: its client port differs
        return "250 OK"


class TiredRelay(Relay):
    """Takes three messages per connection, then answers the next with 421 and hangs up."""

    async def handle_MAIL(self, server, session, envelope, address, options):  # noqa: ANN001
        if self.peers.count(session.peer) >= 3:
            server.transport.close()
            return "421 too many messages, closing"
        envelope.mail_from = address
        return "250 OK"


def only_mailer(server, session, envelope, mechanism, auth_data):  # noqa: ANN001
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"mailer", b"p@ss:w")
    return AuthResult(success=ok)


def serve(handler: Relay) -> Iterator[tuple[Relay, int]]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, auth_require_tls=False,
                            authenticator=only_mailer)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def relay() -> Iterator[tuple[Relay, int]]:
    yield from serve(Relay())


@pytest.fixture
def tired_relay() -> Iterator[tuple[Relay, int]]:
    yield from serve(TiredRelay())


def numbered(count: int) -> list[OutgoingEmail]:
    return [OutgoingEmail(**{**EMAIL.__dict__, "to": f"lead{n}@example.com", "delivery_id": n})
            for n in range(count)]


def recipients(handler: Relay) -> list[str]:
    return [str(message_from_bytes(raw, policy=default_policy)["To"]) for raw in handler.received]


def test_the_smtp_url_is_read_with_its_credentials_decoded():
    server = SmtpServer.from_url("smtps://mailer:p%40ss%3Aw@mail.example.com?starttls=0")
    assert (server.host, server.port, server.username, server.password, server.implicit_tls) == \
        ("mail.example.com", 465, "mailer", "p@ss:w", True)
    assert SmtpServer.from_url("smtp://mail.example.com:2525?starttls=1").starttls is True


def test_an_email_goes_out_with_both_parts_after_logging_in(relay):
    handler, port = relay
    SmtpSender(f"smtp://mailer:p%40ss%3Aw@127.0.0.1:{port}", "Dealflow <crm@example.com>", ManualClock()).send(EMAIL)
    [raw] = handler.received
    message = message_from_bytes(raw, policy=default_policy)
    assert (message["Subject"], message["To"], message["Content-Language"]) == \
        ("New task: Qualify", "rep@example.com", "zh-CN")
    assert message["Message-ID"] == EMAIL.message_id and message["Auto-Submitted"] == "auto-generated"
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == EMAIL.text
    assert message.get_body(("html",)).get_content().strip() == EMAIL.html


def test_a_refused_mailbox_is_undeliverable_and_a_busy_server_is_retried(relay):
    handler, port = relay
    sender = SmtpSender(f"smtp://mailer:p%40ss%3Aw@127.0.0.1:{port}", "crm@example.com", ManualClock())
    with pytest.raises(Undeliverable, match="550 no such mailbox"):
        sender.send(OutgoingEmail(**{**EMAIL.__dict__, "to": "nobody@example.com"}))
    handler.busy = True
    with pytest.raises(smtplib.SMTPDataError) as busy:
        sender.send(EMAIL)
    assert not isinstance(busy.value, Undeliverable) and handler.received == []


def test_a_bulk_run_sends_over_one_connection_and_a_notification_over_its_own(relay):
    handler, port = relay
    sender = SmtpSender(f"smtp://mailer:p%40ss%3Aw@127.0.0.1:{port}", "crm@example.com", ManualClock())
    with one_connection(sender) as kept:
        for email in numbered(5):
            kept.send(email)
        with pytest.raises(Undeliverable, match="550 no such mailbox"):  # and the connection goes on
            kept.send(OutgoingEmail(**{**EMAIL.__dict__, "to": "nobody@example.com"}))
        kept.send(EMAIL)
    assert recipients(handler) == [f"lead{n}@example.com" for n in range(5)] + ["rep@example.com"]
    assert len(set(handler.peers)) == 1
    sender.send(EMAIL)
    assert len(set(handler.peers)) == 2


def test_a_server_that_hangs_up_after_some_messages_gets_each_message_once(tired_relay):
    handler, port = tired_relay
    sender = SmtpSender(f"smtp://mailer:p%40ss%3Aw@127.0.0.1:{port}", "crm@example.com", ManualClock())
    with one_connection(sender) as kept:
        for email in numbered(7):
            kept.send(email)
    assert recipients(handler) == [f"lead{n}@example.com" for n in range(7)]
    assert len(set(handler.peers)) == 3


class Gateway(BaseHTTPRequestHandler):
    """Answers with the status the test sets, keeping each request."""

    status = 202
    requests: list[tuple[str, dict, str | None]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Gateway.requests.append((self.path, body, self.headers.get("Authorization")))
        self.send_response(Gateway.status)
        self.end_headers()
        self.wfile.write(b'{"error": "number not reachable"}' if Gateway.status >= 400 else b"{}")

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def gateway() -> Iterator[str]:
    Gateway.status, Gateway.requests = 202, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://api:k%3Dy@127.0.0.1:{server.server_address[1]}/send"
    server.shutdown()
    server.server_close()


SMS = OutgoingSms(9, "+8613800000000", "[Dealflow] Reminder: Call ACME", "dealflow-delivery-9")


def test_a_text_is_posted_as_json_with_basic_auth(gateway):
    HttpSmsGateway(gateway).send(SMS)
    [(path, body, authorization)] = Gateway.requests
    assert path == "/send" and body == {"to": "+8613800000000", "text": "[Dealflow] Reminder: Call ACME",
                                        "reference": "dealflow-delivery-9"}
    assert authorization == "Basic YXBpOms9eQ=="  # api:k=y


def test_a_gateway_refusal_is_undeliverable_and_its_outage_is_retried(gateway):
    Gateway.status = 400
    with pytest.raises(Undeliverable, match="400 .*number not reachable"):
        HttpSmsGateway(gateway).send(SMS)
    Gateway.status = 503
    with pytest.raises(urllib.error.HTTPError):
        HttpSmsGateway(gateway).send(SMS)
