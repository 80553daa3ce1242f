"""What the API says about our objects: status words of the status machine, amounts as strings."""

from __future__ import annotations

from datetime import datetime

from webapp.models import Checkout
from webapp.money import Money
from webapp.urls import public_url


def _time(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _amount(minor: int, currency: str) -> str:
    return str(Money.from_minor(minor, currency).amount)


def checkout_json(checkout: Checkout) -> dict:
    refunds = [refund for attempt in checkout.attempts for refund in attempt.refunds]
    return {
        "id": checkout.public_id,
        "object": "checkout",
        "status": checkout.status,
        "amount": _amount(checkout.amount_minor, checkout.currency),
        "currency": checkout.currency,
        "order_id": checkout.order_id,
        "description": checkout.description,
        "url": public_url("checkout.show", checkout_id=checkout.public_id),
        "capture": checkout.capture,
        "methods": list(checkout.methods),
        "customer": {
            "id": checkout.customer_ref,
            "first_name": checkout.customer_first_name,
            "last_name": checkout.customer_last_name,
            "email": checkout.customer_email,
            "phone": checkout.customer_phone,
        },
        "success_url": checkout.success_url,
        "cancel_url": checkout.cancel_url,
        "expires_at": _time(checkout.expires_at),
        "created_at": _time(checkout.created_at),
        "payments": [
            {
                "number": attempt.number,
                "method": attempt.method,
                "provider": attempt.provider,
                "status": attempt.status,
                "amount": _amount(attempt.amount_minor, attempt.currency),
                "currency": attempt.currency,
                "error_code": attempt.error_code,
                "error_message": attempt.merchant_message,
                "refunded": _amount(attempt.refunded_minor, attempt.currency),
                # Bank transfers: the amount the provider actually credited (null until approved).
                "credited_amount": None
                if attempt.credited_minor is None
                else _amount(attempt.credited_minor, attempt.currency),
                "created_at": _time(attempt.created_at),
            }
            for attempt in checkout.attempts
        ],
        "refunds": [
            {
                "kind": refund.kind,
                "amount": _amount(refund.amount_minor, refund.currency),
                "currency": refund.currency,
                "status": refund.status,
                "created_at": _time(refund.created_at),
            }
            for refund in refunds
        ],
    }
