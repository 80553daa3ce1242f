"""The sandbox's notion of "now": real UTC time plus an offset that tests move forward.

Every expiry, age and rate window in the simulated providers reads ``Clock.now()`` so a test can
jump a minute ahead (``POST /_sandbox/clock``) instead of sleeping. The clock only moves
forward; ``reset`` returns it to real time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


def _real_utc_now() -> datetime:
    return datetime.now(UTC)


class Clock:
    def __init__(self, real_now: Callable[[], datetime] = _real_utc_now) -> None:
        self._real_now = real_now
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Aware UTC datetime: real time shifted by every ``advance`` since the last reset."""
        with self._lock:
            return self._real_now() + self._offset

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self.now()

    @property
    def offset_seconds(self) -> float:
        with self._lock:
            return self._offset.total_seconds()

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta()
