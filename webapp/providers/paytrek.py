"""Paytrek client: card sales through the hosted page or a stored-card token, 3-D Secure via
``forward_url``, the sale lookup that confirms a payment, capture/cancel/refund and installments.

Follows paytrek-api.txt ("Kimlik Doğrulama", "Headers", "Satış", "Kart Saklama", "Kart Saklama
ile Ödeme", "Capture", "İptal", "İade", "Taksitler", "Hata Kodları") and public-notes §4. Wire
formats are in ``paytrek_wire.py``, the error-code table in ``paytrek_errors.py``; this module
re-exports both, so callers import from ``webapp.providers.paytrek`` only.

Trust boundary: base URL and credentials come from the caller (our configuration), never from
app config read here. Everything Paytrek answers is untrusted and read by ``from_wire``; a
result page must still confirm a sale with ``get_sale`` and compare order id, amount and
currency. Sale and card tokens travel in URL paths only as ``path_params``, so logs show the
template (``/api/v2/sale/{sale_token}/``), never the token; bodies are never logged.

Requests: HTTP Basic, api_key as user and secret as password; ``Content-Type: application/json``
on every request, GET included (both set once on the ``ProviderHTTP`` session). Paytrek has no
idempotency key, so POSTs are sent exactly once and only GETs are retried.

Errors, as they apply here (``errors.py``)::

    ProviderError            a 2xx body we cannot read (no http_status), or a 3xx
    ├── ProviderUnavailable  connection error, timeout, 5xx. GETs were already retried. After a
    │                        POST, ``outcome_unknown`` says Paytrek may have acted: never repeat
    │                        capture/cancel/refund/charge blindly, read the sale with get_sale
    ├── ProviderRateLimited  429
    ├── ProviderAuthError    401/403: wrong api_key/secret; alert staff, never retry
    └── ProviderRejected     other 4xx, and a 2xx capture/cancel/refund with ``succeeded: false``;
                             ``code`` is Paytrek's (``ERROR_CODES``), e.g. 30120 reused order_id

A declined card is not an exception: a charge answers 2xx and ``ChargeResult.failure`` (or
``Sale.last_failure``) carries the code and both messages for the caller to show.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import requests

from webapp.money import Money, paytrek_amount
from webapp.providers._http import ProviderHTTP
from webapp.providers._json import decode_json
from webapp.providers.errors import (
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    error_from_response,
)
from webapp.providers.paytrek_errors import ERROR_CODES, ErrorCode
from webapp.providers.paytrek_wire import (
    AUTHORIZED_STATUSES,
    PROVIDER,
    SUCCESS_STATUSES,
    ChargeResult,
    InstallmentOption,
    Sale,
    SaleItem,
    SaleRequest,
    Transaction,
    VaultCard,
    error_fields,
    is_sale,
    unexpected_response,
)

__all__ = [
    "AUTHORIZED_STATUSES",
    "ERROR_CODES",
    "SUCCESS_STATUSES",
    "ChargeResult",
    "ErrorCode",
    "InstallmentOption",
    "PaytrekClient",
    "Sale",
    "SaleItem",
    "SaleRequest",
    "Transaction",
    "VaultCard",
    "paytrek_http",
]

_MAX_MESSAGE = 500  # untrusted text: bounded
_log = logging.getLogger(f"webapp.providers.{PROVIDER}")


def paytrek_http(base_url: str, api_key: str, secret: str, **options: Any) -> ProviderHTTP:
    """The HTTP layer Paytrek needs: Basic auth and Paytrek's error mapping.

    ``options`` go to ``ProviderHTTP`` (timeouts, retries, ``sleep``); build one here to share it
    between clients or to tune it, and pass it to ``PaytrekClient(http=...)``.
    """
    return ProviderHTTP(
        PROVIDER, base_url, auth=(api_key, secret), error_mapper=_error_mapper, **options
    )


class PaytrekClient:
    """One merchant account's calls to Paytrek; thread-safe, holds no state but the session."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        secret: str,
        *,
        http: ProviderHTTP | None = None,
        timeout: tuple[float, float] | None = None,
    ) -> None:
        """``timeout`` is (connect, read) seconds. ``http`` must come from ``paytrek_http`` with
        the same base URL and credentials; timeouts are then set there, not here."""
        if http is None:
            options: dict[str, float] = {}
            if timeout is not None:
                options["connect_timeout"], options["read_timeout"] = timeout
            http = paytrek_http(base_url, api_key, secret, **options)
        elif timeout is not None:
            raise ValueError("set the timeout on the ProviderHTTP you pass in")
        elif http.base_url != base_url.rstrip("/"):
            raise ValueError("http was built for another base URL")
        self._http = http

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PaytrekClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def create_sale(self, sale: SaleRequest) -> Sale:
        """``POST /api/v2/sale/``: a sale in status "Created", not yet charged.

        Sent once. After ``ProviderUnavailable`` the sale may exist: create a new one with a new
        ``order_id`` (an unpaid sale costs nothing and expires), since reusing the old id gets
        30120 if the first request arrived.
        """
        response = self._http.request("POST", "/api/v2/sale/", json=sale.to_wire())
        created = Sale.from_wire(response.data)
        if created.order_id != sale.order_id or created.amount != sale.amount:
            raise unexpected_response("the created sale's order_id or amount differs from ours")
        return created

    def get_sale(self, sale_token: str) -> Sale:
        """``GET /api/v2/sale/<sale_token>/``: the server-side truth about a payment."""
        response = self._http.request(
            "GET", "/api/v2/sale/{sale_token}/", path_params={"sale_token": sale_token}
        )
        sale = Sale.from_wire(response.data)
        if sale.token != sale_token:
            raise unexpected_response("the sale returned is not the one asked for")
        return sale

    def charge_with_token(self, sale_token: str, card_token: str) -> ChargeResult:
        """``POST /api/v2/charge_with_token/``: charge a created sale with a stored card.

        A decline comes back as ``ChargeResult.failure``, not as an exception. After
        ``ProviderUnavailable`` the card may have been charged: read the sale, never re-charge.
        """
        body = {"sale_token": sale_token, "card_token": card_token}
        response = self._http.request("POST", "/api/v2/charge_with_token/", json=body)
        return ChargeResult.from_wire(response.data)

    def get_vault_card(self, card_token: str) -> VaultCard:
        """``GET /api/v2/vault/<card_token>/``: a stored card's BIN and masked number."""
        response = self._http.request(
            "GET", "/api/v2/vault/{card_token}/", path_params={"card_token": card_token}
        )
        return VaultCard.from_wire(response.data)

    def installments(self, bin_number: str, amount: Money) -> tuple[InstallmentOption, ...]:
        """``GET /api/v2/installments/?bin_number=&amount=``: the plans a card's bank offers.

        The document's ``bin_number`` is "Kartın ilk 6 hanesi": a longer (8-digit) BIN from the
        vault is cut to its first 6."""
        if not (bin_number.isascii() and bin_number.isdigit() and 6 <= len(bin_number) <= 8):
            raise ValueError("bin_number is the card's first 6 (to 8) digits, never the number")
        params = {"bin_number": bin_number[:6], "amount": f"{paytrek_amount(amount):f}"}
        response = self._http.request("GET", "/api/v2/installments/", params=params)
        return InstallmentOption.list_from_wire(response.data, amount.currency)

    def capture(self, sale_token: str, comments: str | None = None) -> Sale | None:
        """``POST /api/v2/capture/``: settle a pre-authorised sale.

        ``sale_token`` goes in the body, as the v2 document says (public-notes §4.9: the old
        python client's token-in-path is a bug). Returns the sale when Paytrek answers with one,
        None for the documented short receipt (sale_token, amounts, ``succeeded``: no status or
        currency): the call was accepted, and ``get_sale`` tells the new state. A 2xx with
        ``succeeded: false`` raises ``ProviderRejected``. ``ProviderUnavailable`` here has
        ``outcome_unknown``: the caller reconciles with ``get_sale``, never by repeating.
        """
        return self._sale_operation("/api/v2/capture/", sale_token, comments=comments)

    def cancel(self, sale_token: str, comments: str | None = None) -> Sale | None:
        """``POST /api/v2/cancel/``: void, or fully refund, a sale. Same answer as ``capture``."""
        return self._sale_operation("/api/v2/cancel/", sale_token, comments=comments)

    def refund(
        self, sale_token: str, amount: Money | None = None, comments: str | None = None
    ) -> Sale | None:
        """``POST /api/v2/refund/``: all of it (Paytrek tries a cancel first) or ``amount``.

        Same answer as ``capture``. ``amount`` must be in the sale's currency; Paytrek's body
        has no currency field to say otherwise.
        """
        refund_amount = None if amount is None else paytrek_amount(amount)
        return self._sale_operation(
            "/api/v2/refund/", sale_token, amount=refund_amount, comments=comments
        )

    @staticmethod
    def hosted_payment_url(hosted_base: str, sale_token: str) -> str:
        """Where to send the customer to pay: ``<host>/?token=<sale_token>`` (public-notes §4.4)."""
        return f"{hosted_base.rstrip('/')}/?{urlencode({'token': sale_token})}"

    def _sale_operation(self, path: str, sale_token: str, **fields: Any) -> Sale | None:
        body = {"sale_token": sale_token}
        body.update({name: value for name, value in fields.items() if value is not None})
        response = self._http.request("POST", path, json=body)
        data = response.data if isinstance(response.data, Mapping) else {}
        if data.get("succeeded") is False:
            # A 2xx that says no (e.g. 30005, 9000): refused, as a 4xx would be.
            code, merchant, customer = _error_fields(data)
            raise ProviderRejected(
                PROVIDER,
                http_status=response.status,
                code=code,
                merchant_message=merchant,
                customer_message=customer,
            )
        if not is_sale(data):
            if data.get("succeeded") is not True:
                # Every documented receipt says ``"succeeded": true``; a 2xx that says neither
                # yes nor no may or may not have moved money: reconcile, never repeat.
                raise ProviderUnavailable(
                    PROVIDER,
                    http_status=response.status,
                    merchant_message=f'{path} answered 2xx without "succeeded": true',
                )
            return None  # the documented receipt: accepted, state not included
        try:
            return Sale.from_wire(data)
        except ProviderError as error:
            # Money moved (2xx): an unreadable sale must not look like a refusal to the caller.
            _log.warning("%s answered 2xx with an unreadable sale: %s", path, error)
            return None


