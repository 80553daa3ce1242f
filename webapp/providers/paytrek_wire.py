"""Paytrek's wire formats: the request bodies we send and the objects we read back.

Field names, dates and the meaning of each field live here and nowhere else (paytrek-api.txt
"Reference"; public-notes §4.3-§4.8); amounts go through ``webapp.money`` (two-decimal JSON
numbers written from ``Decimal``, never a float).

Trust boundary: ``to_wire`` takes our own typed values. Every ``from_wire`` takes a JSON body from
Paytrek (untrusted) and returns a typed value or raises ``ProviderError`` (no HTTP status) naming
the field it could not read; missing optional fields are fine, wrong types are not. Dates without
an offset are read as UTC: the document's examples all end in ``Z``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from webapp.money import Money, MoneyError, paytrek_amount, paytrek_amount_from_wire
from webapp.providers.errors import ProviderError
from webapp.providers.paytrek_errors import ERROR_CODES

PROVIDER = "paytrek"
_T = TypeVar("_T")

# "Satışın durumu Paid, Ready to Send, Authorized veya PreAuthorized ise bu satışın başarılı bir
# şekilde gerçekleştiğini gösterir" (paytrek-api.txt "Ödeme Akışı"; public-notes §4.4, §4.6).
SUCCESS_STATUSES = frozenset({"Paid", "Ready to Send", "Authorized", "PreAuthorized"})
# A manual-capture (pre_auth) sale settles here until it is captured.
AUTHORIZED_STATUSES = frozenset({"Authorized", "PreAuthorized"})

# The fields without which a body is not a sale object (paytrek-api.txt "Satış Oluşturma").
_SALE_FIELDS = ("sale_token", "order_id", "currency", "amount", "status")


@dataclass(frozen=True)
class SaleItem:
    name: str
    quantity: int
    unit_price: Money
    photo: str | None = None  # an image URL

    def to_wire(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "name": self.name,
            "quantity": self.quantity,
            "unit_price": paytrek_amount(self.unit_price),
        }
        if self.photo is not None:
            item["photo"] = self.photo
        return item


@dataclass(frozen=True)
class SaleRequest:
    """What ``POST /api/v2/sale/`` needs (paytrek-api.txt "Satış Oluşturma", public-notes §4.3).

    ``cancel_url`` and ``language_code`` are not in the parameter table; Paytrek's own examples
    send them (public-notes §4.3). ``hosted_payment_url`` is never sent: we build the URL
    ourselves (``PaytrekClient.hosted_payment_url``, §4.4).
    """

    order_id: str  # unique per sale: a reused one is refused with 30120
    amount: Money
    customer_first_name: str
    customer_last_name: str
    customer_email: str
    customer_ip_address: str
    billing_address: str
    billing_city: str
    billing_country: str  # ISO-2
    items: tuple[SaleItem, ...]
    return_url: str | None = None
    cancel_url: str | None = None
    billing_state: str | None = None
    billing_zipcode: str | None = None
    billing_phone: str | None = None
    hosted_payment: bool = False
    secure_option: bool = False  # 3-D Secure
    half_secure: bool = False  # charge even when the 3-D enrolment check says mdstatus 2, 3 or 4
    pre_auth: bool = False  # authorise only; capture later
    installment: int = 1  # 1 = a single payment
    language_code: str | None = None  # "tr"/"en" for the hosted page
    sale_data: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.installment, bool) or not isinstance(self.installment, int):
            raise TypeError("installment is an int")
        if self.installment < 1:
            raise ValueError(f"installment must be at least 1, got {self.installment}")
        if len(self.billing_country) != 2 or not self.billing_country.isalpha():
            raise ValueError(f"billing_country is an ISO-2 code, got {self.billing_country!r}")
        for item in self.items:
            if item.unit_price.currency != self.amount.currency:
                raise MoneyError(f"item {item.name!r} is not in {self.amount.currency}")
            if item.quantity < 1:
                raise ValueError(f"item {item.name!r}: quantity must be at least 1")

    def to_wire(self) -> dict[str, Any]:
        """The exact request body; optional text fields are left out rather than sent as null."""
        body: dict[str, Any] = {
            "order_id": self.order_id,
            "amount": paytrek_amount(self.amount),
            "currency": self.amount.currency,
            # "installment number, zorunlu": sent on every sale, 1 for a single payment.
            "installment": self.installment,
            "customer_first_name": self.customer_first_name,
            "customer_last_name": self.customer_last_name,
            "customer_email": self.customer_email,
            "customer_ip_address": self.customer_ip_address,
            "billing_address": self.billing_address,
            "billing_city": self.billing_city,
            "billing_country": self.billing_country,
            "items": [item.to_wire() for item in self.items],
            "hosted_payment": self.hosted_payment,
            "secure_option": self.secure_option,
            "half_secure": self.half_secure,
            "pre_auth": self.pre_auth,
        }
        optional = {
            "return_url": self.return_url,
            "cancel_url": self.cancel_url,
            "billing_state": self.billing_state,
            "billing_zipcode": self.billing_zipcode,
            "billing_phone": self.billing_phone,
            "language_code": self.language_code,
            "sale_data": None if self.sale_data is None else dict(self.sale_data),
        }
        body.update({name: value for name, value in optional.items() if value is not None})
        return body


@dataclass(frozen=True)
class Transaction:
    """One attempt on a sale (``transactions[]``), or a charge response's own verdict.

    The code and messages come from ``paytrek_error`` (fields ``code``/``message``/
    ``customer_message``, public-notes §4.5) or the ``error_code``/``error_message`` envelope;
    a customer message Paytrek left out is taken from the document's table.
    """

    succeeded: bool
    error_code: str | None
    merchant_message: str | None
    customer_message: str | None
    amount: Money | None
    kind: str | None  # "type": "Sale", ...

    @classmethod
    def from_wire(cls, data: Mapping[str, Any], currency: str | None) -> Transaction:
        code, merchant, customer = error_fields(data)
        currency = _text(data, "currency") or currency
        return cls(
            succeeded=data.get("succeeded") is True,
            error_code=code,
            merchant_message=merchant,
            customer_message=customer,
            amount=_money(data, "amount", currency) if currency else None,
            kind=_text(data, "type"),
        )


@dataclass(frozen=True)
class Sale:
    """A sale as Paytrek reports it (``GET /api/v2/sale/<sale_token>/``, "Satışı İnceleme")."""

    token: str
    order_id: str
    amount: Money
    status: str  # "Created", then one of SUCCESS_STATUSES, or e.g. "Declined" (§4.6)
    financial_status: str | None
    refunded_amount: Money
    expires_at: datetime | None  # about an hour after creation in the examples (§4.3)
    transactions: tuple[Transaction, ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False)  # holds customer details: no repr

    @classmethod
    def from_wire(cls, data: Any) -> Sale:
        if not isinstance(data, Mapping):
            raise unexpected_response("a sale is a JSON object")
        currency = _need(_text(data, "currency"), "currency")
        transactions = data.get("transactions") or []
        if not isinstance(transactions, list) or not all(
            isinstance(tx, Mapping) for tx in transactions
        ):
            raise unexpected_response("transactions: a list of objects")
        return cls(
            token=_need(_text(data, "sale_token"), "sale_token"),
            order_id=_need(_text(data, "order_id"), "order_id"),
            amount=_need(_money(data, "amount", currency), "amount"),
            status=_need(_text(data, "status"), "status"),
            financial_status=_text(data, "financial_status"),
            refunded_amount=_money(data, "refunded_amount", currency) or Money.zero(currency),
            expires_at=_datetime(data, "expires_at"),
            transactions=tuple(Transaction.from_wire(tx, currency) for tx in transactions),
            raw=dict(data),
        )

    @property
    def currency(self) -> str:
        return self.amount.currency

    @property
    def is_success(self) -> bool:
        """Charged (or authorised): the document's four success statuses."""
        return self.status in SUCCESS_STATUSES

    @property
    def is_authorized_only(self) -> bool:
        """Authorised but not captured: a pre-auth sale waiting for ``capture``."""
        return self.status in AUTHORIZED_STATUSES

    @property
    def last_failure(self) -> Transaction | None:
        """The most recent failed transaction, if any (a later success does not hide it)."""
        return next((tx for tx in reversed(self.transactions) if not tx.succeeded), None)


