"""Creating checkouts: the one validation of what a merchant asks for, from the API or a link.

Trust boundary: everything in a ``CheckoutSpec`` comes from a merchant (JSON API) or from a
signed link the customer carried; both are checked here the same way. Errors name the field.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import Checkout, Merchant
from webapp.models.types import utcnow
from webapp.money import Money, MoneyError
from webapp.payments.methods import DEFAULT_METHODS, TRANSFER_CURRENCY, Method
from webapp.payments.status import lock_where

# Paytrek's billing_state: "ABD ve CA için posta kısaltmaları kullanın" (paytrek-api.txt Sale).
STATE_COUNTRIES = frozenset({"US", "CA"})

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ItemSpec(_Strict):
    name: Annotated[Text, Field(max_length=200)]
    quantity: Annotated[int, Field(strict=True, ge=1, le=100_000)]
    unit_price: Annotated[str, Field(max_length=20)]
    photo: Annotated[str, Field(max_length=2000)] | None = None


class CustomerSpec(_Strict):
    id: Annotated[Text, Field(max_length=100)] | None = None
    first_name: Annotated[Text, Field(max_length=100)] | None = None
    last_name: Annotated[Text, Field(max_length=100)] | None = None
    email: EmailStr | None = None
    phone: Annotated[str, Field(max_length=32, pattern=r"^\+?[0-9 ()-]{7,32}$")] | None = None


class BillingSpec(_Strict):
    address: Annotated[Text, Field(max_length=500)] | None = None
    city: Annotated[Text, Field(max_length=100)] | None = None
    state: Annotated[Text, Field(max_length=100)] | None = None
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    zipcode: Annotated[Text, Field(max_length=20)] | None = None


class CheckoutSpec(_Strict):
    amount: Annotated[str, Field(max_length=20)]
    currency: Literal["TRY", "USD", "EUR"]
    order_id: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:/-]+$")]
    description: Annotated[str, Field(max_length=500)] = ""
    items: list[ItemSpec] = Field(default_factory=list, max_length=100)
    customer: CustomerSpec = Field(default_factory=CustomerSpec)
    billing: BillingSpec = Field(default_factory=BillingSpec)
    success_url: Annotated[str, Field(max_length=2000)] | None = None
    cancel_url: Annotated[str, Field(max_length=2000)] | None = None
    expires_in: Annotated[int, Field(strict=True, ge=300, le=7 * 24 * 3600)] = 24 * 3600
    capture: Literal["automatic", "manual"] = "automatic"
    methods: list[Method] = Field(default_factory=lambda: list(DEFAULT_METHODS), min_length=1)


class SpecError(ValueError):
    """A field the merchant must fix: ``field`` is its dotted path, ``message`` says why."""

    def __init__(self, field: str, message: str, code: str = "invalid") -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message, self.code = field, message, code


class OrderExists(Exception):
    """This merchant already has a checkout for that order_id."""

    def __init__(self, checkout: Checkout) -> None:
        super().__init__(checkout.public_id)
        self.checkout = checkout


def parse_spec(data: object) -> CheckoutSpec:
    """The merchant's JSON as a spec, or the first field at fault."""
    try:
        return CheckoutSpec.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        raise SpecError(field, first["msg"], code=first["type"]) from None


def create_checkout(merchant: Merchant, spec: CheckoutSpec) -> Checkout:
    """Add a checkout for ``merchant``; raises SpecError, or OrderExists for a known order_id.
    The caller commits."""
    amount = _money(spec.amount, spec.currency, "amount")
    if not amount.is_positive:
        raise SpecError("amount", "must be greater than zero")
    items = _items(spec, amount)
    _check_methods(spec)
    _check_state(spec.billing)
    for field in ("success_url", "cancel_url"):
        _check_return_url(merchant, field, getattr(spec, field))
    existing = find_by_order(merchant, spec.order_id)
    if existing is not None:
        raise OrderExists(existing)
    customer, billing = spec.customer, spec.billing
    checkout = Checkout(
        merchant_id=merchant.id,
        order_id=spec.order_id,
        description=spec.description,
        amount_minor=amount.minor,
        currency=spec.currency,
        customer_ref=customer.id,
        customer_first_name=customer.first_name,
        customer_last_name=customer.last_name,
        customer_email=customer.email,
        customer_phone=customer.phone,
        billing_address=billing.address,
        billing_city=billing.city,
        billing_state=_state(billing),
        billing_country=billing.country,
        billing_zipcode=billing.zipcode,
        success_url=spec.success_url,
        cancel_url=spec.cancel_url,
        expires_at=utcnow() + timedelta(seconds=spec.expires_in),
        capture=spec.capture,
        methods=[str(method) for method in dict.fromkeys(spec.methods)],
        items=items,
    )
    db.session.add(checkout)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # Another request created the same order in the meantime: answer with that one.
        raise OrderExists(find_by_order(merchant, spec.order_id)) from None
    return checkout


