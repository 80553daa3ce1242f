"""Data factories: rows as the use cases would create them, with overridable fields."""

from __future__ import annotations

from datetime import timedelta

from webapp.extensions import db
from webapp.models import Checkout, Merchant, Payout
from webapp.models.types import utcnow


def merchant(name: str = "Test Mağaza") -> tuple[Merchant, str]:
    row, api_key = Merchant.create(name, ["https://shop.example"])
    db.session.add(row)
    db.session.flush()
    return row, api_key


def checkout(owner: Merchant, **fields) -> Checkout:
    values = {
        "merchant_id": owner.id,
        "order_id": f"order-{utcnow().timestamp()}-{id(fields)}",
        "amount_minor": 150_000,
        "currency": "TRY",
        "expires_at": utcnow() + timedelta(hours=1),
        **fields,
    }
    row = Checkout(**values)
    db.session.add(row)
    db.session.flush()
    return row


def payout(owner: Merchant, **fields) -> Payout:
    values = {
        "merchant_id": owner.id,
        "reference": f"ref-{utcnow().timestamp()}-{id(fields)}",
        "amount_minor": 250_000,
        "currency": "TRY",
        "provider": "pientegra",
        "customer_ref": "cust-1",
        "iban": "TR320010009999901234567890",
        "holder_name": "Mehmet Demir",
        **fields,
    }
    row = Payout(**values)
    db.session.add(row)
    db.session.flush()
    return row
