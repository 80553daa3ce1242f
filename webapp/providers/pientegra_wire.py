"""Pientegra's wire format: our typed requests to its JSON, its JSON back to typed results.

Job: the one place that knows Pientegra's field names (camelCase), amounts (strings of minor
units both ways: ``money.pientegra_amount*``), timestamps (ISO 8601 UTC, e.g.
``2026-04-28T12:30:00.000Z``) and list envelopes (``{data, nextCursor}``). Shared by the client
(``pientegra.py``) and the webhook parser (``pientegra_webhooks.py``).

Trust boundary: every ``*_from_wire`` takes untrusted JSON (numbers already Decimal, never float)
and raises ``Malformed`` for anything it cannot read exactly. Unknown extra fields and unknown
status values are kept, never guessed at: statuses stay strings (known values below).

Documents followed: public-notes §2.3 (deposit body and response), §2.4 (withdrawal body and
response), §2.5 (lookup, listing, events), §2.6 (the webhook's ``intent`` object).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from webapp.money import Money, MoneyError, pientegra_amount, pientegra_amount_from_wire

PROVIDER = "pientegra"
CURRENCY = "TRY"  # §2.1: the default and only active currency

# §2.5: known statuses. Kept as plain strings so a new one is carried, not refused.
INTENT_STATUSES = frozenset(
    {"RESERVED", "PENDING_REVIEW", "APPROVED", "REJECTED", "AUTO_CANCELLED", "LATE_ARRIVAL"}
)
WITHDRAWAL_STATUSES = frozenset({"PENDING_REVIEW", "APPROVED", "SENT", "REJECTED", "RETURNED"})
DELIVERY_STATUSES = frozenset({"PENDING", "DELIVERED", "FAILED", "DEAD"})

MAX_LABEL = 128  # §2.3: externalUserLabel ≤128 chars
MAX_PAGE = 100  # §2.5: limit 1-100
_IBAN_SPACES = re.compile(r"\s+")

T = TypeVar("T")


class Malformed(ValueError):
    """Pientegra's JSON lacks a field we need or holds one we cannot read exactly."""


# --- requests ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DepositRequest:
    external_user_id: str
    external_user_label: str | None
    amount: Money


@dataclass(frozen=True)
class WithdrawalRequest:
    external_user_id: str
    external_user_label: str | None
    amount: Money
    target_iban: str
    target_holder_name: str


def _user_fields(external_user_id: str, label: str | None) -> dict[str, Any]:
    if not external_user_id:
        raise ValueError("externalUserId is required (§2.3)")
    if label is not None and len(label) > MAX_LABEL:
        raise ValueError(f"externalUserLabel takes at most {MAX_LABEL} characters (§2.3)")
    fields: dict[str, Any] = {"externalUserId": external_user_id}
    if label:
        fields["externalUserLabel"] = label
    return fields


def deposit_to_wire(deposit: DepositRequest) -> dict[str, Any]:
    """§2.3: amount in minor units (range-checked, a string as in withdrawals), currency TRY."""
    return {
        **_user_fields(deposit.external_user_id, deposit.external_user_label),
        "amount": pientegra_amount(deposit.amount),
        "currency": CURRENCY,
    }


def withdrawal_to_wire(withdrawal: WithdrawalRequest) -> dict[str, Any]:
    """§2.4: the IBAN upper-case without spaces, as the document's example writes it."""
    return {
        **_user_fields(withdrawal.external_user_id, withdrawal.external_user_label),
        "amount": pientegra_amount(withdrawal.amount),
        "currency": CURRENCY,
        "targetIban": _IBAN_SPACES.sub("", withdrawal.target_iban).upper(),
        "targetHolderName": withdrawal.target_holder_name,
    }


def request_hash(body: Mapping[str, Any]) -> str:
    """SHA-256 of a request body in canonical JSON. Stored with its Idempotency-Key before the
    first send and compared before each resend: one key never goes out with two bodies (§2.2)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def to_wire_time(when: datetime) -> str:
    """An aware datetime as Pientegra writes them: UTC, milliseconds, ``Z``."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("Pientegra times must be timezone-aware")
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def list_query(
    created_from: datetime | None,
    created_to: datetime | None,
    cursor: str | None,
    limit: int,
    **filters: Sequence[str],
) -> list[tuple[str, str]]:
    """§2.5's query: createdFrom (inclusive), createdTo (exclusive), comma-separated filters."""
    if isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit is 1 to {MAX_PAGE}")
    params: list[tuple[str, str]] = []
    if created_from is not None:
        params.append(("createdFrom", to_wire_time(created_from)))
    if created_to is not None:
        params.append(("createdTo", to_wire_time(created_to)))
    for name, values in filters.items():
        if isinstance(values, str):
            raise TypeError(f"{name}: a sequence of values, not one string")
        if values:
            params.append((name, ",".join(values)))
    if cursor:
        params.append(("cursor", cursor))
    params.append(("limit", str(limit)))
    return params


# --- responses --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deposit:
    intent_id: str
    reference_no: str
    deposit_url: str
    requested_amount: Money
    amount: Money  # §2.3 [NF] why it may differ from requested_amount: credit this, flag any gap
    currency: str
    expires_at: datetime | None


