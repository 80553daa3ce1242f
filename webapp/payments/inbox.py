"""The webhook inbox: every verified provider event stored raw, once, with what it did.

``receive`` adds the event under its unique (provider, event key) in the caller's transaction;
the caller applies it and commits both together, so an event is never half-applied and a
duplicate (the same key again) is recognised and changes nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import ProviderEvent
from webapp.models.types import utcnow


def receive(
    provider: str, event_key: str, raw_body: bytes, event_type: str | None
) -> ProviderEvent | None:
    """The new event row, or None when this event was received before (a duplicate)."""
    if known(provider, event_key):
        return None
    event = ProviderEvent(
        provider=provider,
        event_key=event_key,
        raw_body=raw_body,
        event_type=event_type,
        verified=True,
    )
    db.session.add(event)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # the same event delivered twice at once: the other one won
        return None
    return event


def mark_applied(
    event: ProviderEvent, entity_type: str | None, entity_id: int | None, outcome: str
) -> None:
    event.applied, event.applied_at = True, utcnow()
    event.entity_type, event.entity_id, event.outcome = entity_type, entity_id, outcome


def mark_unapplied(event: ProviderEvent, outcome: str) -> None:
    """Stored but not applied (no matching record, a mismatch, after a terminal status)."""
    event.applied, event.outcome = False, outcome


def known(provider: str, event_key: str) -> bool:
    """Whether this event was stored before; for callers that must not store it now."""
    statement = select(ProviderEvent.id).where(
        ProviderEvent.provider == provider, ProviderEvent.event_key == event_key
    )
    return db.session.execute(statement).first() is not None
