"""Outbound webhooks of the simulated providers, sent from a background thread pool.

A provider hands over one or more deliveries (URL, exact body bytes, headers); they are posted
in the given order from one worker, as a provider's own code would send them one after another.
Each provider chooses its policy per call: which answers count as delivered (any 2xx, or
NexKasa's exact 200) and how often to try: NexKasa's code never retries; others retry the
answers that do not count and connection errors with exponential backoff and full jitter (small
real delays so tests stay fast).

Every attempt is recorded in the store (table ``deliveries`` of provider ``_sandbox``) with the
sandbox clock time and whether it counts as ``delivered``, so tests and the operator can see
what was sent and what came back.
Webhook faults are applied here: ``duplicate`` posts twice, ``drop`` records without posting,
``reorder`` holds a delivery until the provider's next one has gone out (a reset forgets it).

Trust boundary: the URLs come from API callers (callback_url); the sandbox posts wherever it
is told, which is fine for a local development simulator and nothing else.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Container, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

from .clock import Clock
from .faults import FaultBook
from .store import Store

DELIVERIES = ("_sandbox", "deliveries")


@dataclass(frozen=True)
class Delivery:
    url: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout_seconds: float = 5.0


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 1
    base_delay_seconds: float = 0.05
    max_delay_seconds: float = 1.0
    delivered_statuses: Container[int] = range(200, 300)  # answers that count as delivered

    def delay_before(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(max, base * 2**(attempt - 2))] before attempt >= 2."""
        ceiling = min(self.max_delay_seconds, self.base_delay_seconds * 2 ** (attempt - 2))
        return rng.uniform(0, ceiling)


NO_RETRIES = RetryPolicy(max_attempts=1)


@dataclass(frozen=True)
class _Batch:
    provider: str
    deliveries: Sequence[Delivery]
    policy: RetryPolicy
    cancelled: threading.Event


class WebhookSender:
    def __init__(self, store: Store, clock: Clock, faults: FaultBook, max_workers: int = 8):
        self._store = store
        self._clock = clock
        self._faults = faults
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="webhook")
        self._rng = random.Random()  # noqa: S311 - jitter, not a secret
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._held: dict[str, list[Delivery]] = {}
        self._in_flight = 0

    def send(
        self, provider: str, deliveries: Sequence[Delivery], policy: RetryPolicy = NO_RETRIES
    ) -> None:
        """Post ``deliveries`` in order, in the background; returns at once."""
        with self._lock:
            self._in_flight += 1
            batch = _Batch(provider, tuple(deliveries), policy, self._cancelled)
        self._pool.submit(self._run, batch)

    @property
    def in_flight(self) -> int:
        """Batches not finished yet, including those waiting to retry."""
        with self._lock:
            return self._in_flight

    def reset(self) -> None:
        """Abandon pending retries and held deliveries; later attempts of old batches stop."""
        with self._lock:
            self._cancelled.set()
            self._cancelled = threading.Event()
            self._held.clear()

    def _run(self, batch: _Batch) -> None:
        try:
            for delivery in batch.deliveries:
                if batch.cancelled.is_set():
                    return
                self._deliver_with_faults(batch, delivery)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _deliver_with_faults(self, batch: _Batch, delivery: Delivery) -> None:
        mode = self._faults.take_webhook_fault(batch.provider)
        if mode == "drop":
            self._record(batch, delivery, attempt=0, fault=mode, error="dropped by sandbox fault")
            return
        if mode == "reorder":
            with self._lock:
                self._held.setdefault(batch.provider, []).append(delivery)
            return
        for _ in range(2 if mode == "duplicate" else 1):
            self._deliver(batch, delivery, fault=mode)
        with self._lock:
            held = self._held.pop(batch.provider, [])
        for late in held:
            self._deliver(batch, late, fault="reorder")

    def _deliver(self, batch: _Batch, delivery: Delivery, fault: str | None) -> None:
        for attempt in range(1, batch.policy.max_attempts + 1):
            if attempt > 1 and batch.cancelled.wait(batch.policy.delay_before(attempt, self._rng)):
                return
            try:
                response = requests.post(
                    delivery.url,
                    data=delivery.body,
                    headers=dict(delivery.headers),
                    timeout=delivery.timeout_seconds,
                    allow_redirects=False,
                )
            except requests.RequestException as error:
                status, error_text = None, f"{type(error).__name__}: {error}"
            else:
                status, error_text = response.status_code, None
            delivered = status is not None and status in batch.policy.delivered_statuses
            final = delivered or attempt == batch.policy.max_attempts
            self._record(batch, delivery, attempt, fault, error_text, status, final, delivered)
            if delivered:
                return

    def _record(
        self,
        batch: _Batch,
        delivery: Delivery,
        attempt: int,
        fault: str | None,
        error: str | None,
        status: int | None = None,
        final: bool = True,
        delivered: bool = False,
    ) -> None:
        attempt_record = {
            "provider": batch.provider,
            "url": delivery.url,
            "attempt": attempt,
            "status": status,
            "delivered": delivered,
            "error": error,
            "final": final,
            "fault": fault,
            "at": self._clock.now().isoformat(),
            "headers": dict(delivery.headers),
            "body": delivery.body.decode("utf-8", errors="replace"),
        }
        with self._store.locked():  # a reset in between must not see this stale attempt
            if not batch.cancelled.is_set():
                self._store.insert(*DELIVERIES, attempt_record)
