"""Email through a real Celery worker on Redis, against PostgreSQL and a real SMTP server
(aiosmtpd): each arrives once, in its reader's language, however often its job runs, and
after the worker is killed in the middle of sending it."""

from __future__ import annotations

import asyncio
import email
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

import bootstrap
from core.celery_app import make_celery
from core.settings import Settings
from notifications import DELIVER_TASK, SWEEP_TASK, Notice, Recipient, notify
from notifications.models import Delivery
from tests.conftest import require_redis
from workflows.org import service, units

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60  # a deadline for waiting on the worker, not a measured time
LEASE_ENDED = timedelta(minutes=2)  # how far past the sweep's grace a stale row is set


class Mailbox:
    """An SMTP handler keeping what it accepts; told to, it stalls the next message until
    released and then refuses it, as a connection whose sender died would end."""

    def __init__(self) -> None:
        self.accepted: list[EmailMessage] = []
        self.stall_next = False
        self.stalled = threading.Event()
        self.released = threading.Event()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        if self.stall_next:
            self.stall_next = False
            self.stalled.set()
            while not self.released.is_set():
                await asyncio.sleep(0.05)
            return "421 sender went away"
        content = envelope.content  # type: ignore[attr-defined]
        self.accepted.append(email.message_from_bytes(content, policy=default_policy))  # type: ignore[arg-type]
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, str]]:
    handler, port = Mailbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, f"smtp://127.0.0.1:{port}"
    handler.released.set()
    controller.stop()


@pytest.fixture
def settings(postgres_database: str, mailbox: tuple[Mailbox, str]) -> Settings:
    broker = require_redis()
    redis.Redis.from_url(broker).flushdb()  # no job left over from an earlier run
    return Settings(database_url=postgres_database, broker_url=broker, smtp_url=mailbox[1],
                    base_url="https://crm.example.com")


@pytest.fixture
def start_worker(settings: Settings, tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    logs = ExitStack()
    env = {**os.environ, "DEALFLOW_DATABASE_URL": settings.database_url,
           "DEALFLOW_BROKER_URL": settings.broker_url or "", "DEALFLOW_SMTP_URL": settings.smtp_url or "",
           "DEALFLOW_BASE_URL": settings.base_url}

    def start() -> subprocess.Popen[bytes]:
        log = logs.enter_context(open(tmp_path / f"worker{len(started)}.log", "wb"))
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "worker", "worker", "--pool=solo", "--loglevel=warning",
             "-n", f"notif{len(started)}@%h"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
    logs.close()


@pytest.fixture
def container(settings: Settings) -> Iterator[bootstrap.Container]:
    built = bootstrap.build(settings)
    yield built
    built.db.dispose()


@pytest.fixture
def people(container: bootstrap.Container) -> dict[str, Recipient]:
    now = container.engine.clock.now()
    with container.uow() as uow:
        team = units.insert_unit(uow.session, "Team 1", "team", None)
        made = {}
        for username, name, locale in (("rep", "Wang Fang", "en"), ("boss", "刘洋", "zh_CN")):
            user = service.insert_user(
                uow.session, username=username, display_name=name, email=f"{username}@example.com",
                password_hash="x", org_unit_id=team.id, manager_id=None, roles=["sales_rep"],
                locale=locale, timezone="Asia/Shanghai", now=now)
            made[username] = Recipient(user.id, username, name, user.email, "", locale, "Asia/Shanghai")
        uow.commit()
    return made


def tell(container: bootstrap.Container, who: Recipient) -> int:
    """Notify ``who`` in one committed unit of work; its commit publishes the job."""
    with container.uow() as uow:
        notification = notify(uow.session, Notice(
            who, "approval_decided", "contract:12:decided", link="/contracts/12",
            context={"record": "Contract HT-2026-012", "decision": "approved", "decided_by": "Chen Hao"}),
            container.engine.clock.now())
        assert notification is not None
        uow.commit()
    with container.session_factory() as session:
        return session.scalars(select(Delivery.id).where(Delivery.notification_id == notification.id)).one()


def wait_until_sent(container: bootstrap.Container, delivery_id: int) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        with container.session_factory() as session:
            if session.get(Delivery, delivery_id).status == "sent":  # type: ignore[union-attr]
                return
        time.sleep(0.1)
    pytest.fail(f"delivery {delivery_id} was not sent within {WAIT_SECONDS} s")


def parts(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


@pytest.mark.redis
def test_each_email_arrives_once_in_its_readers_language(start_worker, container, people, mailbox, settings):
    start_worker()
    client = make_celery(settings)
    english, chinese = tell(container, people["rep"]), tell(container, people["boss"])
    duplicates = [client.send_task(DELIVER_TASK, args=[english]), client.send_task(DELIVER_TASK, args=[chinese])]
    wait_until_sent(container, english)
    wait_until_sent(container, chinese)
    assert {job.get(timeout=WAIT_SECONDS) for job in duplicates} <= {"sent", "skipped"}
    again = client.send_task(DELIVER_TASK, args=[english]).get(timeout=WAIT_SECONDS)
    assert again == "skipped"

    accepted = {str(m["To"]): m for m in mailbox[0].accepted}
    assert len(mailbox[0].accepted) == 2 and set(accepted) == {"rep@example.com", "boss@example.com"}
    rep, boss = accepted["rep@example.com"], accepted["boss@example.com"]
    assert rep["Subject"] == "Contract HT-2026-012 was approved" and rep["Content-Language"] == "en"
    assert boss["Subject"] == "Contract HT-2026-012已通过审批" and boss["Content-Language"] == "zh-CN"
    text, html = parts(rep)
    assert text.startswith("Hello Wang Fang,") and "Chen Hao approved Contract HT-2026-012." in text
    assert "https://crm.example.com/contracts/12" in text and 'href="https://crm.example.com/contracts/12"' in html
    text, html = parts(boss)
    assert text.startswith("刘洋，您好：") and "Chen Hao批准了Contract HT-2026-012。" in text
    assert 'lang="zh-CN"' in html and "打开记录" in html
    assert rep["Message-ID"] == f"<dealflow-delivery-{english}@crm.example.com>"


@pytest.mark.redis
def test_a_worker_killed_while_sending_loses_nothing_and_sends_once(start_worker, container, people,
                                                                     mailbox, settings):
    handler = mailbox[0]
    handler.stall_next = True
    first = start_worker()
    delivery_id = tell(container, people["rep"])
    assert handler.stalled.wait(WAIT_SECONDS), "the worker never reached the mail server"
    first.kill()  # mid-conversation with the mail server: the row stays "sending"
    first.wait(timeout=30)
    handler.released.set()
    with container.uow() as uow:  # the sender's lease runs out (we do not wait ten minutes for it)
        uow.session.execute(update(Delivery).where(Delivery.id == delivery_id)
                            .values(next_attempt_at=container.engine.clock.now() - LEASE_ENDED))
        uow.commit()
    start_worker()
    client = make_celery(settings)
    assert client.send_task(SWEEP_TASK).get(timeout=WAIT_SECONDS) == 1
    wait_until_sent(container, delivery_id)
    assert [str(m["To"]) for m in handler.accepted] == ["rep@example.com"]
    with container.session_factory() as session:
        assert session.get(Delivery, delivery_id).attempts == 2  # type: ignore[union-attr]