@dataclass(frozen=True)
class ChargeResult:
    """The answer to a charge (paytrek-api.txt "Kart Saklama ile Ödeme"; public-notes §4.5).

    Three outcomes, none an exception: ``forward_url`` set (3-D Secure: send the customer there,
    then confirm with ``get_sale``); ``succeeded``; or declined, with ``failure`` saying why.
    ``sale`` is filled when Paytrek answers with the whole sale object (as direct_charge does);
    the documented charge_with_token answer is a short receipt without status or amount.
    """

    sale: Sale | None
    forward_url: str | None
    succeeded: bool = False
    failure: Transaction | None = None

    @property
    def needs_3d_secure(self) -> bool:
        return self.forward_url is not None

    @classmethod
    def from_wire(cls, data: Any) -> ChargeResult:
        if not isinstance(data, Mapping):
            raise unexpected_response("a charge response is a JSON object")
        sale = Sale.from_wire(data) if is_sale(data) else None
        forward_url = _text(data, "forward_url")
        # We send customers there: only a web address will do (no javascript: URLs).
        if forward_url is not None and urlsplit(forward_url).scheme not in ("https", "http"):
            raise unexpected_response("forward_url: not an http(s) URL")
        flag = data.get("succeeded")
        succeeded = flag if isinstance(flag, bool) else sale is not None and sale.is_success
        failure = None
        if not succeeded and forward_url is None:
            own = Transaction.from_wire(data, sale.currency if sale else None)
            failure = (sale.last_failure if sale else None) or own
        return cls(sale=sale, forward_url=forward_url, succeeded=succeeded, failure=failure)


