"""Idempotency keys for the merchant API: a retried request gets the first answer.

The same key with the same request replays the stored response; with a different request it
is refused (422); while the first is still running the retry is told to wait (409). A claim is
committed before the work starts, so concurrent retries on other hosts see it. Keys are scoped
per merchant and kept at least 24 hours (``prune`` removes them after ``RETENTION``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import IdempotencyKey, Merchant
from webapp.models.types import utcnow

RETENTION = timedelta(hours=48)
# A claim this old whose request never finished (a crashed worker) may be run again.
STALE_CLAIM = timedelta(minutes=5)


@dataclass(frozen=True)
class Replay:
    status: int
    body: bytes


class KeyReused(Exception):
    """The key was used before for a different request."""


class KeyInFlight(Exception):
    """The first request with this key is still running."""


def request_fingerprint(method: str, path: str, payload: object) -> str:
    """Whitespace and key order do not make a request different; anything else does."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def claim(merchant: Merchant, key: str, fingerprint: str) -> IdempotencyKey | Replay:
    """The claim to run this request, or the stored answer of an earlier run."""
    for _ in range(2):
        existing = _find(merchant, key)
        if existing is None:
            record = IdempotencyKey(merchant_id=merchant.id, key=key, request_hash=fingerprint)
            db.session.add(record)
            try:
                db.session.commit()
            except IntegrityError:  # a concurrent retry claimed it first
                db.session.rollback()
                continue
            return record
        if existing.request_hash != fingerprint:
            raise KeyReused
        if existing.response_status is not None:
            return Replay(existing.response_status, existing.response_body or b"")
        if existing.created_at > utcnow() - STALE_CLAIM:
            raise KeyInFlight
        existing.created_at = utcnow()
        db.session.commit()
        return existing
    raise KeyInFlight


def complete(record: IdempotencyKey, status: int, body: bytes) -> None:
    record.response_status, record.response_body = status, body
    db.session.commit()


def release(record: IdempotencyKey) -> None:
    """Forget a claim whose request failed on our side, so the retry runs it again."""
    db.session.rollback()
    db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == record.id))
    db.session.commit()


def prune() -> int:
    result = db.session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - RETENTION)
    )
    return result.rowcount or 0


def _find(merchant: Merchant, key: str) -> IdempotencyKey | None:
    statement = select(IdempotencyKey).where(
        IdempotencyKey.merchant_id == merchant.id, IdempotencyKey.key == key
    )
    return db.session.execute(statement).scalar_one_or_none()
