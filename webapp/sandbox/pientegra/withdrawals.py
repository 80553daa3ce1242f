"""Withdrawals: API-only payout requests reviewed by Pientegra's operator (§2.4).

Statuses (``/docs/api/list``): PENDING_REVIEW when created, APPROVED, SENT, RETURNED (the bank
sent the money back), or REJECTED (before it was sent). Events: ``withdrawal.created``,
``withdrawal.sent``, ``withdrawal.rejected``, ``withdrawal.returned``; approval has no
documented event and sends none.

The documents give no withdrawal object; the sandbox's inference, used by webhooks
(``"withdrawal": {...}``, §2.6 [INF]): ``{id, referenceNo, externalUserId, amount, currency,
status, targetIban}`` plus ``rejectedReason`` once rejected. ``GET /external/withdrawals/{id}``
is an inference too (§2.5 [NF]); its item, like the list's, is the sandbox's choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..services import current
from ..store import Record
from . import wire
from .ledger import Machine

PENDING_REVIEW, APPROVED, SENT, REJECTED, RETURNED = (
    "PENDING_REVIEW",
    "APPROVED",
    "SENT",
    "REJECTED",
    "RETURNED",
)
STATUSES = (PENDING_REVIEW, APPROVED, SENT, REJECTED, RETURNED)


def webhook_object(withdrawal: Record) -> dict[str, Any]:
    rejected = withdrawal["status"] == REJECTED
    return {
        "id": withdrawal["id"],
        "referenceNo": withdrawal["referenceNo"],
        "externalUserId": withdrawal["externalUserId"],
        "amount": str(withdrawal["amount"]),
        "currency": withdrawal["currency"],
        "status": withdrawal["status"],
        "targetIban": withdrawal["targetIban"],
        **({"rejectedReason": withdrawal["rejectedReason"]} if rejected else {}),
    }


MACHINE = Machine(
    table="withdrawals",
    noun="withdrawal",
    reference_prefix="W",
    edges={
        PENDING_REVIEW: (APPROVED, REJECTED),
        APPROVED: (SENT, REJECTED),
        SENT: (RETURNED,),
    },
    events={
        SENT: "withdrawal.sent",
        REJECTED: "withdrawal.rejected",
        RETURNED: "withdrawal.returned",
    },
    webhook_object=webhook_object,
)


def create(request: Mapping[str, Any]) -> Record:
    now = current().clock.now()
    fields = {
        **request,  # the validated body: each field under its wire name
        "status": PENDING_REVIEW,
        "createdAt": now,
        **dict.fromkeys(("approvedAt", "sentAt", "rejectedAt", "rejectedReason", "returnedAt")),
    }
    return MACHINE.create(wire.uuid7(now), fields, event_type="withdrawal.created")


def approve(withdrawal_id: str) -> Record:
    return MACHINE.move(withdrawal_id, APPROVED, approvedAt=current().clock.now())


def mark_sent(withdrawal_id: str) -> Record:
    return MACHINE.move(withdrawal_id, SENT, sentAt=current().clock.now())


def reject(withdrawal_id: str, reason: str | None) -> Record:
    now = current().clock.now()
    return MACHINE.move(withdrawal_id, REJECTED, rejectedAt=now, rejectedReason=reason)


def mark_returned(withdrawal_id: str) -> Record:
    return MACHINE.move(withdrawal_id, RETURNED, returnedAt=current().clock.now())


def item(withdrawal: Record) -> dict[str, Any]:
    times = ("createdAt", "approvedAt", "sentAt", "rejectedAt", "returnedAt")
    return {
        "withdrawalId": withdrawal["id"],
        "referenceNo": withdrawal["referenceNo"],
        "status": withdrawal["status"],
        "amount": str(withdrawal["amount"]),
        "currency": withdrawal["currency"],
        "externalUserId": withdrawal["externalUserId"],
        "targetIban": withdrawal["targetIban"],
        "targetHolderName": withdrawal["targetHolderName"],
        "rejectedReason": withdrawal["rejectedReason"],
        **{name: wire.timestamp(withdrawal[name]) for name in times},
    }
