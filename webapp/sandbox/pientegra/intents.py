"""Deposit intents: created by ``POST /external/deposits``, paid by bank transfer (§2.3).

Statuses (``/docs/api/list``): RESERVED when created; PENDING_REVIEW once the customer presses
"Ödemeyi yaptım" on the hosted page; APPROVED or REJECTED by Pientegra's operator;
AUTO_CANCELLED when ``expiresAt`` (30 minutes, the sandbox's choice) passes without approval;
LATE_ARRIVAL when the operator reports money that came after that. The moves between them are
the sandbox's reading of those names: the operator may decide a RESERVED intent (the money came
without the button), and may approve or reject a late arrival.

Expiry is lazy: every read of intents (API, hosted page, operator) first cancels the overdue
ones, so advancing the sandbox clock and then reading is enough.

``amount`` starts equal to ``requestedAmount``; an operator approving a different sum changes
``amount`` only (the documents leave the difference unexplained; §2.3 suggests crediting
``amount``). Webhook object (§2.6): ``{id, referenceNo, externalUserId, requestedAmount, amount,
currency, status}``. Lookup and list items carry the documented fields plus ``externalUserId``,
``createdAt`` and ``expiresAt`` (the sandbox's additions).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from ..services import current
from ..store import Record
from . import wire
from .ledger import PROVIDER, Machine

RESERVED, PENDING_REVIEW, APPROVED, REJECTED, AUTO_CANCELLED, LATE_ARRIVAL = (
    "RESERVED",
    "PENDING_REVIEW",
    "APPROVED",
    "REJECTED",
    "AUTO_CANCELLED",
    "LATE_ARRIVAL",
)
STATUSES = (RESERVED, PENDING_REVIEW, APPROVED, REJECTED, AUTO_CANCELLED, LATE_ARRIVAL)
OPEN = (RESERVED, PENDING_REVIEW)
LIFETIME = timedelta(minutes=30)


def webhook_object(intent: Record) -> dict[str, Any]:
    return {
        "id": intent["id"],
        "referenceNo": intent["referenceNo"],
        "externalUserId": intent["externalUserId"],
        "requestedAmount": str(intent["requestedAmount"]),
        "amount": str(intent["amount"]),
        "currency": intent["currency"],
        "status": intent["status"],
    }


MACHINE = Machine(
    table="intents",
    noun="intent",
    reference_prefix="D",
    edges={
        RESERVED: (PENDING_REVIEW, APPROVED, REJECTED, AUTO_CANCELLED),
        PENDING_REVIEW: (APPROVED, REJECTED, AUTO_CANCELLED),
        AUTO_CANCELLED: (LATE_ARRIVAL,),
        LATE_ARRIVAL: (APPROVED, REJECTED),
    },
    events={
        APPROVED: "intent.approved",
        REJECTED: "intent.rejected",
        AUTO_CANCELLED: "intent.auto_cancelled",
        LATE_ARRIVAL: "intent.late_arrival",
    },
    webhook_object=webhook_object,
)


def create(request: Mapping[str, Any]) -> Record:
    now = current().clock.now()
    fields = {
        "externalUserId": request["externalUserId"],
        "externalUserLabel": request["externalUserLabel"],
        "requestedAmount": request["amount"],
        "amount": request["amount"],
        "currency": request["currency"],
        "status": RESERVED,
        "pageToken": secrets.token_urlsafe(24),
        "createdAt": now,
        "expiresAt": now + LIFETIME,
        "approvedAt": None,
        "rejectedAt": None,
        "rejectedReason": None,
    }
    return MACHINE.create(wire.uuid7(now), fields, event_type=None)


def expire_due() -> None:
    """AUTO_CANCELLED for every open intent whose ``expiresAt`` has passed."""
    sandbox = current()
    with sandbox.store.locked():
        now = sandbox.clock.now()
        for intent in MACHINE.all():
            if intent["status"] in OPEN and intent["expiresAt"] <= now:
                MACHINE.move(intent["id"], AUTO_CANCELLED)


def by_page_token(token: str) -> Record | None:
    found = current().store.find(PROVIDER, MACHINE.table, lambda i: i["pageToken"] == token)
    return found[0] if found else None


def customer_confirmed(intent_id: str) -> Record:
    return MACHINE.move(intent_id, PENDING_REVIEW)


def approve(intent_id: str, amount: int | None) -> Record:
    now = current().clock.now()
    changes = {} if amount is None else {"amount": amount}
    return MACHINE.move(intent_id, APPROVED, approvedAt=now, **changes)


def reject(intent_id: str, reason: str | None) -> Record:
    now = current().clock.now()
    return MACHINE.move(intent_id, REJECTED, rejectedAt=now, rejectedReason=reason)


def late_arrival(intent_id: str) -> Record:
    return MACHINE.move(intent_id, LATE_ARRIVAL)


def item(intent: Record) -> dict[str, Any]:
    return {
        "intentId": intent["id"],
        "referenceNo": intent["referenceNo"],
        "status": intent["status"],
        "requestedAmount": str(intent["requestedAmount"]),
        "amount": str(intent["amount"]),
        "currency": intent["currency"],
        "approvedAt": wire.timestamp(intent["approvedAt"]),
        "rejectedAt": wire.timestamp(intent["rejectedAt"]),
        "rejectedReason": intent["rejectedReason"],
        "externalUserId": intent["externalUserId"],
        "createdAt": wire.timestamp(intent["createdAt"]),
        "expiresAt": wire.timestamp(intent["expiresAt"]),
    }
