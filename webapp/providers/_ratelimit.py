"""Client-side request budgets, so we stay under a provider's own rate limit.

Job: before each request attempt a client calls ``RateLimiter.acquire(key)``, which returns once a
slot in the sliding window is ours, waits (up to ``max_wait``) when the window is full, and raises
``ProviderRateLimited`` when the wait would be longer. The provider's 429 stays the authority (the
HTTP layer honours its ``Retry-After``); this only keeps us from earning it.

Two implementations of one sliding-window log (each slot is remembered for ``period`` seconds):

- ``InProcessRateLimiter``: threads of one process; development, tests, single-worker setups.
- ``RedisRateLimiter``: every worker and host shares one window through Redis, counted atomically
  by a Lua script on Redis's own clock (hosts' clocks may disagree; Redis's is the only one;
  Redis 5 or later, which replicates the script's effects rather than the script).

Trust boundary: keys come from ``limit_key()``, which puts only a digest of the credential in
them, so neither Redis nor a log line ever holds an API key.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

import redis

from webapp.providers.errors import ProviderRateLimited

_log = logging.getLogger(__name__)


class RateLimiter(Protocol):
    def acquire(self, key: str) -> None:
        """Take one request slot for ``key``; may block up to a bound, else ProviderRateLimited."""


def limit_key(provider: str, credential: str) -> str:
    """``"<provider>:<sha256 of the credential, 32 hex>"``: one budget per provider and API key."""
    digest = hashlib.sha256(credential.encode("utf-8")).hexdigest()[:32]
    return f"{provider}:{digest}"


def _too_long(key: str, wait: float, max_wait: float) -> ProviderRateLimited:
    return ProviderRateLimited(
        key.partition(":")[0],
        retry_after=timedelta(seconds=wait),
        code="client_rate_limit",
        merchant_message=f"our own request budget is spent; next slot in {wait:.1f}s "
        f"(longer than the {max_wait:g}s we wait)",
    )


class _Window:
    def __init__(self, limit: int, period: float, max_wait: float) -> None:
        if limit < 1 or period <= 0 or max_wait < 0:
            raise ValueError("limit >= 1, period > 0 and max_wait >= 0 required")
        self.limit = limit
        self.period = period
        self.max_wait = max_wait


class InProcessRateLimiter(_Window):
    """At most ``limit`` acquisitions per key in any ``period`` seconds, within this process."""

    def __init__(
        self,
        limit: int = 60,
        period: float = 60.0,
        *,
        max_wait: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(limit, period, max_wait)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._taken: dict[str, deque[float]] = {}

    def acquire(self, key: str) -> None:
        waited = 0.0
        while True:
            wait = self._try(key)
            if wait is None:
                return
            if waited + wait > self.max_wait:
                raise _too_long(key, wait, self.max_wait)
            self._sleep(wait)  # outside the lock: other keys and threads go on
            waited += wait

    def _try(self, key: str) -> float | None:
        """None when a slot was taken; else seconds until the oldest slot frees up."""
        with self._lock:
            now = self._clock()
            taken = self._taken.setdefault(key, deque())
            while taken and taken[0] <= now - self.period:
                taken.popleft()
            if len(taken) < self.limit:
                taken.append(now)
                return None
            return taken[0] + self.period - now


# KEYS[1] the window (a sorted set of slot ids scored by time in microseconds);
# ARGV: period_us, limit, slot id. Returns 0 when a slot was taken, else microseconds to wait.
_SLIDING_WINDOW = """
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local period_us = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_us - period_us)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now_us, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(period_us / 1000) + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + period_us - now_us)
"""


class RedisRateLimiter(_Window):
    """The same window shared by every process that points at the same Redis.

    If Redis cannot be reached the request goes ahead (logged as a warning): a payment must not
    fail because a courtesy counter is down, and the provider's 429 still protects the budget.
    The limiter is asked before every provider call, so give it a client that fails fast: short
    socket timeouts and few retries (redis-py's default retries back off for seconds).
    """

    def __init__(
        self,
        client: redis.Redis,
        limit: int = 60,
        period: float = 60.0,
        *,
        max_wait: float = 10.0,
        prefix: str = "ratelimit:",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(limit, period, max_wait)
        self._redis = client
        self._prefix = prefix
        self._sleep = sleep
        self._script = client.register_script(_SLIDING_WINDOW)

    def acquire(self, key: str) -> None:
        waited = 0.0
        while True:
            try:
                wait_us = int(
                    self._script(
                        keys=[self._prefix + key],
                        args=[round(self.period * 1_000_000), self.limit, uuid.uuid4().hex],
                    )
                )
            except redis.RedisError as exc:
                _log.warning("rate limiter unavailable (%s); not limiting", type(exc).__name__)
                return
            if wait_us == 0:
                return
            wait = wait_us / 1_000_000
            if waited + wait > self.max_wait:
                raise _too_long(key, wait, self.max_wait)
            self._sleep(wait)
            waited += wait