@dataclass(frozen=True)
class VaultCard:
    """A stored card (``GET /api/v2/vault/<card_token>/``, "Saklanan Kartı Görüntüleme")."""

    card_token: str
    bin_number: str
    masked_number: str | None  # "450803******4509", Paytrek's own masking in charge answers
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_wire(cls, data: Any) -> VaultCard:
        if not isinstance(data, Mapping):
            raise unexpected_response("a vault card is a JSON object")
        bin_number = _need(_text(data, "bin_number"), "bin_number")
        last4 = _text(data, "last4")
        masked = _text(data, "number") or (f"{bin_number}******{last4}" if last4 else None)
        return cls(
            card_token=_need(_text(data, "card_token"), "card_token"),
            bin_number=bin_number,
            masked_number=masked,
            raw=dict(data),
        )


@dataclass(frozen=True)
class InstallmentOption:
    """One row of ``banks[].installments[]`` (paytrek-api.txt "Taksitler")."""

    count: int  # "number"
    total: Money  # "total_amount", commission included
    monthly: Money | None  # "instalment_amounts" (sic): one payment of ``count``
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def list_from_wire(cls, data: Any, currency: str) -> tuple[InstallmentOption, ...]:
        """Every bank's options in the order sent; the answer carries no currency, so the
        amount we asked about gives it."""
        if not isinstance(data, Mapping) or not isinstance(data.get("banks", []), list):
            raise unexpected_response("installments: an object with a banks list")
        options = []
        for bank in data.get("banks", []):
            rows = bank.get("installments", []) if isinstance(bank, Mapping) else None
            if not isinstance(rows, list):
                raise unexpected_response("banks[].installments: a list")
            for row in rows:
                if not isinstance(row, Mapping):
                    raise unexpected_response("banks[].installments[]: an object")
                count = row.get("number")
                if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                    raise unexpected_response("banks[].installments[].number: a positive integer")
                options.append(
                    cls(
                        count=count,
                        total=_need(_money(row, "total_amount", currency), "total_amount"),
                        monthly=_money(row, "instalment_amounts", currency),
                        raw=dict(row),
                    )
                )
        return tuple(options)


def error_fields(data: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(code, merchant message, customer message) of a transaction or an error envelope.

    ``paytrek_error`` (``code``, ``message``, ``customer_message``; public-notes §4.5) first,
    then ``error_code``/``error_message`` (§4.8); what Paytrek left out comes from the
    document's table. Never raises: it also reads error bodies of any shape.
    """
    error = data.get("paytrek_error")
    error = error if isinstance(error, Mapping) else {}
    code = _loose_text(error, "code", "error_code") or _loose_text(data, "error_code")
    known = ERROR_CODES.get(code) if code else None
    merchant = _loose_text(error, "message", "error_message") or _loose_text(data, "error_message")
    customer = _loose_text(error, "customer_message") or _loose_text(data, "customer_message")
    return (
        code,
        merchant or (known.merchant_message if known else None),
        customer or (known.customer_message if known else None),
    )


def is_sale(data: Mapping[str, Any]) -> bool:
    """Whether a body is a whole sale object rather than a short receipt."""
    return all(data.get(name) is not None for name in _SALE_FIELDS)


# --- reading untrusted fields -------------------------------------------------------------------


def unexpected_response(what: str) -> ProviderError:
    """A 2xx body we cannot use: Paytrek broke its contract (no HTTP status: the call worked)."""
    return ProviderError(PROVIDER, merchant_message=f"unexpected response: {what}")


def _loose_text(data: Mapping[str, Any], *names: str) -> str | None:
    """The first of ``names`` holding text or a number; anything else is skipped, not refused."""
    for name in names:
        value = data.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str) and value:
            return value
    return None


def _need(value: _T | None, name: str) -> _T:
    if value is None:
        raise unexpected_response(f"{name}: missing")
    return value


def _text(data: Mapping[str, Any], name: str) -> str | None:
    """A string field (a number is read as its text, e.g. ``"error_code": 10020``); "" is None."""
    value = data.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise unexpected_response(f"{name}: not text")
    return value


def _money(data: Mapping[str, Any], name: str, currency: str) -> Money | None:
    value = data.get(name)
    if value is None:
        return None
    try:
        return paytrek_amount_from_wire(value, currency)
    except (MoneyError, TypeError) as exc:
        raise unexpected_response(f"{name}: {exc}") from None


def _datetime(data: Mapping[str, Any], name: str) -> datetime | None:
    value = _text(data, name)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)  # "2018-03-14T08:58:39.519205Z"
    except ValueError:
        raise unexpected_response(f"{name}: not an ISO 8601 date") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
