"""Pientegra's events: signed webhooks, the events ledger and replay (§2.5, §2.6).

Every result the partner must learn becomes an event ``{eventId, eventType, occurredAt, <object>}``
posted to the site's webhook URL as exact bytes, signed
``Pientegra-Signature: t=<unix-ms>,v1=hex(HMAC-SHA256(webhook_secret, "<t>.<raw body>"))`` with
the secret used verbatim (``whsec_`` prefix included), ``t`` from the sandbox clock. The body is
built and signed once: retries and ``POST /external/events/{id}/replay`` send the same bytes and
the same header, original ``t`` included ("Replay does not generate a new body").

Documented event types: ``intent.approved``, ``intent.rejected``, ``withdrawal.created``,
``withdrawal.sent``, ``withdrawal.rejected``, ``withdrawal.returned``. The sandbox's own, after
the same convention: ``intent.auto_cancelled`` and ``intent.late_arrival``. Intermediate moves
(a customer's "I have paid", an operator approving a withdrawal before sending it) have no
documented event and send none.

The sandbox's choices where the documents are silent: 5 attempts with short jittered backoff on
a non-2xx answer or a connection error; ``deliveryStatus`` is PENDING until an attempt is made,
FAILED while retries remain, DELIVERED on a 2xx, DEAD when the attempts ran out, a sandbox
``drop`` fault lost it, or no webhook URL was set. The URL is the setting ``webhook_url``
(``POST /_sandbox/pientegra/settings``), else config ``PIENTEGRA_WEBHOOK_URL``.

Delivery attempts are the framework's records (``/_sandbox/deliveries``), matched by body.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import current_app

from ..services import current
from ..store import Record
from ..webhooks import DELIVERIES, Delivery, RetryPolicy
from . import wire
from .errors import invalid_state, not_found

PROVIDER = "pientegra"
TABLE = "events"
SIGNATURE_HEADER = "Pientegra-Signature"
EVENT_TYPES = (
    "intent.approved",
    "intent.rejected",
    "intent.auto_cancelled",
    "intent.late_arrival",
    "withdrawal.created",
    "withdrawal.sent",
    "withdrawal.rejected",
    "withdrawal.returned",
)
PENDING, DELIVERED, FAILED, DEAD = "PENDING", "DELIVERED", "FAILED", "DEAD"
DELIVERY_STATUSES = (PENDING, DELIVERED, FAILED, DEAD)
RETRIES = RetryPolicy(max_attempts=5, base_delay_seconds=0.05, max_delay_seconds=0.5)
_NO_URL = "no webhook URL configured"
_DELIVERY_FIELDS = ("deliveryStatus", "attempts", "lastResponseStatus", "lastError", "deliveredAt")


def signature(secret: str, t_ms: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{t_ms}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t_ms},v1={digest}"


def emit(event_type: str, object_name: str, obj: Mapping[str, Any]) -> Record:
    """Record, sign and send one event; call it under the store lock with the state change."""
    sandbox = current()
    now = sandbox.clock.now()
    event_id = wire.uuid7(now)
    envelope = {
        "eventId": event_id,
        "eventType": event_type,
        "occurredAt": wire.timestamp(now),
        object_name: dict(obj),
    }
    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
    secret = current_app.config["PIENTEGRA_WEBHOOK_SECRET"]
    record = {
        "seq": len(sandbox.store.find(PROVIDER, TABLE)) + 1,
        "eventType": event_type,
        "occurredAt": now,
        "body": body.decode(),
        "signature": signature(secret, wire.unix_ms(now), body),
        "payload": {object_name: dict(obj)},
    }
    return _queue(sandbox.store.insert(PROVIDER, TABLE, record, record_id=event_id))


def replay(event_id: str) -> Record:
    """The event re-queued, with its delivery state; 409 unless DEAD, FAILED or DELIVERED."""
    store = current().store
    with store.locked():
        event = store.get(PROVIDER, TABLE, event_id)
        if event is None:
            raise not_found("event", event_id)
        status = _with_delivery(event)["deliveryStatus"]
        if status not in (DEAD, FAILED, DELIVERED):
            raise invalid_state(f"event {event_id} is {status}; only DEAD, FAILED or DELIVERED")
        return _with_delivery(_queue(event))


def ledger() -> list[Record]:
    """Every event with its delivery state (``deliveryStatus``, ``attempts``...), oldest first."""
    return [_with_delivery(event) for event in current().store.find(PROVIDER, TABLE)]


def item(entry: Record) -> dict[str, Any]:
    """The events list's item, from a ``ledger`` entry."""
    return {
        "eventId": entry["id"],
        "eventType": entry["eventType"],
        "occurredAt": wire.timestamp(entry["occurredAt"]),
        **{name: entry[name] for name in _DELIVERY_FIELDS},
        "payload": entry["payload"],
    }


def _webhook_url() -> str | None:
    configured = current_app.config.get("PIENTEGRA_WEBHOOK_URL")
    return current().settings(PROVIDER).get("webhook_url") or configured or None


def _attempts(event: Record) -> list[Record]:
    return current().store.find(
        *DELIVERIES, lambda d: d["provider"] == PROVIDER and d["body"] == event["body"]
    )


def _queue(event: Record) -> Record:
    """(Re)send ``event``; its status counts only the attempts recorded from now on."""
    sandbox = current()
    url = _webhook_url()
    queued = sandbox.store.update(
        PROVIDER,
        TABLE,
        event["id"],
        queuedAfter=len(_attempts(event)),
        queueError=None if url else _NO_URL,
    )
    if url:
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: event["signature"]}
        delivery = Delivery(url, event["body"].encode(), headers)
        sandbox.webhooks.send(PROVIDER, [delivery], RETRIES)
    return queued


def _with_delivery(event: Record) -> Record:
    attempts = _attempts(event)
    since_queued = attempts[event["queuedAfter"] :]
    if since_queued:
        last = since_queued[-1]
        succeeded = last["status"] is not None and 200 <= last["status"] < 300
        status = DELIVERED if succeeded else DEAD if last["final"] else FAILED
    else:
        status = DEAD if event["queueError"] else PENDING
    delivered = [a for a in attempts if a["status"] is not None and 200 <= a["status"] < 300]
    return {
        **event,
        "deliveryStatus": status,
        "attempts": sum(1 for a in attempts if a["attempt"] >= 1),
        "lastResponseStatus": attempts[-1]["status"] if attempts else None,
        "lastError": attempts[-1]["error"] if attempts else event["queueError"],
        "deliveredAt": _at(delivered[-1]) if delivered else None,
    }


def _at(attempt: Record) -> str | None:
    return wire.timestamp(datetime.fromisoformat(attempt["at"]))