@dataclass(frozen=True)
class Withdrawal:
    """A withdrawal as created (§2.4), looked up, listed or sent in a webhook (§2.6 [NF]).

    Only the id is certain; the rest is read when present. ``raw`` keeps the object whole.
    """

    withdrawal_id: str
    reference_no: str | None
    status: str | None = None
    amount: Money | None = None
    external_user_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Intent:
    intent_id: str
    reference_no: str | None
    status: str
    requested_amount: Money | None
    amount: Money
    currency: str
    external_user_id: str | None = None
    approved_at: datetime | None = None
    rejected_at: datetime | None = None
    rejected_reason: str | None = None


@dataclass(frozen=True)
class EventRecord:
    """One row of the events ledger (§2.5); ``payload`` is the webhook body minus the envelope."""

    event_id: str
    event_type: str
    occurred_at: datetime | None
    delivery_status: str | None
    attempts: int | None
    last_response_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    payload: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    next_cursor: str | None


def deposit_from_wire(data: Any) -> Deposit:
    obj = _object(data)
    currency = _currency(obj)
    return Deposit(
        intent_id=_str(obj, "intentId"),
        reference_no=_str(obj, "referenceNo"),
        deposit_url=_url(obj, "depositUrl"),
        requested_amount=_money(obj, "requestedAmount", currency),
        amount=_money(obj, "amount", currency),
        currency=currency,
        expires_at=_time(obj, "expiresAt"),
    )


def withdrawal_from_wire(data: Any) -> Withdrawal:
    obj = _object(data)
    amount = obj.get("amount")
    return Withdrawal(
        withdrawal_id=_str(obj, "withdrawalId", "id"),
        reference_no=_optional_str(obj, "referenceNo"),
        status=_optional_str(obj, "status"),
        amount=None if amount is None else _money(obj, "amount", _currency(obj)),
        external_user_id=_optional_str(obj, "externalUserId"),
        raw=obj,
    )


def intent_from_wire(data: Any) -> Intent:
    """A lookup or list item (``intentId``) or a webhook's ``intent`` object (``id``)."""
    obj = _object(data)
    currency = _currency(obj)
    requested = obj.get("requestedAmount")
    return Intent(
        intent_id=_str(obj, "intentId", "id"),
        reference_no=_optional_str(obj, "referenceNo"),
        status=_str(obj, "status"),
        requested_amount=None if requested is None else _money(obj, "requestedAmount", currency),
        amount=_money(obj, "amount", currency),
        currency=currency,
        external_user_id=_optional_str(obj, "externalUserId"),
        approved_at=_time(obj, "approvedAt"),
        rejected_at=_time(obj, "rejectedAt"),
        rejected_reason=_optional_str(obj, "rejectedReason"),
    )


def event_record_from_wire(data: Any) -> EventRecord:
    obj = _object(data)
    payload = obj.get("payload")
    return EventRecord(
        event_id=_str(obj, "eventId"),
        event_type=_str(obj, "eventType"),
        occurred_at=_time(obj, "occurredAt"),
        delivery_status=_optional_str(obj, "deliveryStatus"),
        attempts=_optional_int(obj, "attempts"),
        last_response_status=_optional_int(obj, "lastResponseStatus"),
        last_error=_optional_str(obj, "lastError"),
        delivered_at=_time(obj, "deliveredAt"),
        payload=payload if isinstance(payload, Mapping) else {},
    )


def page_from_wire(data: Any, item: Callable[[Any], T]) -> Page[T]:
    """§2.5: ``{data: [...], nextCursor}``; a null or missing cursor means the last page."""
    obj = _object(data)
    items = obj.get("data")
    if not isinstance(items, list):
        raise Malformed("data: a list expected")
    return Page(tuple(item(entry) for entry in items), _optional_str(obj, "nextCursor"))


# --- readers: exact or Malformed --------------------------------------------------------------


def _object(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise Malformed("a JSON object expected")
    return data


def _str(obj: Mapping[str, Any], *names: str) -> str:
    for name in names:
        value = obj.get(name)
        if isinstance(value, str) and value:
            return value
    raise Malformed(f"{names[0]}: a non-empty string expected")


def _optional_str(obj: Mapping[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Malformed(f"{name}: a string expected")
    return value


def _optional_int(obj: Mapping[str, Any], name: str) -> int | None:
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Malformed(f"{name}: an integer expected")
    return value


def _url(obj: Mapping[str, Any], name: str) -> str:
    value = _str(obj, name)
    if not value.startswith("https://") and not value.startswith("http://"):
        raise Malformed(f"{name}: an http(s) URL expected")  # we redirect customers to it
    return value


def _currency(obj: Mapping[str, Any]) -> str:
    currency = obj.get("currency", CURRENCY)
    if currency != CURRENCY:
        raise Malformed(f"currency: only {CURRENCY} is active (§2.1), got {str(currency)[:8]!r}")
    return CURRENCY


def _money(obj: Mapping[str, Any], name: str, currency: str) -> Money:
    value = obj.get(name)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Malformed(f"{name}: minor units as a string expected")
    try:
        return pientegra_amount_from_wire(value, currency)
    except (MoneyError, TypeError) as exc:
        raise Malformed(f"{name}: {exc}") from None


def _time(obj: Mapping[str, Any], name: str) -> datetime | None:
    """ISO 8601; a time without an offset is read as UTC, which is what Pientegra writes."""
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Malformed(f"{name}: an ISO 8601 time expected")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise Malformed(f"{name}: an ISO 8601 time expected") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when
