"""Bulk send benchmark: one email template sent to 10,000 leads on PostgreSQL, through a real
SMTP server (aiosmtpd, in a process of its own) on localhost.

Run it from the project root (PostgreSQL must be reachable):

    PYTHONPATH=. .venv/bin/python bench/bulk_send.py             # 10,000 emails, 3 runs
    PYTHONPATH=. .venv/bin/python bench/bulk_send.py --quick     # a smoke run

PostgreSQL is ``postgresql+psycopg://postgres@127.0.0.1:5432/dealflow_sends_bench`` unless
``--postgres-url`` or ``DEALFLOW_BENCH_SENDS_POSTGRES_URL`` says otherwise. That database is
DROPPED and created afresh, so its name must contain "bench".

(a) A send to every lead is queued (``create_send``: the visibility check and one recipient
row each) and then run in-process as the background job runs it (``run_send``): claim a
batch, write each message in the sandbox with its unsubscribe link, send it (over one SMTP
connection for the run, ``notifications.mail.one_connection``), log an activity per
message, commit. Messages per second of the run, median of the runs.
(b) The same SMTP sender alone, sending one message of the same size over and over, with no
database and no templates: what the mail path costs by itself (composing the MIME message
and an SMTP dialogue per message), once with a connection per message as a notification
does and once over one kept connection as a bulk send does, and so what share of (a) is
the job's own.
This is a benchmark, not a test: nothing is asserted about time.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

# ruff: noqa: E402
sys.path[:] = [str(Path(__file__).resolve().parents[1])] + [
    p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from sqlalchemy import insert, select

import bootstrap
from bench._bulk import bench_parser, recreate_database
from bench._http import free_port
from bench._stats import Figure, measured, median, summary_table, timed
from core import migrate
from core.clock import SystemClock
from core.settings import Settings
from notifications.mail import SmtpSender, one_connection
from notifications.outgoing import OutgoingEmail
from workflows.leads.models import Lead
from workflows.messaging.compose import Draft, email_parts, written
from workflows.messaging.models import MessageSend
from workflows.messaging.placeholders import OBJECTS, sample
from workflows.messaging.running import outlets, run_send
from workflows.messaging.sends import create_send
from workflows.messaging.templates import TemplateInput, create_template
from workflows.org.demo import load_demo
from workflows.org.models import User
from workflows.org.visibility import Viewer, viewer_for

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/dealflow_sends_bench"
OWNER = "wang.fang"
TEMPLATE = TemplateInput(
    name="Spring fair", channel="email", subject="{{ recipient.name }}, see {{ lead.company }} at our fair",
    body="Dear {{ recipient.name }},\n\n{% if lead.region %}As you are in {{ lead.region }}, {% endif %}"
         "come and see the new AGV line on our stand.\n\n- Hall 3, stand 12\n- 14 to 16 April\n\n"
         "{{ sender.name }}")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    emails, runs = (500, 2) if args.quick else (args.emails, args.runs)
    recreate_database(args.postgres_url)
    migrate.upgrade(args.postgres_url)
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                               "-c", "aiosmtpd.handlers.Sink"])
    try:
        _wait_for(port)
        container = bootstrap.build(Settings(database_url=args.postgres_url, smtp_url=f"smtp://127.0.0.1:{port}",
                                             base_url="https://crm.example.com"), clock=SystemClock())
        with container.uow() as uow:
            load_demo(uow.session, _now(container))
            uow.commit()
        figures = bulk(container, emails, runs) + bare_smtp(container, min(emails, 2_000), runs)
        figures.append(Figure("(a)/(b) job rate as a share of the bare SMTP rate over one connection",
                              f"{_rate(figures[0]) / _rate(figures[-1]):.2f}"))
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"\nSummary (whole run {time.perf_counter() - started:.0f} s, load average at the end "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())})")
    print(summary_table(figures))


def bulk(container: bootstrap.Container, emails: int, runs: int) -> list[Figure]:
    rep = _viewer(container, OWNER)
    ids = _leads(container, emails)
    with container.uow() as uow:
        template_id = create_template(uow.session, rep, TEMPLATE, _now(container)).id
        uow.commit()
    rates, queueing = [], []
    for number in range(1, runs + 1):
        queued, elapsed = _run_once(container, rep, template_id, ids)
        rates.append(emails / elapsed)
        queueing.append(queued)
        print(f"(a) run {number}: {emails:,} emails in {elapsed:.1f} s = {rates[-1]:.0f}/s "
              f"(queued in {queued:.2f} s)")
    return [Figure(f"(a) bulk send of {emails:,} emails, messages per second (median of {runs})",
                   f"{median(rates):.0f}/s"),
            Figure(f"(a) queueing a send to {emails:,} leads (median)", f"{median(queueing):.2f} s")]


def _run_once(container: bootstrap.Container, rep: Viewer, template_id: int,
              ids: list[int]) -> tuple[float, float]:
    """Seconds to queue a send to ``ids``, and to run it."""
    with container.uow() as uow:
        made, queued = measured(lambda: create_send(uow.session, rep, template_id, "lead", ids,
                                                    _now(container)))
        uow.commit()
    to = outlets(container.settings, container.notifications.postman.senders)
    elapsed = timed(lambda: run_send(container.session_factory, made.id, container.engine.clock, to))
    with container.session_factory() as session:
        done = session.get_one(MessageSend, made.id)
        assert (done.status, done.sent) == ("done", len(ids)), (done.status, done.sent, done.error)
    return queued, elapsed


def bare_smtp(container: bootstrap.Container, emails: int, runs: int) -> list[Figure]:
    assert container.settings.smtp_url is not None
    sender = SmtpSender(container.settings.smtp_url, container.settings.mail_from, SystemClock())
    message = written(Draft(TEMPLATE.channel, TEMPLATE.subject, TEMPLATE.body), sample(OBJECTS["lead"]))
    text, html = email_parts(message.body, "https://crm.example.com/unsubscribe/lead.1.0123456789abcdefghijklmn")
    email = OutgoingEmail(0, "someone@example.com", message.subject, text, html, "zh_CN",
                          "<bench@crm.example.com>")
    figures = []
    for label, send_all in (
        ("a connection per message, as a notification", lambda: [sender.send(email) for _ in range(emails)]),
        ("one kept connection, as a bulk send", lambda: _over_one_connection(sender, email, emails)),
    ):
        rates = []
        for number in range(1, runs + 1):
            rates.append(emails / timed(send_all))
            print(f"(b) run {number}: {emails:,} emails through SmtpSender, {label} = {rates[-1]:.0f}/s")
        figures.append(Figure(f"(b) SmtpSender alone, {label}, messages per second (median of {runs})",
                              f"{median(rates):.0f}/s"))
    return figures


def _over_one_connection(sender: SmtpSender, email: OutgoingEmail, emails: int) -> None:
    with one_connection(sender) as kept:
        for _ in range(emails):
            kept.send(email)


def _leads(container: bootstrap.Container, count: int) -> list[int]:
    """``count`` leads of the rep's, each with an email, inserted in bulk (setup, not measured)."""
    now = _now(container)
    regions = ("上海", "苏州", "杭州", "")
    rows = [{"name": f"客户{n}", "company": f"测试公司{n}", "email": f"lead{n}@example.com",
             "region": regions[n % 4], "source": "manual", "owner": OWNER, "status": "working",
             "created_at": now, "updated_at": now} for n in range(count)]
    with container.uow() as uow:
        ids = list(uow.session.scalars(insert(Lead).returning(Lead.id, sort_by_parameter_order=True), rows))
        uow.commit()
    return ids


def _viewer(container: bootstrap.Container, username: str) -> Viewer:
    with container.session_factory() as session:
        found = viewer_for(session, session.scalars(select(User.id).where(User.username == username)).one())
    assert found is not None
    return found


def _rate(figure: Figure) -> float:
    return float(figure.value.removesuffix("/s"))


def _now(container: bootstrap.Container) -> datetime:
    return container.engine.clock.now()


def _wait_for(port: int, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the SMTP server on port {port} did not start")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = bench_parser(__doc__ or "", "DEALFLOW_BENCH_SENDS_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    parser.add_argument("--emails", type=int, default=10_000, help="leads the send goes to")
    parser.add_argument("--runs", type=int, default=3, help="timed runs; the median is reported")
    return parser.parse_args(argv)


if __name__ == "__main__":
    main()
