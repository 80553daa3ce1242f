"""Pientegra's Idempotency-Key rules (``/docs/getting-started/idempotency``, public-notes §2.2).

A key is scoped by API key + operation (the path; the sandbox has one tenant) and kept 24 hours
on the sandbox clock. A first request *claims* its key; when it succeeds its response is kept
and replayed (same status, same body) to a repeat with the same payload. The same key with another
payload is 409 ``idempotency_key_reuse_with_different_body``; the same key while the first
request is still being processed is 409 ``duplicate_idempotency_key``.

The sandbox's choices where the documents are silent: the payload is compared as parsed JSON
(key order and spacing do not matter; a body that is not JSON is compared byte for byte); only a
successful response is kept, as Stripe does: a request that failed validation or was broken by
a sandbox fault releases its claim, so a corrected retry with the same key runs.

Records live in the store table ``idempotency`` (inspectable under ``/_sandbox/records``); the
API key appears there only as a digest.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import Response

from ..services import current
from .errors import ApiError

PROVIDER = "pientegra"
TABLE = "idempotency"
TTL = timedelta(hours=24)
IN_FLIGHT, DONE, RELEASED = "IN_FLIGHT", "DONE", "RELEASED"


@dataclass(frozen=True)
class Claim:
    record_id: str
    token: str
    """Tells this request's claim from a later one on the same key."""


def body_digest(body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
    except ValueError:
        return hashlib.sha256(body).hexdigest()
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim(api_key: str, operation: str, key: str, digest: str) -> Claim | Response:
    """A new claim, or the kept response to replay; raises the two 409s.

    ``operation`` is the request path, so one key may serve a deposit and a withdrawal.
    """
    scope = hashlib.sha256(api_key.encode()).hexdigest()[:16]
    record_id = f"{scope}:{operation}:{key.lower()}"
    sandbox = current()
    now = sandbox.clock.now()
    with sandbox.store.locked():
        record = sandbox.store.get(PROVIDER, TABLE, record_id)
        if record and record["state"] != RELEASED and now - record["claimedAt"] < TTL:
            if record["bodyDigest"] != digest:
                raise ApiError(
                    409,
                    "idempotency_key_reuse_with_different_body",
                    "this Idempotency-Key was used with a different body",
                )
            if record["state"] == IN_FLIGHT:
                raise ApiError(
                    409,
                    "duplicate_idempotency_key",
                    "a request with this Idempotency-Key is still being processed; retry later",
                )
            return Response(record["body"], record["status"], mimetype="application/json")
        token = secrets.token_hex(8)
        fresh = {"state": IN_FLIGHT, "bodyDigest": digest, "claimedAt": now, "token": token}
        sandbox.store.insert(PROVIDER, TABLE, fresh, record_id=record_id)
    return Claim(record_id, token)


def complete(claim: Claim, response: Response) -> None:
    """Keep a successful response for replays."""
    _settle(claim, state=DONE, status=response.status_code, body=response.get_data(as_text=True))


def release(claim: Claim) -> None:
    """Free the key when the request ended without a kept response (no-op after ``complete``)."""
    _settle(claim, state=RELEASED)


def _settle(claim: Claim, **changes: object) -> None:
    store = current().store
    with store.locked():
        record = store.get(PROVIDER, TABLE, claim.record_id)
        if record and record["token"] == claim.token and record["state"] == IN_FLIGHT:
            store.update(PROVIDER, TABLE, claim.record_id, **changes)
