"""In-memory records of the simulated providers.

Each provider keeps named tables of plain dict records keyed by id (NexKasa: ``transactions``,
``throttle``; the framework: ``deliveries``) plus a small settings dict. One re-entrant lock
guards everything, so a view can check and insert atomically inside ``with store.locked():``
(NexKasa's 409 rule). Callers get deep copies and change records only through ``update``.

Trust boundary: none; this is process memory of a development simulator, never shared between
processes and gone on restart. ``reset`` empties it between tests.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Record = dict[str, Any]


class Store:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._tables: dict[tuple[str, str], dict[Any, Record]] = {}
        self._sequences: dict[tuple[str, str], itertools.count[int]] = {}
        self._settings: dict[str, dict[str, Any]] = {}

    @contextmanager
    def locked(self) -> Iterator[Store]:
        """Hold the store lock across several calls (check-then-insert)."""
        with self._lock:
            yield self

    def insert(self, provider: str, table: str, record: Record, record_id: Any = None) -> Record:
        """Store a copy; ``record_id`` defaults to the table's next integer (1, 2, ...)."""
        with self._lock:
            key = (provider, table)
            if record_id is None:
                record_id = next(self._sequences.setdefault(key, itertools.count(1)))
            stored = {**copy.deepcopy(record), "id": record_id}
            self._tables.setdefault(key, {})[record_id] = stored
            return copy.deepcopy(stored)

    def get(self, provider: str, table: str, record_id: Any) -> Record | None:
        with self._lock:
            record = self._tables.get((provider, table), {}).get(record_id)
            return copy.deepcopy(record)

    def update(self, provider: str, table: str, record_id: Any, **changes: Any) -> Record:
        """Change fields of an existing record; KeyError if it does not exist."""
        with self._lock:
            record = self._tables[(provider, table)][record_id]
            record.update(copy.deepcopy(changes))
            return copy.deepcopy(record)

    def find(
        self, provider: str, table: str, where: Callable[[Record], bool] = lambda _: True
    ) -> list[Record]:
        """Records matching ``where``, in insertion order."""
        with self._lock:
            records = self._tables.get((provider, table), {}).values()
            return [copy.deepcopy(record) for record in records if where(record)]

    def settings(self, provider: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._settings.get(provider, {}))

    def update_settings(self, provider: str, **changes: Any) -> dict[str, Any]:
        with self._lock:
            self._settings.setdefault(provider, {}).update(changes)
            return dict(self._settings[provider])

    def reset(self) -> None:
        """Forget every record, sequence and setting, as on a fresh start."""
        with self._lock:
            self._tables.clear()
            self._sequences.clear()
            self._settings.clear()
