"""NexKasa's callbacks: verify where one came from, then parse it. Pure functions.

Job: NexKasa sends two POSTs per decision to our ``callback_url`` (public-notes §3.5): a signed
one (``X-NexKasa-Signature: hex(HMAC-SHA256(webhook_secret, raw body))``, sorted keys, amount as
a number, plus ``message`` and ``processed_at``) and an unsigned one (amount as a string). The
guide leaves security to us (nexkasa-api.txt §4: "IP kontrolü ... veya ... gizli bir token"), so
``verify_callback`` checks our secret token from the callback URL, the source address against an
allowlist when one is configured, and the signature whenever the header is present.

Trust boundary: everything but our configuration (expected token, networks, secret) is
attacker-controlled until ``verify_callback`` returns. Comparisons are constant-time on bytes.
``remote_addr`` must be the address as our trusted proxy hops resolved it, never a raw
``X-Forwarded-For``. A callback carries no proof of its amount beyond the signature, so the
caller still matches transaction, amount and our own reference before applying it.

Errors: ``CallbackRejected(reason)``: ``token``, ``ip`` or ``signature`` (a forgery: answer 403,
store nothing), or ``malformed`` (authentic but unreadable, or holding text our database cannot
store: the caller keeps it for staff).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from ipaddress import IPv4Network, IPv6Network
from typing import Any

from webapp.money import Money, MoneyError, nexkasa_amount_from_wire
from webapp.storable import all_storable

SIGNATURE_HEADER = "X-NexKasa-Signature"
STATUSES = frozenset({"APPROVED", "REJECTED", "WAITING_ASSIGNMENT", "PENDING"})  # §3.4
FINAL_STATUSES = frozenset({"APPROVED", "REJECTED"})  # §3.5: only these settle a transaction
TYPES = frozenset({"DEPOSIT", "WITHDRAW"})
# [INF] NexKasa's ids are Django auto fields (public-notes §3.3: "transaction_id":<int>), at most
# 64-bit; a longer number is no id of theirs and would not fit our columns.
MAX_TRANSACTION_ID = 2**63 - 1


class CallbackRejected(ValueError):
    """Refuse the callback; ``reason`` says which check failed (safe to log, not to echo)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Callback:
    transaction_id: int
    status: str
    external_id: str  # deposits: the user_id we sent, not the deposit's external_id (§3.5)
    amount: Money
    type: str
    message: str | None  # signed shape: "Success" or the rejection reason
    processed_at: str | None  # signed shape: NexKasa's str(datetime), or None
    signed_shape: bool


def verify_callback(
    *,
    token_presented: str | None,
    token_expected: str,
    remote_addr: str,
    allowed_networks: Sequence[IPv4Network | IPv6Network],
    signature: str | None,
    raw_body: bytes,
    webhook_secret: str | None,
) -> None:
    """Return when the callback is NexKasa's; raise ``CallbackRejected`` otherwise.

    An empty ``allowed_networks`` allows any address (the token still has to match). A
    signature header that is present must match, even if empty; a signed callback arriving
    while we have no ``webhook_secret`` is refused, since it cannot be checked.
    """
    if not token_expected:
        raise ValueError("verify_callback needs the expected token: refusing to pass by default")
    if token_presented is None or not hmac.compare_digest(
        token_presented.encode("utf-8"), token_expected.encode("utf-8")
    ):
        raise CallbackRejected("token")
    if allowed_networks and not _allowed(remote_addr, allowed_networks):
        raise CallbackRejected("ip")
    if signature is not None:
        if not webhook_secret:
            raise CallbackRejected("signature")
        expected = hmac.new(webhook_secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()
        presented = signature.strip().lower().encode("utf-8")
        if not hmac.compare_digest(expected.encode("ascii"), presented):
            raise CallbackRejected("signature")


def _allowed(remote_addr: str, networks: Sequence[IPv4Network | IPv6Network]) -> bool:
    try:
        address = ipaddress.ip_address(remote_addr.strip().strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:192.0.2.1 from a dual-stack socket
    return any(address in network for network in networks)  # other IP versions never match


def parse_callback(raw_body: bytes) -> Callback:
    """Either shape (public-notes §3.5); numbers as Decimal, so the signed float stays exact.

    Text our database cannot hold (a NUL, an unpaired surrogate) is ``malformed`` too: the caller
    keeps such a callback as its raw bytes instead of failing to store or look up its fields.
    """
    try:
        data = json.loads(raw_body, parse_float=Decimal, parse_constant=_no_constants)
    except (ValueError, RecursionError):  # includes bad UTF-8
        raise CallbackRejected("malformed") from None
    if not isinstance(data, Mapping) or not all_storable(data):
        raise CallbackRejected("malformed")
    transaction_id = data.get("transaction_id")
    status, kind = data.get("status"), data.get("type")
    external_id = data.get("external_id")
    if (
        isinstance(transaction_id, bool)
        or not isinstance(transaction_id, int)
        or not 0 < transaction_id <= MAX_TRANSACTION_ID
        or not isinstance(status, str)  # a list or an object cannot be looked up in a set
        or status not in STATUSES
        or not isinstance(kind, str)
        or kind not in TYPES
        or not isinstance(external_id, str)
    ):
        raise CallbackRejected("malformed")
    return Callback(
        transaction_id=transaction_id,
        status=status,
        external_id=external_id,
        amount=_amount(data.get("amount")),
        type=kind,
        message=_optional_text(data, "message"),
        processed_at=_optional_text(data, "processed_at"),
        signed_shape="message" in data or "processed_at" in data,
    )


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not an amount")


def _amount(value: Any) -> Money:
    """A string ("1500.00", unsigned) or a JSON number (1500.0, signed), never negative."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise CallbackRejected("malformed")
    try:
        return nexkasa_amount_from_wire(value)
    except (MoneyError, TypeError):
        raise CallbackRejected("malformed") from None


def _optional_text(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise CallbackRejected("malformed")
    return value
