"""NexKasa's public API: deposit and withdraw requests that an operator approves later.

Job: send ``POST /api/public/deposit-request/`` and ``/withdraw-request/`` with the
``X-API-KEY`` header, read either documented deposit answer, and turn NexKasa's errors into the
exceptions below. Callback verification and parsing live in ``nexkasa_callbacks.py``; this
module re-exports them, so callers import from ``webapp.providers.nexkasa`` only.

NexKasa has no idempotency key and no status endpoint (public-notes §3.1, §3.5), so nothing here
is ever retried: a timeout or 5xx leaves the outcome unknown, and only a callback (or NexKasa's
staff) can settle it. ``nexkasa_http`` also builds the layer with ``max_retries=0``.

Trust boundary: base URL and API key come from our configuration; NexKasa's answers are
untrusted and parsed strictly. A deposit 2xx we cannot read raises ``ProviderUnavailable`` with
``outcome_unknown=True``, since NexKasa may have created the transaction. A withdrawal 2xx is
always an acceptance: the guide shows no answer for it (§3.2), so its ``transaction_id`` is kept
only when it is there and readable (public-notes §3.3); the callback carries it anyway.

Errors, as they apply here (``errors.py``)::

    ProviderError
    ├── ProviderUnavailable    500, timeout, dropped connection; outcome_unknown (never retried)
    ├── ProviderRateLimited    429 (DRF throttle, deposit 10/min, withdraw 5/min): surfaced
    ├── ProviderAuthError      403 invalid API key: a configuration problem, alert staff
    │   └── Blacklisted        403 ``{"error": ...}``: IP, user or IBAN blacklisted (§3.2, §3.3)
    └── ProviderRejected
        ├── InvalidRequest     400 with DRF's ``{"field": ["message"]}`` in ``field_errors``
        ├── NoSuitableAccount  404: no bank account fits; the customer tries another amount
        │                      or method
        └── AlreadyPending     409: this user_id (deposit) or external_id (withdraw) has one open

Documents followed: nexkasa-api.txt §2 (auth), §3.1 (deposit), §3.2 (withdraw), §5 (errors);
public-notes §3.1-§3.3 and §3.6 (what NexKasa's code really answers).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests

from webapp.money import Money, nexkasa_amount
from webapp.providers._http import ProviderHTTP, ProviderResponse
from webapp.providers._json import decode_json
from webapp.providers.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    error_from_response,
)
from webapp.providers.nexkasa_callbacks import (
    FINAL_STATUSES,
    MAX_TRANSACTION_ID,
    SIGNATURE_HEADER,
    Callback,
    CallbackRejected,
    parse_callback,
    verify_callback,
)

__all__ = [
    "FINAL_STATUSES",
    "SIGNATURE_HEADER",
    "AlreadyPending",
    "BankDetails",
    "Blacklisted",
    "Callback",
    "CallbackRejected",
    "DepositAccepted",
    "DepositRequest",
    "InvalidRequest",
    "NexKasaClient",
    "NoSuitableAccount",
    "WithdrawalAccepted",
    "WithdrawalRequest",
    "error_from_nexkasa",
    "nexkasa_http",
    "parse_callback",
    "verify_callback",
]

PROVIDER = "nexkasa"
DEPOSIT_PATH = "/api/public/deposit-request/"  # nexkasa-api.txt §3.1
WITHDRAW_PATH = "/api/public/withdraw-request/"  # nexkasa-api.txt §3.2

_SPACES = re.compile(r"\s+")
T = TypeVar("T")


# --- errors -----------------------------------------------------------------------------------


class InvalidRequest(ProviderRejected):
    """400: NexKasa's serializer refused fields; ``field_errors`` maps each to its messages."""

    def __init__(
        self, provider: str, *, field_errors: Mapping[str, tuple[str, ...]], **fields: Any
    ) -> None:
        super().__init__(provider, **fields)
        self.field_errors = dict(field_errors)


class NoSuitableAccount(ProviderRejected):
    """404 "Uygun hesap bulunamadı": no bank account's limits fit this amount right now.

    Not a fault of ours: the customer should try another amount or payment method.
    """


class AlreadyPending(ProviderRejected):
    """409: an open transaction exists for this user_id (deposit) or external_id (withdraw).

    Wait for its callback; a new request with the same id is refused until then.
    """


