"""The timer sweep run by a real Celery worker over Redis against PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import bootstrap
from core.celery_app import make_celery
from core.clock import ManualClock
from core.settings import Settings
from tests import diagrams
from tests.conftest import require_redis
from tests.integration.test_engine_api import deploy, open_tasks, start

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(postgres_database: str, tmp_path: Path) -> Iterator[str]:
    broker = require_redis()
    env = {**os.environ, "DEALFLOW_DATABASE_URL": postgres_database, "DEALFLOW_BROKER_URL": broker}
    with open(tmp_path / "worker.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "worker", "worker", "--pool=solo", "--loglevel=warning"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        yield broker
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.redis
def test_the_worker_fires_timers_that_are_due(worker: str, postgres_database: str) -> None:
    # Instances started "ten days ago" by our clock: their 3-day timers are due in real time.
    clock = ManualClock(datetime.now(UTC) - timedelta(days=10))
    container = bootstrap.build(Settings(database_url=postgres_database), clock=clock)
    try:
        deploy(container, diagrams.timer_then_task("P3D"))
        start(container, "timed", {"owner": "alice"}, "lead:1")
        start(container, "timed", {"owner": "alice"}, "lead:2")
        client = make_celery(Settings(database_url=postgres_database, broker_url=worker))
        result = client.send_task("dealflow.fire_due_timers").get(timeout=60)
        assert result == {"fired": 2, "failed": []}
        assert [t.name for t in open_tasks(container, "alice")] == ["Follow up", "Follow up"]
    finally:
        container.db.dispose()
