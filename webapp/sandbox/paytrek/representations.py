"""Records as Paytrek writes them: sale, transaction, charge, vault entry (paytrek-api.txt
"Referans" examples), keys in the document's order.

Declined transactions carry ``paytrek_error`` ``{code, message, customer_message}`` (the shape
the micenx and PaymentErrorMapper integrations read, public-notes §4.5); a declined charge answer
adds ``error_code`` and ``customer_message`` beside the document's ``error_message``. Fields the
sandbox does not simulate keep the examples' neutral values (``fraud_risk`` null, fees "0.00").
"""

from __future__ import annotations

from typing import Any

from ..store import Record
from . import cards, codes, sales
from .wire import money_text, sys_time, timestamp, with_token


def _envelope(language_code: str) -> dict[str, Any]:
    return {"request_id": None, "sys_time": sys_time(sales.now()), "language_code": language_code}


def paytrek_error(code: str | None) -> dict[str, Any] | None:
    if code is None:
        return None
    return {
        "code": code,
        "message": codes.merchant_message(code),
        "customer_message": codes.customer_message(code),
    }


def transaction(entry: Record) -> dict[str, Any]:
    card = entry["card"]
    code = entry["error_code"]
    return {
        "type": entry["type"],
        "succeeded": entry["succeeded"],
        "error_message": codes.merchant_message(code) if code else "",
        "ref_id": "",
        "amount": money_text(entry["amount"]),
        "currency": entry["currency"],
        "is_secure": entry["is_secure"],
        "secure_status": None,
        "created_at": timestamp(entry["created_at"]),
        "bin_number": card["bin_number"],
        "card_number_last4": card["last4"],
        "card_type": "credit",
        "exchange_rate": None,
        "card_holder_name": card["holder"],
        "card_fee": "0.00",
        "card_fee_rate": "0.00",
        "fraud_risk": None,
        "paytrek_ref_id": entry["paytrek_ref_id"],
        "paytrek_error": paytrek_error(code),
    }


def sale(record: Record) -> dict[str, Any]:
    return {
        **_envelope(record["language_code"]),
        "transactions": [transaction(entry) for entry in record["transactions"]],
        "currency": record["currency"],
        "order_id": record["order_id"],
        "amount": money_text(record["amount"]),
        "installment": record["installment"],
        "sale_token": record["sale_token"],
        "expires_at": timestamp(record["expires_at"]),
        "secure_option": record["secure_option"],
        "half_secure": record["half_secure"],
        "pre_auth": record["pre_auth"],
        "return_url": record["return_url"],
        "customer_first_name": record["customer_first_name"],
        "customer_last_name": record["customer_last_name"],
        "customer_email": record["customer_email"],
        "customer_ip_address": record["customer_ip_address"],
        "billing_city": record["billing_city"],
        "billing_country": record["billing_country"],
        "billing_zipcode": record["billing_zipcode"],
        "billing_state": record["billing_state"],
        "billing_phone": record["billing_phone"],
        "sale_data": record["sale_data"],
        "items": [
            {
                "name": item["name"],
                "photo": item["photo"],
                "quantity": item["quantity"],
                "unit_price": money_text(item["unit_price"]),
            }
            for item in record["items"]
        ],
        "created_at": timestamp(record["created_at"]),
        "callback_url": None,  # never set: Paytrek documents no server-to-server callback (§4.7)
        "refunded_amount": money_text(record["refunded_amount"]),
        "status": sales.shown_status(record),
        "financial_status": record["financial_status"],
        "description": None,
        "is_locked": False,
        "hosted_payment": record["hosted_payment"],
        "billing_address": record["billing_address"],
        "billing_company": None,
    }


def charge(record: Record, card: Record, forward_url: str | None) -> dict[str, Any]:
    """The charge answer; with ``forward_url`` nothing is charged yet (``succeeded`` false, no
    error) and the customer must be sent there for the 3-D page (public-notes §4.5)."""
    bank = cards.bank_for_bin(card["bin_number"])
    last = record["transactions"][-1] if record["transactions"] and not forward_url else None
    code = last["error_code"] if last else None
    body: dict[str, Any] = {
        "exp_month": f"{card['exp_month']:02d}",
        "number": card["masked_number"],
        "sale_token": record["sale_token"],
        "exp_year": str(card["exp_year"]),
        "card_holder_name": card["holder"],
        "succeeded": bool(last and last["succeeded"]),
        "error_message": codes.merchant_message(code) if code else "",
        "issuer_bank_id": bank.issuer_id if bank else None,
        "secure_charge": forward_url is not None or bool(last and last["is_secure"]),
        "cvc": "***",
        "return_url": with_token(record["return_url"], record["sale_token"]),
    }
    if code:
        body["error_code"] = code
        body["customer_message"] = codes.customer_message(code)
    if forward_url:
        body["forward_url"] = forward_url
    return body


def vault_entry(entry: Record) -> dict[str, Any]:
    """Never the PAN: the BIN, the last four and what the issuer says."""
    card = entry["card"]
    bank = cards.bank_for_bin(card["bin_number"])
    return {
        **_envelope("tr"),
        "card_token": entry["card_token"],
        "created_at": timestamp(entry["created_at"]),
        "bin_number": card["bin_number"],
        "last4": card["last4"],
        "card_brand": card["brand"],
        "card_type": "credit",
        "card_user_id": entry["card_user_id"],
        "card_label": entry["card_label"],
        "card_issuer": bank.issuer_id if bank else None,
        "card_country": "TR" if bank else None,
    }