class Blacklisted(ProviderAuthError):
    """403 with NexKasa's own ``{"error": ...}``: our IP, the user or the IBAN is blacklisted."""


def error_from_nexkasa(response: requests.Response) -> ProviderError:
    """The exception for a non-2xx answer (§5; public-notes §3.6: ``{"error": "<Turkish>"}``,
    DRF's ``{"detail": ...}`` or a serializer's ``{"field": ["message"]}``)."""
    data = decode_json(response.content)
    body: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
    error, detail = _text(body.get("error")), _text(body.get("detail"))
    status = response.status_code
    fields: dict[str, Any] = {"http_status": status, "merchant_message": error or detail}
    if status == 400:
        field_errors = _field_errors(body)
        summary = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in field_errors.items())
        fields["merchant_message"] = (detail or error or summary or "invalid request")[:500]
        return InvalidRequest(PROVIDER, code="invalid_request", field_errors=field_errors, **fields)
    if status == 403 and error is not None:
        return Blacklisted(PROVIDER, code="blacklisted", **fields)
    if status == 404 and error is not None:  # an HTML 404 is a wrong base URL, not this
        return NoSuitableAccount(PROVIDER, code="no_suitable_account", **fields)
    if status == 409:
        return AlreadyPending(PROVIDER, code="already_pending", **fields)
    return error_from_response(PROVIDER, response, merchant_message=error or detail)


