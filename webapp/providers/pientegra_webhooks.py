"""Pientegra's signed webhooks: verify the signature, then parse the event. Pure functions.

Job: ``verify_signature`` checks ``Pientegra-Signature: t=<unix-ms>,v1=<hex>[,v1=<hex>...]``
against HMAC-SHA256 over ``b"<t>." + raw body`` with each of our secrets (current and, during a
rotation, previous; each used verbatim, ``whsec_`` prefix included, as Pientegra's Node example
does). Only a body that verified is handed to ``parse_event``.

Trust boundary: header and body are attacker-controlled until ``verify_signature`` returns.
Comparisons are constant-time on equal-length ASCII bytes; the header is bounded in size and in
the number of signatures tried. The JSON is parsed only after verification, with Decimal numbers.

Errors: ``SignatureError(reason)`` (answer 400: a forgery, a malformed header or, unless allowed,
a stale timestamp); ``EventError`` (verified but unreadable: store the raw body and alert).

Documents followed: public-notes §2.6 (header, signing string, verification steps, ±5 min
tolerance example, envelope, event types) and its suggestion to make the tolerance configurable
and to accept a stale ``t`` on a replayed event (§2.5: replays resend "the same signed body").
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from webapp.providers.pientegra_wire import (
    Intent,
    Malformed,
    Withdrawal,
    intent_from_wire,
    withdrawal_from_wire,
)
from webapp.storable import all_storable

SIGNATURE_HEADER = "Pientegra-Signature"
DEFAULT_TOLERANCE_MS = 5 * 60 * 1000  # §2.6: the example's TOLERANCE_MS, applied with abs()

# Event types seen (§2.6); others are parsed all the same.
INTENT_APPROVED, INTENT_REJECTED = "intent.approved", "intent.rejected"
WITHDRAWAL_EVENTS = frozenset(
    {"withdrawal.created", "withdrawal.sent", "withdrawal.rejected", "withdrawal.returned"}
)

# [INF] §2.5/§2.6 give eventId no length; Pientegra's ids are UUIDs elsewhere (intentId, §2.3). A
# longer one is none of theirs and would not fit the inbox key we dedupe on (provider_events).
MAX_EVENT_ID = 200

_MAX_HEADER = 4096
_MAX_SIGNATURES = 8  # bounds the HMAC comparisons a forged header can make us do
_TIMESTAMP = re.compile(r"[0-9]{1,16}")
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


class SignatureError(ValueError):
    """The webhook must be refused: ``reason`` is ``malformed``, ``mismatch`` or ``stale``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EventError(ValueError):
    """A verified body that is not a Pientegra event we can read."""


@dataclass(frozen=True)
class VerifiedSignature:
    timestamp_ms: int
    stale: bool  # True only with allow_stale: authentic, but t is outside the tolerance


@dataclass(frozen=True)
class Event:
    event_id: str
    event_type: str
    occurred_at: datetime
    intent: Intent | None
    withdrawal: Withdrawal | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)


def signature_header(raw_body: bytes, secret: str, *, timestamp_ms: int) -> str:
    """The header Pientegra would send for ``raw_body`` (for the sandbox and tests)."""
    return f"t={timestamp_ms},v1={_digest(secret, timestamp_ms, raw_body).decode()}"


def verify_signature(
    raw_body: bytes,
    header: str,
    secrets: Sequence[str],
    *,
    now_ms: int,
    tolerance_ms: int = DEFAULT_TOLERANCE_MS,
    allow_stale: bool = False,
) -> VerifiedSignature:
    """Return when any ``v1`` matches any secret; raise ``SignatureError`` otherwise.

    The HMAC is checked before the timestamp, so ``stale`` is only ever said of an authentic
    body; with ``allow_stale`` such a body is returned marked ``stale=True`` (a replay the
    caller accepts only for an ``eventId`` it has not seen).
    """
    if isinstance(secrets, str) or not secrets or not all(secrets):
        raise ValueError("verify_signature needs at least one non-empty secret")
    timestamp_ms, candidates = _parse_header(header)
    expected = [_digest(secret, timestamp_ms, raw_body) for secret in secrets]
    matched = False
    for candidate in candidates:
        for digest in expected:  # no early exit: the time taken says nothing about which
            matched |= hmac.compare_digest(digest, candidate)
    if not matched:
        raise SignatureError("mismatch")
    stale = abs(now_ms - timestamp_ms) > tolerance_ms
    if stale and not allow_stale:
        raise SignatureError("stale")
    return VerifiedSignature(timestamp_ms=timestamp_ms, stale=stale)


def _digest(secret: str, timestamp_ms: int, raw_body: bytes) -> bytes:
    signed = b"%d." % timestamp_ms + raw_body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest().encode("ascii")


def _parse_header(header: str) -> tuple[int, list[bytes]]:
    """``t=<ms>`` exactly once and at least one well-formed ``v1``; other schemes are ignored."""
    if not isinstance(header, str) or not header or len(header) > _MAX_HEADER:
        raise SignatureError("malformed")
    timestamps: list[int] = []
    candidates: list[bytes] = []
    for part in header.split(","):
        name, equals, value = part.strip().partition("=")
        value = value.strip()
        if not equals:
            raise SignatureError("malformed")
        if name == "t":
            if not _TIMESTAMP.fullmatch(value):
                raise SignatureError("malformed")
            timestamps.append(int(value))
        elif name == "v1" and _HEX_DIGEST.fullmatch(value):
            candidates.append(value.lower().encode("ascii"))
    if len(timestamps) != 1 or not candidates or len(candidates) > _MAX_SIGNATURES:
        raise SignatureError("malformed")
    return timestamps[0], candidates


def parse_event(raw_body: bytes) -> Event:
    """The envelope ``{eventId, eventType, occurredAt, intent | withdrawal | ...}`` (§2.6).

    Call only after ``verify_signature``. Unknown event types parse too (``intent`` and
    ``withdrawal`` are None unless their object is present); the whole body stays in ``raw``.
    A body holding text our database cannot store (a NUL, an unpaired surrogate, anywhere) is an
    ``EventError``: the caller keeps its raw bytes instead of failing on its fields.
    """
    try:
        data = json.loads(raw_body, parse_float=Decimal, parse_constant=_no_constants)
    except (ValueError, RecursionError):  # includes bad UTF-8
        raise EventError("not JSON") from None
    if not isinstance(data, Mapping):
        raise EventError("not a JSON object")
    if not all_storable(data):
        raise EventError("text holds a NUL or an unpaired surrogate")
    try:
        intent, withdrawal = data.get("intent"), data.get("withdrawal")
        return Event(
            event_id=_event_id(data),
            event_type=_required(data, "eventType"),
            occurred_at=_occurred_at(data.get("occurredAt")),
            intent=None if intent is None else intent_from_wire(intent),
            withdrawal=None if withdrawal is None else withdrawal_from_wire(withdrawal),
            raw=data,
        )
    except Malformed as exc:
        raise EventError(str(exc)) from None


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not an amount")


def _required(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise EventError(f"{name}: a non-empty string expected")
    return value


def _event_id(data: Mapping[str, Any]) -> str:
    event_id = _required(data, "eventId")
    if len(event_id) > MAX_EVENT_ID:
        raise EventError(f"eventId: longer than {MAX_EVENT_ID} characters")
    return event_id


def _occurred_at(value: Any) -> datetime:
    """ISO 8601 (UTC when no offset is given) or, tolerated, epoch milliseconds."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise EventError("occurredAt: out of range") from None
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return when.replace(tzinfo=UTC) if when.tzinfo is None else when
    raise EventError("occurredAt: an ISO 8601 time expected")