def find_by_public_id(public_id: str, *, locked: bool = False) -> Checkout | None:
    if locked:
        return lock_where(Checkout, Checkout.public_id == public_id)
    statement = select(Checkout).where(Checkout.public_id == public_id)
    return db.session.execute(statement).scalar_one_or_none()


def find_by_order(merchant: Merchant, order_id: str) -> Checkout | None:
    statement = select(Checkout).where(
        Checkout.merchant_id == merchant.id, Checkout.order_id == order_id
    )
    return db.session.execute(statement).scalar_one_or_none()


def _money(text: str, currency: str, field: str) -> Money:
    try:
        return Money.parse(text, currency)
    except (MoneyError, TypeError) as error:
        raise SpecError(field, str(error)) from None


def _items(spec: CheckoutSpec, amount: Money) -> list[dict]:
    """Items as stored (unit prices in minor units); Paytrek needs at least one, so a checkout
    without items gets one line for its whole amount."""
    if not spec.items:
        name = spec.description or spec.order_id
        return [{"name": name[:200], "quantity": 1, "unit_price_minor": amount.minor}]
    items, total = [], Money.zero(spec.currency)
    for index, item in enumerate(spec.items):
        price = _money(item.unit_price, spec.currency, f"items.{index}.unit_price")
        if not price.is_positive:
            raise SpecError(f"items.{index}.unit_price", "must be greater than zero")
        if item.photo is not None and _scheme(item.photo) != "https":
            raise SpecError(f"items.{index}.photo", "must be an https URL")
        try:
            total = total + Money.from_minor(price.minor * item.quantity, spec.currency)
        except MoneyError:
            raise SpecError("items", "the items add up to more than we can take") from None
        items.append(
            {"name": item.name, "quantity": item.quantity, "unit_price_minor": price.minor}
            | ({"photo": item.photo} if item.photo else {})
        )
    if total != amount:
        raise SpecError("items", f"the items add up to {total.amount}, not {amount.amount}")
    return items


def _scheme(url: str) -> str | None:
    try:
        return urlsplit(url).scheme
    except ValueError:
        return None


def _check_state(billing: BillingSpec) -> None:
    postal_code = billing.state is None or re.fullmatch(r"[A-Za-z]{2}", billing.state)
    if billing.country in STATE_COUNTRIES and not postal_code:
        raise SpecError("billing.state", "use the two-letter postal code (e.g. NY) for US and CA")


def _state(billing: BillingSpec) -> str | None:
    us_or_canada = billing.state and billing.country in STATE_COUNTRIES
    return billing.state.upper() if us_or_canada else billing.state


def _check_methods(spec: CheckoutSpec) -> None:
    transfers = [method for method in spec.methods if not method.is_card]
    if transfers and spec.currency != TRANSFER_CURRENCY:
        raise SpecError(
            "methods", f"{transfers[0]} is offered on {TRANSFER_CURRENCY} checkouts only"
        )
    if transfers and not spec.customer.id:
        raise SpecError("customer.id", f"{transfers[0]} needs the merchant's customer id")
    if spec.capture == "manual" and transfers:
        raise SpecError("capture", "manual capture is for card methods only")


def _check_return_url(merchant: Merchant, field: str, url: str | None) -> None:
    if url is None:
        return
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "https://[::1/x": an IPv6 host without its bracket
        raise SpecError(field, "must be an absolute http(s) URL") from None
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.username:
        raise SpecError(field, "must be an absolute http(s) URL")
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    allowed = {o.rstrip("/").lower() for o in merchant.allowed_return_origins}
    if origin not in allowed:
        raise SpecError(field, "is not on one of the merchant's registered origins", "origin")


PAYER_COLUMNS = frozenset(
    {
        "customer_first_name",
        "customer_last_name",
        "customer_email",
        "customer_phone",
        "billing_address",
        "billing_city",
        "billing_zipcode",
        "billing_country",
        "billing_state",
    }
)


def set_payer_details(checkout: Checkout, values: dict[str, str]) -> None:
    """Fill in what the merchant did not send; a value the merchant sent is never overwritten."""
    changed = False
    for column, value in values.items():
        if column in PAYER_COLUMNS and not getattr(checkout, column):
            setattr(checkout, column, value)
            changed = True
    if changed:
        db.session.commit()