def _field_errors(body: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for name, messages in body.items():
        if name in ("detail", "error") or not isinstance(name, str):
            continue
        items = messages if isinstance(messages, list) else [messages]
        texts = tuple(text for text in map(_text, items) if text)
        if texts:
            found[name[:100]] = texts
    return found


def _text(value: Any) -> str | None:
    return value[:500] if isinstance(value, str) and value else None  # untrusted: bounded


# --- requests and answers ---------------------------------------------------------------------


@dataclass(frozen=True)
class DepositRequest:
    amount: Money
    full_name: str
    user_id: str  # one PENDING deposit per user_id (§3.2: else 409); callbacks echo it
    callback_url: str | None
    external_id: str | None = None


@dataclass(frozen=True)
class WithdrawalRequest:
    amount: Money
    customer_iban: str
    customer_name: str
    external_id: str  # callbacks echo it as ``external_id``
    callback_url: str | None


@dataclass(frozen=True)
class BankDetails:
    bank_name: str
    account_holder: str
    iban: str


@dataclass(frozen=True)
class DepositAccepted:
    """Either answer NexKasa gives (public-notes §3.2): the guide's ``transaction_id`` or, at
    NexKasa's HEAD, ``transaction_token`` with the bank account to show the customer."""

    transaction_id: int | None
    transaction_token: str | None
    bank: BankDetails | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class WithdrawalAccepted:
    transaction_id: int | None  # the id callbacks carry; None when the answer did not say
    raw: Mapping[str, Any] = field(repr=False, compare=False)


def deposit_to_wire(deposit: DepositRequest) -> dict[str, Any]:
    """§3.1: amount as ``"1500.00"``; optional fields are left out, not sent as null."""
    body: dict[str, Any] = {
        "amount": nexkasa_amount(deposit.amount),
        "full_name": deposit.full_name,
        "user_id": deposit.user_id,
    }
    if deposit.external_id is not None:
        body["external_id"] = deposit.external_id
    if deposit.callback_url is not None:
        body["callback_url"] = deposit.callback_url
    return body


def withdrawal_to_wire(withdrawal: WithdrawalRequest) -> dict[str, Any]:
    """§3.2: the IBAN upper-case without spaces.

    The guide's "(Boşluklu)" (with spaces) is contradicted by its own example and by NexKasa's
    serializer, which refuses spaces (public-notes §3.3: "TR ile başlayan, boşluksuz").
    """
    body: dict[str, Any] = {
        "amount": nexkasa_amount(withdrawal.amount),
        "customer_iban": _SPACES.sub("", withdrawal.customer_iban).upper(),
        "customer_name": withdrawal.customer_name,
        "external_id": withdrawal.external_id,
    }
    if withdrawal.callback_url is not None:
        body["callback_url"] = withdrawal.callback_url
    return body


class _Malformed(ValueError):
    pass


def deposit_from_wire(data: Any) -> DepositAccepted:
    body = _success(data)
    transaction_id = _optional_id(body)
    token = body.get("transaction_token")
    if token is not None and (not isinstance(token, str) or not token):
        raise _Malformed("transaction_token: a string expected")
    if transaction_id is None and token is None:
        raise _Malformed("neither transaction_id nor transaction_token")
    bank = body.get("banka_bilgileri")
    return DepositAccepted(
        transaction_id=transaction_id,
        transaction_token=token,
        bank=None if bank is None else _bank(bank),
        raw=body,
    )


def withdrawal_from_wire(data: Any) -> WithdrawalAccepted:
    """Any 2xx body, even none: only NexKasa's code shows the answer (public-notes §3.3,
    ``{"status": "success", "transaction_id": <int>, ...}``), and a withdrawal it answered 2xx
    is in its pool. A missing or odd ``transaction_id`` is None, learned from the callback."""
    body = data if isinstance(data, Mapping) else {}
    value = body.get("transaction_id")
    readable = type(value) is int and 0 < value <= MAX_TRANSACTION_ID  # a bool is no id
    return WithdrawalAccepted(transaction_id=value if readable else None, raw=body)


def _success(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise _Malformed("a JSON object expected")
    if data.get("status", "success") != "success":
        raise _Malformed("status is not success")
    return data


def _optional_id(body: Mapping[str, Any]) -> int | None:
    value = body.get("transaction_id")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise _Malformed("transaction_id: an integer expected")
    return value


def _bank(value: Any) -> BankDetails:
    if not isinstance(value, Mapping):
        raise _Malformed("banka_bilgileri: an object expected")
    texts = [value.get(key) for key in ("banka_adi", "alici_adi", "iban")]
    if not all(isinstance(text, str) and text for text in texts):
        raise _Malformed("banka_bilgileri: banka_adi, alici_adi and iban expected")
    return BankDetails(bank_name=texts[0], account_holder=texts[1], iban=texts[2])


# --- the client -------------------------------------------------------------------------------


def nexkasa_http(base_url: str, api_key: str, **options: Any) -> ProviderHTTP:
    """The HTTP layer wired for NexKasa: ``X-API-KEY``, its error mapper, no retries.

    ``options`` go to ``ProviderHTTP`` (timeouts). Nothing NexKasa offers is idempotent.
    """
    if not api_key:
        raise ValueError("NexKasa: an API key is required")
    options.setdefault("max_retries", 0)
    return ProviderHTTP(
        PROVIDER, base_url, auth={"X-API-KEY": api_key}, error_mapper=error_from_nexkasa, **options
    )


class NexKasaClient:
    """NexKasa for one merchant's API key; thread-safe.

    ``http`` replaces the default layer: build it with ``nexkasa_http`` for the same base URL
    and key (tests tune timeouts there).
    """

    def __init__(self, base_url: str, api_key: str, *, http: ProviderHTTP | None = None) -> None:
        if http is None:
            http = nexkasa_http(base_url, api_key)
        elif http.base_url != base_url.rstrip("/"):
            raise ValueError("http was built for another base URL")
        self._http = http

    def close(self) -> None:
        self._http.close()

    def create_deposit(self, deposit: DepositRequest) -> DepositAccepted:
        """A PENDING deposit on a NexKasa bank account; the decision comes by callback.

        Sent once: a timeout or 5xx raises ``ProviderUnavailable(outcome_unknown=True)``, and a
        blind retry could open a second deposit (or meet ``AlreadyPending``).
        """
        response = self._http.request("POST", DEPOSIT_PATH, json=deposit_to_wire(deposit))
        return _read(deposit_from_wire, response)

    def create_withdrawal(self, withdrawal: WithdrawalRequest) -> WithdrawalAccepted:
        """A withdrawal into NexKasa's pool (WAITING_ASSIGNMENT); sent once, like deposits."""
        response = self._http.request("POST", WITHDRAW_PATH, json=withdrawal_to_wire(withdrawal))
        return withdrawal_from_wire(response.data)


def _read(parse: Callable[[Any], T], response: ProviderResponse) -> T:
    try:
        return parse(response.data)
    except _Malformed as exc:
        raise ProviderUnavailable(
            PROVIDER,
            http_status=response.status,
            outcome_unknown=True,
            code="malformed_response",
            merchant_message=f"unreadable {response.status} answer: {exc}",
        ) from None
