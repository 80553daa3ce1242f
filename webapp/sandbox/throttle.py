"""Request rate limits the way Django REST framework's ``ScopedRateThrottle`` counts them.

A scope (``deposit``) allows N requests per window for one client identity; each allowed
request is remembered with the sandbox clock's time, so advancing the clock opens the window
again. Over the limit the caller gets the seconds to wait, computed and rounded up as DRF does
(``Retry-After`` and "Expected available in N seconds.").
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from .clock import Clock
from .store import Store

_TABLE = "throttle"


@dataclass(frozen=True)
class Rate:
    requests: int
    per_seconds: int


def seconds_to_wait(
    store: Store, clock: Clock, provider: str, scope: str, ident: str, rate: Rate
) -> int | None:
    """None when allowed (and counted); else whole seconds until the next request is allowed."""
    now = clock.now().timestamp()
    # The identity is a credential: keep only a digest in the inspectable store.
    record_id = f"{scope}:{hashlib.sha256(ident.encode()).hexdigest()[:16]}"
    with store.locked():
        record = store.get(provider, _TABLE, record_id)
        newest_first = [t for t in (record or {}).get("history", []) if t > now - rate.per_seconds]
        if len(newest_first) >= rate.requests:
            remaining = rate.per_seconds - (now - newest_first[-1])
            return math.ceil(remaining / (rate.requests - len(newest_first) + 1))
        store.insert(provider, _TABLE, {"history": [now, *newest_first]}, record_id=record_id)
        return None
