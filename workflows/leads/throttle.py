"""Rate limits for public endpoints: N hits per key per fixed window.

With several web processes the count must be shared, so with Redis configured (the
Celery broker) the limit lives there; otherwise (the embedded default, one process) a
dictionary does. A Redis outage lets requests through rather than refusing every
customer's lead: the limit is a brake on abuse, not a security boundary.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import deque
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Limiter(Protocol):
    def hit(self, key: str, now: float) -> int | None:
        """Count one hit on ``key``; None when allowed, else the seconds until it would be."""
        ...


class MemoryLimiter:
    """One process's counts over a sliding window (a fixed one would let twice the limit
    through across a window's edge); forgets idle keys as it goes, so memory stays bounded."""

    def __init__(self, limit: int, window: int = 60) -> None:
        self.limit, self.window = limit, window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, now: float) -> int | None:
        with self._lock:
            if len(self._hits) > 10_000:
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - self.window}
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(1, math.ceil(hits[0] + self.window - now))
            hits.append(now)
            return None


class RedisLimiter:
    """Counts shared by every web process: ``INCR`` on a key that expires with its window."""

    def __init__(self, client: Any, limit: int, window: int = 60, prefix: str = "dealflow:limit") -> None:
        self.client, self.limit, self.window, self.prefix = client, limit, window, prefix

    def hit(self, key: str, now: float) -> int | None:
        name = f"{self.prefix}:{key}:{int(now // self.window)}"
        try:
            pipe = self.client.pipeline()
            pipe.incr(name)
            pipe.expire(name, self.window + 1)
            count = int(pipe.execute()[0])
        except Exception:  # Redis down: let the lead in (see the module's docstring)
            log.warning("rate limit store unavailable; allowing %s", key, exc_info=True)
            return None
        return None if count <= self.limit else _wait(now, self.window)


def make_limiter(broker_url: str | None, limit: int, window: int = 60) -> Limiter:
    """Redis when the broker is Redis, else in this process."""
    if broker_url and broker_url.startswith(("redis://", "rediss://")):
        import redis

        return RedisLimiter(redis.Redis.from_url(broker_url, socket_timeout=1), limit, window)
    return MemoryLimiter(limit, window)


def _wait(now: float, window: int) -> int:
    return max(1, math.ceil(window - now % window))
