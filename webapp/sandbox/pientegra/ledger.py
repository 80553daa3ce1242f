"""The status machine both Pientegra objects share: allowed moves as data, one move function.

An intent or a withdrawal changes status only through ``Machine.move``, under the store lock,
along its ``edges``; a move whose status has an event type records and sends that event in the
same locked step, so events leave in the order the changes happened. A move that does not apply
is 409 ``invalid_state``; an unknown id is 404 ``not_found``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from ..services import current
from ..store import Record
from . import events
from .errors import invalid_state, not_found

PROVIDER = "pientegra"


@dataclass(frozen=True)
class Machine:
    table: str
    noun: str
    """``intent`` or ``withdrawal``: the error messages' word and the webhook's object name."""
    reference_prefix: str
    """``D`` or ``W``: referenceNo is ``D-2026-0000123`` (year of creation, then the sequence)."""
    edges: Mapping[str, Collection[str]]
    events: Mapping[str, str]
    """Status reached -> the event type announcing it."""
    webhook_object: Callable[[Record], dict[str, Any]]

    def get(self, record_id: str) -> Record:
        record = current().store.get(PROVIDER, self.table, record_id)
        if record is None:
            raise not_found(self.noun, record_id)
        return record

    def all(self) -> list[Record]:
        return current().store.find(PROVIDER, self.table)

    def create(self, record_id: str, fields: Mapping[str, Any], event_type: str | None) -> Record:
        """Insert ``fields`` (with ``createdAt``) numbered by ``seq`` and ``referenceNo``."""
        store = current().store
        with store.locked():
            seq = len(self.all()) + 1
            reference = f"{self.reference_prefix}-{fields['createdAt'].year}-{seq:07d}"
            record = {**fields, "seq": seq, "referenceNo": reference}
            created = store.insert(PROVIDER, self.table, record, record_id=record_id)
            if event_type:
                events.emit(event_type, self.noun, self.webhook_object(created))
            return created

    def move(self, record_id: str, to: str, **changes: Any) -> Record:
        store = current().store
        with store.locked():
            record = self.get(record_id)
            if to not in self.edges.get(record["status"], ()):
                raise invalid_state(f"{self.noun} {record_id} is {record['status']}, not -> {to}")
            moved = store.update(PROVIDER, self.table, record_id, status=to, **changes)
            if to in self.events:
                events.emit(self.events[to], self.noun, self.webhook_object(moved))
            return moved