# --- errors -------------------------------------------------------------------------------------


def _error_mapper(response: requests.Response) -> ProviderError:
    """A non-2xx answer as an exception with Paytrek's code and both messages."""
    code, merchant, customer = _error_fields(decode_json(response.content))
    return error_from_response(
        PROVIDER,
        response,
        code=code,
        merchant_message=merchant,
        customer_message=customer,
    )


def _error_fields(data: Any) -> tuple[str | None, str | None, str | None]:
    """(code, merchant message, customer message) from Paytrek's envelope (public-notes §4.8).

    ``error_code``/``error_message`` or ``paytrek_error`` at the top, else in the last failed
    transaction of a sale object. Field errors (DRF's ``{"amount": ["..."]}``, at the top or
    under ``errors`` as PaytrekJS answers have them) are added to the merchant message.
    """
    if not isinstance(data, Mapping):
        return None, None, None
    code, merchant, customer = error_fields(data)
    transactions = data.get("transactions")
    if code is None and isinstance(transactions, list):
        failed = [tx for tx in transactions if isinstance(tx, Mapping) and not tx.get("succeeded")]
        if failed:
            code, merchant, customer = error_fields(failed[-1])
    nested = data.get("errors")
    fields = _field_errors(nested if isinstance(nested, Mapping) else data)
    if merchant and fields:
        merchant = f"{merchant} ({fields})"
    return code, _bounded(merchant or fields), _bounded(customer)


def _field_errors(data: Mapping[str, Any]) -> str | None:
    """``{"amount": ["Bu alan zorunludur."]}`` -> ``"amount: Bu alan zorunludur."``"""
    parts = [
        f"{name}: {' '.join(value)}"
        for name, value in data.items()
        if isinstance(value, list) and value and all(isinstance(m, str) for m in value)
    ]
    return "; ".join(parts) or None


def _bounded(text: str | None) -> str | None:
    return None if text is None else text[:_MAX_MESSAGE]
