"""Opening a merchant-signed checkout link: verify it, then find or create its checkout.

Opening the same valid link twice gives the same checkout (the order id is unique per
merchant); a tampered, foreign or expired link creates nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Checkout, Merchant
from webapp.models.types import utcnow
from webapp.money import Money
from webapp.payments import links
from webapp.payments.checkouts import (
    CheckoutSpec,
    OrderExists,
    SpecError,
    create_checkout,
    parse_spec,
)

REQUIRED = ("merchant", "order_id", "amount", "currency", "expires", "signature")
OPTIONAL = ("description", "success_url", "cancel_url", "methods", "customer_id")
MAX_LIFETIME_SECONDS = 7 * 24 * 3600


class LinkExpired(Exception):
    pass


def build_link(merchant: Merchant, base_url: str, fields: Mapping[str, str]) -> str:
    """The URL a merchant would build (used by the CLI and the console)."""
    params = {"merchant": merchant.public_id, **{k: v for k, v in fields.items() if v}}
    return f"{base_url}?{links.signed_query(params, merchant.link_secret, links.CHECKOUT)}"


def open_link(params: Mapping[str, str]) -> Checkout:
    """The link's checkout, created on first use; raises LinkError or LinkExpired."""
    unknown = set(params) - set(REQUIRED) - set(OPTIONAL)
    missing = [name for name in REQUIRED if not params.get(name)]
    if unknown or missing:
        raise links.LinkError(f"unexpected {sorted(unknown)} or missing {missing}")
    merchant = db.session.execute(
        select(Merchant).where(Merchant.public_id == params["merchant"])
    ).scalar_one_or_none()
    if merchant is None:
        raise links.LinkError("unknown merchant")
    links.verify(params, merchant.link_secret, links.CHECKOUT)
    expires_at = _expiry(params["expires"])
    spec = _spec(params, expires_at)
    try:
        checkout = create_checkout(merchant, spec)
    except OrderExists as exists:
        checkout = exists.checkout
        if checkout.amount_minor != _minor(spec) or checkout.currency != spec.currency:
            raise links.LinkError("this order already has a checkout for another amount") from None
        return checkout
    except SpecError as error:
        raise links.LinkError(f"{error.field}: {error.message}") from None
    checkout.expires_at = expires_at
    db.session.commit()
    return checkout


def _expiry(text: str) -> datetime:
    expires_at = links.expiry(text)
    now = utcnow()
    if expires_at <= now:
        raise LinkExpired
    if (expires_at - now).total_seconds() > MAX_LIFETIME_SECONDS:
        raise links.LinkError("expires: at most 7 days ahead")
    return expires_at


def _spec(params: Mapping[str, str], expires_at: datetime) -> CheckoutSpec:
    data: dict = {
        "amount": params["amount"],
        "currency": params["currency"],
        "order_id": params["order_id"],
        "description": params.get("description", ""),
        "success_url": params.get("success_url") or None,
        "cancel_url": params.get("cancel_url") or None,
        "expires_in": max(300, int((expires_at - utcnow()).total_seconds())),
    }
    if params.get("methods"):
        data["methods"] = params["methods"].split(",")
    if params.get("customer_id"):
        data["customer"] = {"id": params["customer_id"]}
    try:
        return parse_spec(data)
    except SpecError as error:
        raise links.LinkError(f"{error.field}: {error.message}") from None


def _minor(spec: CheckoutSpec) -> int:
    return Money.parse(spec.amount, spec.currency).minor
