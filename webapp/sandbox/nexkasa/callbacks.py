"""The callbacks NexKasa's code sends when a transaction is approved or rejected (§3.5).

Two POSTs per decision, in this order, to the transaction's ``callback_url``, never retried:

1. signed (``api/signals.py``): ``json.dumps(payload, sort_keys=True)`` with ``amount`` as a
   float, ``message`` "Success" or the rejection reason, ``processed_at`` as ``str(datetime)``;
   header ``X-NexKasa-Signature: hex(HMAC-SHA256(webhook_secret, body))``; 5 s timeout.
2. unsigned (``finance/utils.py``): ``{transaction_id, status, external_id, amount, type}`` with
   the amount as a string ("1500.00"), as ``requests.post(json=...)`` writes it; 10 s timeout.

NexKasa sends the unsigned one to a localhost fallback when no callback_url was given; the
sandbox sends nothing then. A delivery counts as delivered only when the merchant answers exactly
200 (nexkasa-api.txt §4, Önemli Notlar 1: "200 OK HTTP kodu dönmelidir"), so a receiver that
answers 202 or 422 shows up in the sandbox's deliveries as not delivered. Amounts never pass
through float: the float's JSON text is derived from the Decimal.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal

from ..services import current
from ..store import Record
from ..webhooks import Delivery, RetryPolicy

SIGNATURE_HEADER = "X-NexKasa-Signature"
ONCE_EXPECTING_200 = RetryPolicy(max_attempts=1, delivered_statuses=frozenset({200}))


def float_literal(amount: Decimal) -> str:
    """What ``json.dumps(float(amount))`` writes for a two-place amount: 1500.0, 1500.5, 0.1."""
    text = format(amount.normalize(), "f")
    return text if "." in text else f"{text}.0"


def signed_body(transaction: Record) -> bytes:
    rejected = transaction["status"] == "REJECTED"
    members = {
        "transaction_id": json.dumps(transaction["id"]),
        "external_id": json.dumps(transaction["external_user_id"]),
        "status": json.dumps(transaction["status"]),
        "amount": float_literal(transaction["amount"]),
        "processed_at": json.dumps(str(transaction["processed_at"])),
        "message": json.dumps(transaction.get("rejection_reason") if rejected else "Success"),
        "type": json.dumps(transaction["type"]),
    }
    # json.dumps(payload, sort_keys=True) byte for byte, with the amount as a number literal.
    return ("{" + ", ".join(f'"{key}": {members[key]}' for key in sorted(members)) + "}").encode()


def unsigned_body(transaction: Record) -> bytes:
    payload = {
        "transaction_id": transaction["id"],
        "status": transaction["status"],
        "external_id": transaction["external_user_id"],
        "amount": str(transaction["amount"]),
        "type": transaction["type"],
    }
    return json.dumps(payload).encode()


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send_decision_callbacks(transaction: Record, webhook_secret: str) -> None:
    url = transaction.get("callback_url")
    if not url:
        return
    signed = signed_body(transaction)
    json_type = {"Content-Type": "application/json"}
    current().webhooks.send(
        "nexkasa",
        [
            Delivery(
                url, signed, {**json_type, SIGNATURE_HEADER: signature(webhook_secret, signed)}, 5
            ),
            Delivery(url, unsigned_body(transaction), json_type, 10),
        ],
        ONCE_EXPECTING_200,
    )
