"""Pientegra's External API: bank-transfer deposits, API-only withdrawals, status lookups.

Job: turn our typed requests into Pientegra's JSON and its answers back into typed results, with
the Bearer key, the caller's ``Idempotency-Key`` on every POST and a slot from the shared rate
limiter before every attempt. Wire details (field names, amounts, dates) live in
``pientegra_wire.py``, webhook signatures and events in ``pientegra_webhooks.py``; this module
re-exports both, so callers import from ``webapp.providers.pientegra`` only.

Trust boundary: base URL, API key and idempotency keys come from our configuration and callers;
everything Pientegra answers is untrusted and parsed strictly (``pientegra_wire``). A 2xx whose
body we cannot read raises ``ProviderUnavailable(outcome_unknown=True)``: Pientegra may have
acted, so the caller retries with the same key (a replay) or looks the object up.

Errors, as they apply here (``errors.py``)::

    ProviderError
    ├── ProviderUnavailable    timeout, dropped connection, 5xx: ProviderHTTP already retried
    │                          (every call is a GET or carries an Idempotency-Key)
    ├── ProviderRateLimited    429 past the bounded wait, or our own limiter's budget spent
    ├── ProviderAuthError      401 unauthorized: missing, revoked, rotated or expired key (§2.1)
    └── ProviderRejected       validation_failed, amount_below_min, amount_above_max ...
        ├── IdempotencyInFlight   409 duplicate_idempotency_key, or any other 409 on a POST:
        │                         retry later, same key (§2.2)
        └── IdempotencyConflict   409 idempotency_key_reuse_with_different_body: our bug (§2.2)

Documents followed: pientegra-external-api.txt "API modeli"; public-notes §2.1 (auth, money,
60 requests/minute), §2.2 (idempotency), §2.3 (deposits), §2.4 (withdrawals), §2.5 (lookup,
listing, events), §2.7 (error codes).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import requests
from requests.auth import AuthBase

from webapp.providers._http import ProviderHTTP, ProviderResponse
from webapp.providers._json import decode_json
from webapp.providers._ratelimit import RateLimiter, limit_key
from webapp.providers.errors import (
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    error_from_response,
)
from webapp.providers.pientegra_webhooks import (
    SIGNATURE_HEADER,
    Event,
    EventError,
    SignatureError,
    VerifiedSignature,
    parse_event,
    signature_header,
    verify_signature,
)
from webapp.providers.pientegra_wire import (
    PROVIDER,
    Deposit,
    DepositRequest,
    EventRecord,
    Intent,
    Malformed,
    Page,
    Withdrawal,
    WithdrawalRequest,
    deposit_from_wire,
    deposit_to_wire,
    event_record_from_wire,
    intent_from_wire,
    list_query,
    page_from_wire,
    withdrawal_from_wire,
    withdrawal_to_wire,
)

__all__ = [
    "SIGNATURE_HEADER",
    "Deposit",
    "DepositRequest",
    "Event",
    "EventError",
    "EventRecord",
    "IdempotencyConflict",
    "IdempotencyInFlight",
    "Intent",
    "Page",
    "PientegraClient",
    "SignatureError",
    "VerifiedSignature",
    "Withdrawal",
    "WithdrawalRequest",
    "error_from_pientegra",
    "parse_event",
    "pientegra_http",
    "signature_header",
    "verify_signature",
]

T = TypeVar("T")

# Paths below the base URL (".../api/v1"), public-notes §2.1.
DEPOSITS_PATH = "/external/deposits"  # §2.3
WITHDRAWALS_PATH = "/external/withdrawals"  # §2.4; GET lists them (§2.5)
INTENTS_PATH = "/external/intents"  # §2.5
INTENT_PATH = "/external/intents/{intent_id}"  # §2.5, the auth page's curl example
# §2.5 [INF]: the single-withdrawal path is not published; this is the inferred one.
WITHDRAWAL_PATH = "/external/withdrawals/{withdrawal_id}"
EVENTS_PATH = "/external/events"  # §2.5

REQUESTS_PER_MINUTE = 60  # §2.1: "60 request / dakika / API key"
# §2.2: "The TTL is 24 h". Past it the same key runs the request again, so a request that may
# have reached Pientegra is never resent under a key older than this (an hour short of the TTL:
# our clock against theirs, and a resend that is itself slow).
IDEMPOTENCY_KEY_RESEND_LIMIT = timedelta(hours=23)


class IdempotencyInFlight(ProviderRejected):
    """409 ``duplicate_idempotency_key``: the first request with this key is still running.

    Retry later with the same key and body; the answer will be the first request's (§2.2).
    Also any other 409 to a request carrying an Idempotency-Key: the error envelope is not
    published (§2.7 [NF]), so a 409 we cannot read may be this one, and Pientegra may have
    acted; failing the request for good could lose or duplicate money, a resend cannot.
    """


class IdempotencyConflict(ProviderRejected):
    """409 ``idempotency_key_reuse_with_different_body``: we reused a key for another body.

    A bug on our side (the key and body hash are stored together before the first attempt):
    surface it, never retry it (§2.2).
    """


_BY_CODE: Mapping[str, type[ProviderRejected]] = {
    "duplicate_idempotency_key": IdempotencyInFlight,
    "idempotency_key_reuse_with_different_body": IdempotencyConflict,
}


def error_from_pientegra(response: requests.Response) -> ProviderError:
    """The exception for a non-2xx answer; the one reader of Pientegra's error body.

    The envelope is undocumented (§2.7 [NF]), so the code is taken from ``error.code``, ``code``
    or an ``error`` string that looks like a code (``"unauthorized"``), and the message from
    ``error.message``, ``message``, ``detail`` or an ``error`` string that reads as prose. A 409
    to a keyed request whose code is neither of §2.2's, or unreadable, is ``IdempotencyInFlight``.
    """
    code, message = _error_fields(decode_json(response.content))
    error = error_from_response(PROVIDER, response, code=code, merchant_message=message)
    refined = _BY_CODE.get(error.code or "")
    if refined is None and response.status_code == 409 and _carried_key(response):
        refined = IdempotencyInFlight
    if refined is None or not isinstance(error, ProviderRejected):
        return error
    return refined(
        PROVIDER,
        http_status=error.http_status,
        code=error.code,
        merchant_message=error.merchant_message,
        customer_message=error.customer_message,
    )


def _carried_key(response: requests.Response) -> bool:
    return response.request is not None and "Idempotency-Key" in response.request.headers


def _error_fields(data: Any) -> tuple[str | None, str | None]:
    if not isinstance(data, Mapping):
        return None, None
    error = data.get("error")
    nested: Mapping[str, Any] = error if isinstance(error, Mapping) else {}
    bare = _text(error)
    bare_is_code = bare is not None and bare.replace("_", "").replace(".", "").isalnum()
    code = _text(nested.get("code")) or _text(data.get("code")) or (bare if bare_is_code else None)
    message = (
        _text(nested.get("message"))
        or _text(data.get("message"))
        or _text(data.get("detail"))
        or (None if bare_is_code else bare)
    )
    return code, message


def _text(value: Any) -> str | None:
    return value[:500] if isinstance(value, str) and value else None  # untrusted: bounded


class _BearerWithBudget(AuthBase):
    """Runs before every attempt (requests applies auth per send): a rate slot, then the key."""

    def __init__(self, api_key: str, limiter: RateLimiter | None) -> None:
        self._header = f"Bearer {api_key}"
        self._limiter = limiter
        self._limit_key = limit_key(PROVIDER, api_key)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._limiter is not None:
            self._limiter.acquire(self._limit_key)
        request.headers["Authorization"] = self._header
        return request


def pientegra_http(
    base_url: str, api_key: str, *, rate_limiter: RateLimiter | None = None, **options: Any
) -> ProviderHTTP:
    """The HTTP layer wired for Pientegra: Bearer auth behind the rate limiter, its error mapper.

    ``options`` go to ``ProviderHTTP`` (timeouts, ``max_retries``, ``max_total_wait``, ``sleep``).
    """
    if not api_key:
        raise ValueError("Pientegra: an API key is required")
    auth = _BearerWithBudget(api_key, rate_limiter)
    return ProviderHTTP(PROVIDER, base_url, auth=auth, error_mapper=error_from_pientegra, **options)


class PientegraClient:
    """Pientegra's External API for one site's API key; thread-safe.

    ``base_url`` is the one Pientegra assigned, ``/api/v1`` included (§2.1). ``rate_limiter``
    (``REQUESTS_PER_MINUTE`` per 60 s; in production a Redis one, shared by every host) is asked
    for a slot before every attempt.
    ``http`` replaces the default layer: build it with ``pientegra_http`` for the same base
    URL and key (tests tune waits there); the rate limiter then goes there too.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        http: ProviderHTTP | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        if http is None:
            http = pientegra_http(base_url, api_key, rate_limiter=rate_limiter)
        elif rate_limiter is not None:
            raise ValueError("with http given, pass rate_limiter to pientegra_http() instead")
        elif http.base_url != base_url.rstrip("/"):
            raise ValueError("http was built for another base URL")
        self._http = http

    def close(self) -> None:
        self._http.close()

    # --- writes: every POST carries the caller's Idempotency-Key (§2.2) -------------------

    def create_deposit(self, deposit: DepositRequest, idempotency_key: str) -> Deposit:
        """A deposit intent and its hosted ``deposit_url`` (§2.3).

        ``idempotency_key`` was generated for our deposit and stored with a hash of the body
        before the first attempt; a retry after a timeout reuses both and gets the same intent.
        """
        response = self._post(DEPOSITS_PATH, deposit_to_wire(deposit), idempotency_key)
        created = _read(deposit_from_wire, response)
        if created.requested_amount != deposit.amount:
            raise _unreadable(response, "requestedAmount differs from the amount we sent")
        return created

    def create_withdrawal(self, withdrawal: WithdrawalRequest, idempotency_key: str) -> Withdrawal:
        """A payout request for Pientegra's operators to review (§2.4); no hosted page."""
        response = self._post(WITHDRAWALS_PATH, withdrawal_to_wire(withdrawal), idempotency_key)
        return _read(withdrawal_from_wire, response)

    # --- status lookup and reconciliation (§2.5) ----------------------------------------------

    def get_intent(self, intent_id: str) -> Intent:
        path_params = {"intent_id": _required_id(intent_id)}
        response = self._http.request("GET", INTENT_PATH, path_params=path_params)
        intent = _read(intent_from_wire, response)
        if intent.intent_id != intent_id:
            raise _unreadable(response, "the intent returned is not the one asked for")
        return intent

    def get_withdrawal(self, withdrawal_id: str) -> Withdrawal:
        """Via ``WITHDRAWAL_PATH``, an inference (§2.5 [INF]): a 404 may mean the guess is wrong."""
        path_params = {"withdrawal_id": _required_id(withdrawal_id)}
        response = self._http.request("GET", WITHDRAWAL_PATH, path_params=path_params)
        withdrawal = _read(withdrawal_from_wire, response)
        if withdrawal.withdrawal_id != withdrawal_id:
            raise _unreadable(response, "the withdrawal returned is not the one asked for")
        return withdrawal

    def list_intents(
        self,
        created_from: datetime | None,
        created_to: datetime | None,
        statuses: Sequence[str] = (),
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[Intent]:
        """One page, newest first; pass ``page.next_cursor`` back for the next (§2.5)."""
        params = list_query(created_from, created_to, cursor, limit, status=statuses)
        response = self._http.request("GET", INTENTS_PATH, params=params)
        return _read(lambda data: page_from_wire(data, intent_from_wire), response)

    def list_withdrawals(
        self,
        created_from: datetime | None,
        created_to: datetime | None,
        statuses: Sequence[str] = (),
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[Withdrawal]:
        params = list_query(created_from, created_to, cursor, limit, status=statuses)
        response = self._http.request("GET", WITHDRAWALS_PATH, params=params)
        return _read(lambda data: page_from_wire(data, withdrawal_from_wire), response)

    def list_events(
        self,
        created_from: datetime | None,
        created_to: datetime | None,
        event_types: Sequence[str] = (),
        delivery_statuses: Sequence[str] = (),
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[EventRecord]:
        params = list_query(
            created_from,
            created_to,
            cursor,
            limit,
            eventType=event_types,
            deliveryStatus=delivery_statuses,
        )
        response = self._http.request("GET", EVENTS_PATH, params=params)
        return _read(lambda data: page_from_wire(data, event_record_from_wire), response)

    def iter_intents(
        self,
        created_from: datetime | None,
        created_to: datetime | None,
        statuses: Sequence[str] = (),
    ) -> Iterator[Intent]:
        """Every intent in the range, following ``nextCursor`` page by page."""
        return _follow(
            lambda cursor: self.list_intents(created_from, created_to, statuses, cursor, 100)
        )

    def iter_withdrawals(
        self,
        created_from: datetime | None,
        created_to: datetime | None,
        statuses: Sequence[str] = (),
    ) -> Iterator[Withdrawal]:
        return _follow(
            lambda cursor: self.list_withdrawals(created_from, created_to, statuses, cursor, 100)
        )

    def _post(self, path: str, body: Mapping[str, Any], idempotency_key: str) -> ProviderResponse:
        return self._http.request(
            "POST", path, json=body, idempotency_key=_checked_key(idempotency_key)
        )


def _checked_key(key: str) -> str:
    """§2.2: a UUID v4 or v7 made by the caller; a derived or constant key is refused here."""
    try:
        parsed = uuid.UUID(key)
    except (TypeError, ValueError, AttributeError):
        raise ValueError("Pientegra Idempotency-Key must be a UUID v4 or v7") from None
    if parsed.version not in (4, 7):
        raise ValueError("Pientegra Idempotency-Key must be a UUID v4 or v7")
    return key


def _required_id(value: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("a Pientegra id is a non-empty string")
    return value


def _read(parse: Callable[[Any], T], response: ProviderResponse) -> T:
    try:
        return parse(response.data)
    except Malformed as exc:
        raise _unreadable(response, str(exc)) from None


def _unreadable(response: ProviderResponse, what: str) -> ProviderUnavailable:
    """A 2xx we cannot use: Pientegra may have acted, so the outcome is unknown (reconcile)."""
    return ProviderUnavailable(
        PROVIDER,
        http_status=response.status,
        outcome_unknown=True,
        code="malformed_response",
        merchant_message=f"unusable {response.status} answer: {what}",
    )


def _follow(fetch: Callable[[str | None], Page[T]]) -> Iterator[T]:
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        yield from page.items
        if not page.next_cursor or page.next_cursor == cursor:
            return
        cursor = page.next_cursor
