"""The API benchmark's HTTP side: the real app under gunicorn on localhost, and a JSON client.

The client opens a new TCP connection per call (gunicorn's sync workers close each one) and
times from before connecting until the whole answer is read, so every figure includes the
HTTP round trip, the WSGI app, token authentication and the database.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "/api/v1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """``gunicorn wsgi:app`` with ``workers`` sync workers, in production mode, on ``database_url``."""

    def __init__(self, database_url: str, workers: int) -> None:
        self.port, self.workers = free_port(), workers
        self.env = {**os.environ, "DEALFLOW_DATABASE_URL": database_url, "DEALFLOW_ENV": "production",
                    "DEALFLOW_SECRET_KEY": os.urandom(16).hex(), "DEALFLOW_SCHEDULER": "off"}
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(self.workers), "--worker-class", "sync",
             "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env=self.env)
        self._wait_until_up()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def _wait_until_up(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer on port {self.port} within {seconds:.0f} s")


class ApiError(RuntimeError):
    pass


class Client:
    """Calls ``/api/v1`` as the owner of ``token``; answers (body, seconds)."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                        "Accept-Language": "en"}

    def call(self, method: str, path: str, body: object = None) -> tuple[Any, float]:
        payload = None if body is None else json.dumps(body).encode()
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, PREFIX + path, body=payload, headers=self.headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        seconds = time.perf_counter() - started
        if response.status >= 400:
            raise ApiError(f"{method} {path} answered {response.status}: {data[:300]!r}")
        return json.loads(data), seconds
