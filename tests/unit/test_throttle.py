"""The public form's rate limit counts the last minute, whenever the minute started."""

from __future__ import annotations

from workflows.leads.throttle import MemoryLimiter


def test_ten_posts_a_minute_even_across_the_edge_of_a_clock_minute():
    limiter = MemoryLimiter(10)
    answers = [limiter.hit("form:1.2.3.4", 59.0 + i * 0.2) for i in range(12)]  # from 59.0 s to 61.2 s
    assert answers[:10] == [None] * 10 and answers[10:] == [58, 58]
    assert limiter.hit("form:5.6.7.8", 61.2) is None  # another address has its own count
    assert limiter.hit("form:1.2.3.4", 119.5) is None  # a minute after the first post, one more goes
