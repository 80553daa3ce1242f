"""Data factories: rows as the use cases would create them, with overridable fields."""

from __future__ import annotations

from datetime import timedelta

from webapp.extensions import db
from webapp.models import Checkout, Merchant, Payout
from webapp.models.types import utcnow
from webapp.payments.card import Customer

# The payer a card sale is started for, as the checkout page builds it from the form.
CARD_CUSTOMER = Customer(
    first_name="Ayşe",
    last_name="Yılmaz",
    email="ayse@example.com",
    ip_address="203.0.113.9",
    address="Bağdat Cad. 1",
    city="İstanbul",
    country="TR",
)

# The same payer as a checkout's columns: every detail Paytrek requires, so the page asks nothing.
PAYER_COLUMNS = {
    "customer_first_name": CARD_CUSTOMER.first_name,
    "customer_last_name": CARD_CUSTOMER.last_name,
    "customer_email": CARD_CUSTOMER.email,
    "billing_address": CARD_CUSTOMER.address,
    "billing_city": CARD_CUSTOMER.city,
    "billing_country": CARD_CUSTOMER.country,
}


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
