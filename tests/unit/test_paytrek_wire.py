"""Paytrek's wire formats against the document's own examples (paytrek-api.txt, public-notes §4).

The fixtures below are copied verbatim from paytrek-api.txt; every test reads them the way the
client does (``decode_json``: numbers with a fraction as Decimal, never float).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests

from webapp.money import Money, MoneyError
from webapp.providers._json import decode_json, encode_json
from webapp.providers.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
)
from webapp.providers.paytrek import (
    AUTHORIZED_STATUSES,
    ERROR_CODES,
    SUCCESS_STATUSES,
    ChargeResult,
    InstallmentOption,
    PaytrekClient,
    Sale,
    SaleItem,
    SaleRequest,
    VaultCard,
    _error_mapper,
)
from webapp.providers.paytrek_wire import is_sale

# paytrek-api.txt "Satış Oluşturma", request body
SALE_REQUEST = """\
{
  "amount": 24.0,
  "order_id": "1467034250",
  "secure_option": false,
  "pre_auth": false,
  "billing_address": "123 Market St. San Francisco",
  "billing_city": "San Francisco",
  "billing_country": "US",
  "billing_state": "CA",
  "currency": "TRY",
  "customer_email": "johndoe@gmail.com",
  "customer_first_name": "John",
  "customer_ip_address": "212.57.9.204",
  "customer_last_name": "Doe",
  "installment": 1,
  "items": [{
    "unit_price": 12.0,
    "quantity": 2,
    "name": "product_name",
    "photo": "https://sandbox.paytrek.com/statics/images/testing.jpg"
  }],
  "sale_data": {"merchant_name": "Ted"}
}
"""

# paytrek-api.txt "Satış Oluşturma", response body (201)
SALE_CREATED = """\
{
    "request_id": null,
    "sys_time": 1521014319,
    "language_code": "en-us",
    "transactions": [],
    "currency": "TRY",
    "order_id": "1467034250",
    "amount": "24.00",
    "installment": 1,
    "sale_token": "c626f49193114e24ad0980752b749318",
    "expires_at": "2018-03-14T08:58:39.519205Z",
    "secure_option": true,
    "half_secure": null,
    "pre_auth": false,
    "return_url": null,
    "customer_first_name": "John",
    "customer_last_name": "Doe",
    "customer_email": "johndoe@gmail.com",
    "customer_ip_address": "212.57.9.204",
    "billing_city": "San Francisco",
    "billing_country": "US",
    "billing_zipcode": null,
    "billing_state": "CA",
    "billing_phone": null,
    "sale_data": {
        "merchant_name": "Ted"
    },
    "items": [
        {
            "name": "product_name",
            "photo": "https://sandbox.paytrek.com/statics/images/testing.jpg",
            "quantity": 2,
            "unit_price": "12.00"
        }
    ],
    "created_at": "2018-03-14T07:58:39.519707Z",
    "callback_url": null,
    "refunded_amount": "0.00",
    "status": "Created",
    "financial_status": null,
    "description": null,
    "is_locked": false,
    "hosted_payment": true,
    "billing_address": "123 Market St. San Francisco",
    "billing_company": null
}
"""

# paytrek-api.txt "Direkt Ödeme", response body: a whole sale, charged
DIRECT_CHARGE = """\
{
    "secure_option": true,
    "number": "450803******4509",
    "half_secure": null,
    "currency": "TRY",
    "customer_email": "johndoe@gmail.com",
    "language_code": "en-us",
    "billing_country": "US",
    "customer_ip_address": "212.57.9.204",
    "card_holder_name": "J********",
    "customer_last_name": "Doe",
    "billing_zipcode": null,
    "financial_status": "Ready to Send",
    "billing_phone": null,
    "issuer_bank_id": "isbank",
    "sale_data": {
        "merchant_name": "Ted"
    },
    "sys_time": 1521016061,
    "pre_auth": false,
    "billing_address": "123 Market St. San Francisco",
    "description": null,
    "transactions": [
        {
            "type": "Sale",
            "succeeded": true,
            "error_message": "",
            "ref_id": "",
            "amount": "24.00",
            "currency": "TRY",
            "is_secure": false,
            "secure_status": null,
            "created_at": "2018-03-14T08:27:40.467500Z",
            "bin_number": "450803",
            "card_number_last4": "4509",
            "card_type": "credit",
            "exchange_rate": null,
            "card_holder_name": "J********",
            "card_fee": "0.00",
            "card_fee_rate": "0.00",
            "fraud_risk": {
                "id": 46196,
                "request_id": null,
                "sys_time": 1521016061,
                "language_code": "en-us",
                "created_at": "2018-03-14T08:27:40.411031Z",
                "succeeded": true,
                "risk_score": "16.00",
                "decision": "ACCEPT",
                "reviewer_decision": null,
                "reviewer_comments": null,
                "bin_country": "TR",
                "bin_name": "visa",
                "ip_region": null,
                "ip_country": null,
                "ip_city": null,
                "ref_id": null,
                "error": null,
                "info_codes": null,
                "sale": 90810,
                "transaction": null
            },
            "paytrek_ref_id": "1mlHu6ljNGxC5CZY0nVs",
            "paytrek_error": null
        }
    ],
    "order_id": "1467034250",
    "succeeded": true,
    "expires_at": "2018-03-14T09:27:40.301574Z",
    "hosted_payment": false,
    "exp_month": "12",
    "sale_token": "92489820e4914f23b2db8039205cb64b",
    "exp_year": "2020",
    "secure_charge": false,
    "billing_city": "San Francisco",
    "installment": 1,
    "refunded_amount": "0.00",
    "is_locked": false,
    "items": [
        {
            "name": "product_name",
            "photo": "https://sandbox.paytrek.com/statics/images/testing.jpg",
            "quantity": 2,
            "unit_price": "12.00"
        }
    ],
    "created_at": "2018-03-14T08:27:40.302118Z",
    "error_message": "",
    "amount": "24.00",
    "status": "Paid",
    "return_url": "?token=92489820e4914f23b2db8039205cb64b",
    "billing_company": null,
    "request_id": null,
    "customer_first_name": "John",
    "callback_url": null,
    "cvc": "***",
    "billing_state": "CA"
}
"""

# paytrek-api.txt "Kart Saklama ile Ödeme", response body: a short receipt
CHARGE_WITH_TOKEN = """\
{
    "exp_month": "12",
    "number": "450803******4509",
    "payment_product": null,
    "sale_token": "5f20ca43d47244509949eb32c80e522a",
    "exp_year": "2020",
    "sale_risk": null,
    "card_holder_name": "J********",
    "dcc_currency": null,
    "succeeded": true,
    "error_message": null,
    "issuer_bank_id": "isbank",
    "secure_charge": false,
    "cvc": "***",
    "return_url": "?token=5f20ca43d47244509949eb32c80e522a"
}
"""

# paytrek-api.txt "Saklanan Kartı Görüntüleme", response body
VAULT_CARD = """\
{
    "request_id": null,
    "sys_time": 1521015364,
    "language_code": "tr",
    "card_token": "2b54e2f7-58ad-40e3-9a71-f3bc9333c406",
    "created_at": "2018-03-14T08:16:04.001969Z",
    "bin_number": "450803",
    "last4": "4509",
    "card_brand": "visa",
    "card_type": "credit",
    "card_user_id": "b561169d7a2d467f885a7aedf7b10cf3",
    "card_label": "Ted",
    "card_issuer": "isbank",
    "card_country": "TR"
}
"""

# paytrek-api.txt "Capture", response body
CAPTURE = """\
{
    "sale_token": "a16a810b503c4a91bb5c3d883617530a",
    "amount": "24.72",
    "sale_amount": "24.72",
    "sale_id": 97510,
    "succeeded": true
}
"""

# paytrek-api.txt "İptal", response body
CANCEL = """\
{
    "sale_token": "a16a810b503c4a91bb5c3d883617530a",
    "amount": 24,
    "sale_amount": 24.72,
    "succeeded": true
}
"""

# paytrek-api.txt "İade", the refund answer (printed under "Response Headers")
REFUND = """\
{
    "total_refunded_amount": 9.7,
    "succeeded": true,
    "sale_token": "b39887704acb480e81ab8611ae256719",
    "sale_amount": 50,
    "sale_id": 89890,
    "amount": 9.7
}
"""

# paytrek-api.txt "Taksitler", response body
INSTALLMENTS = """\
{
     "sys_time": 1520321002,
     "language_code": "en-us",
     "bin_number": "510118",
     "amount": "123.00",
     "banks": [
         {
             "card_brand": "mastercard",
             "card_type": "credit",
             "card_issuer": "denizbank",
             "card_country": "TR",
             "loyalty": "bonus",
             "is_commercial": false,
             "installments": [
                 {
                     "number": 1,
                     "commission": "9.92",
                     "instalment_amounts": "132.92",
                     "total_amount": "132.92",
                     "total_amount_wo_commission": "113.08"
                 },
                 {
                     "number": 2,
                     "commission": "9.92",
                     "instalment_amounts": "66.46",
                     "total_amount": "132.92",
                     "total_amount_wo_commission": "113.08"
                 },
                 {
                     "number": 3,
                     "commission": "9.92",
                     "instalment_amounts": "44.31",
                     "total_amount": "132.92",
                     "total_amount_wo_commission": "113.08"
                 },
                 {
                     "number": 4,
                     "commission": "5.46",
                     "instalment_amounts": "32.12",
                     "total_amount": "128.46",
                     "total_amount_wo_commission": "117.54"
                 },
                 {
                     "number": 5,
                     "commission": "5.46",
                     "instalment_amounts": "25.69",
                     "total_amount": "128.46",
                     "total_amount_wo_commission": "117.54"
                 },
                 {
                     "number": 6,
                     "commission": "5.46",
                     "instalment_amounts": "21.41",
                     "total_amount": "128.46",
                     "total_amount_wo_commission": "117.54"
                 }
             ]
         }
     ]
 }
"""


# The "Hata Kodları" table, in the document's order: 48 codes.
DOCUMENTED_CODES = [
    "30001", "10004", "10006", "30003", "10009", "10020", "10023", "10026",
    "10029", "30009", "30011", "10033", "30013", "10038", "30015", "30016",
    "20015", "20017", "30033", "30037", "30041", "30050", "30053", "30090",
    "10046", "30119", "30120", "10049", "99999", "10050", "40000", "40004",
    "40005", "40006", "40007", "10001", "10003", "30002", "10010", "30005",
    "10016", "10032", "30118", "30128", "UNKNOWN_ERROR", "9000", "9001", "40002",
]  # fmt: skip

# The sale parameter table ("Satış Oluşturma"), without hosted_payment_url (a URL Paytrek would
# return; we build it ourselves), plus cancel_url and language_code from Paytrek's own examples.
DOCUMENTED_SALE_FIELDS = {
    "currency", "order_id", "amount", "customer_first_name", "customer_last_name",
    "customer_email", "customer_ip_address", "billing_address", "billing_city", "billing_state",
    "billing_country", "billing_zipcode", "billing_phone", "items", "return_url",
    "hosted_payment", "installment", "secure_option", "half_secure", "pre_auth", "sale_data",
    "cancel_url", "language_code",
}  # fmt: skip


def doc(example: str) -> Any:
    return decode_json(example.encode())


def tl(text: str) -> Money:
    return Money(Decimal(text), "TRY")


def full_request(**changes: Any) -> SaleRequest:
    fields: dict[str, Any] = {
        "order_id": "1467034250",
        "amount": tl("1500"),
        "customer_first_name": "Ayşe",
        "customer_last_name": "Yılmaz",
        "customer_email": "ayse@example.com",
        "customer_ip_address": "212.57.9.204",
        "billing_address": "Bağdat Cd. 1",
        "billing_city": "İstanbul",
        "billing_country": "TR",
        "items": (SaleItem("Çay bardağı", 2, tl("750"), photo="https://shop.example/cay.jpg"),),
        "return_url": "https://shop.example/checkout/return",
        "cancel_url": "https://shop.example/checkout/cancel",
        "billing_state": "34",
        "billing_zipcode": "34710",
        "billing_phone": "+905551112233",
        "hosted_payment": True,
        "secure_option": True,
        "half_secure": False,
        "pre_auth": True,
        "installment": 3,
        "language_code": "tr",
        "sale_data": {"merchant_name": "Ted"},
    }
    return SaleRequest(**{**fields, **changes})


def minimal_request(**changes: Any) -> SaleRequest:
    fields: dict[str, Any] = {
        "order_id": "ORDER-1",
        "amount": tl("24"),
        "customer_first_name": "John",
        "customer_last_name": "Doe",
        "customer_email": "johndoe@gmail.com",
        "customer_ip_address": "212.57.9.204",
        "billing_address": "123 Market St. San Francisco",
        "billing_city": "San Francisco",
        "billing_country": "US",
        "items": (SaleItem("product_name", 2, tl("12")),),
    }
    return SaleRequest(**{**fields, **changes})


def response(status: int, body: Any) -> requests.Response:
    """A received answer, as the HTTP layer hands it to the error mapper."""
    answer = requests.Response()
    answer.status_code = status
    answer._content = body if isinstance(body, bytes) else encode_json(body)
    return answer


# --- SaleRequest.to_wire --------------------------------------------------------------------


def test_a_full_sale_request_uses_exactly_the_documented_field_names() -> None:
    body = full_request().to_wire()

    assert set(body) == DOCUMENTED_SALE_FIELDS
    assert set(body["items"][0]) == {"name", "quantity", "unit_price", "photo"}


def test_the_documented_request_example_has_no_field_we_do_not_write() -> None:
    assert set(doc(SALE_REQUEST)) <= set(full_request().to_wire())
    assert set(doc(SALE_REQUEST)["items"][0]) == set(full_request().to_wire()["items"][0])


def test_amounts_are_json_numbers_with_two_decimals() -> None:
    wire = encode_json(full_request().to_wire())

    assert b'"amount":1500.00' in wire
    assert b'"unit_price":750.00' in wire
    assert b'"currency":"TRY"' in wire


def test_amounts_are_written_from_decimal_never_float() -> None:
    body = minimal_request(amount=tl("24.5"), items=(SaleItem("x", 1, tl("24.5")),)).to_wire()

    assert body["amount"] == Decimal("24.50") and type(body["amount"]) is Decimal
    assert type(body["items"][0]["unit_price"]) is Decimal
    assert b'"amount":24.50' in encode_json(body)


def test_installment_is_sent_even_for_a_single_payment() -> None:
    body = minimal_request().to_wire()

    assert body["installment"] == 1
    assert b'"installment":1' in encode_json(body)


def test_optional_text_is_left_out_and_flags_are_always_explicit() -> None:
    body = minimal_request().to_wire()

    assert body == {
        "order_id": "ORDER-1",
        "amount": Decimal("24.00"),
        "currency": "TRY",
        "installment": 1,
        "customer_first_name": "John",
        "customer_last_name": "Doe",
        "customer_email": "johndoe@gmail.com",
        "customer_ip_address": "212.57.9.204",
        "billing_address": "123 Market St. San Francisco",
        "billing_city": "San Francisco",
        "billing_country": "US",
        "items": [{"name": "product_name", "quantity": 2, "unit_price": Decimal("12.00")}],
        "hosted_payment": False,
        "secure_option": False,
        "half_secure": False,
        "pre_auth": False,
    }


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"installment": 0}, ValueError),
        ({"installment": True}, TypeError),
        ({"billing_country": "TUR"}, ValueError),
        ({"items": (SaleItem("x", 1, Money(Decimal(24), "USD")),)}, MoneyError),
        ({"items": (SaleItem("x", 0, tl("24")),)}, ValueError),
    ],
)
def test_a_sale_request_paytrek_would_refuse_is_refused_here(
    changes: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        minimal_request(**changes)


def test_a_zero_amount_never_reaches_the_wire() -> None:
    with pytest.raises(MoneyError):
        minimal_request(amount=tl("0")).to_wire()


# --- Sale.from_wire -------------------------------------------------------------------------


def test_the_documented_created_sale_is_read() -> None:
    sale = Sale.from_wire(doc(SALE_CREATED))

    assert sale.token == "c626f49193114e24ad0980752b749318"
    assert sale.order_id == "1467034250"
    assert sale.amount == tl("24.00")
    assert sale.currency == "TRY"
    assert sale.status == "Created"
    assert sale.financial_status is None
    assert sale.refunded_amount == tl("0")
    assert sale.expires_at == datetime(2018, 3, 14, 8, 58, 39, 519205, tzinfo=UTC)
    assert sale.transactions == ()
    assert not sale.is_success
    assert not sale.is_authorized_only
    assert sale.last_failure is None
    assert sale.raw["sale_data"] == {"merchant_name": "Ted"}


def test_the_documented_charged_sale_is_a_success_with_its_transaction() -> None:
    sale = Sale.from_wire(doc(DIRECT_CHARGE))

    assert sale.status == "Paid" and sale.is_success
    assert sale.financial_status == "Ready to Send"
    (transaction,) = sale.transactions
    assert transaction.succeeded
    assert transaction.kind == "Sale"
    assert transaction.amount == tl("24.00")
    assert transaction.error_code is None
    assert sale.last_failure is None


def test_a_declined_transaction_carries_the_code_and_both_messages() -> None:
    data = doc(DIRECT_CHARGE)
    data["status"] = "Declined"
    data["transactions"][0].update(
        succeeded=False,
        error_message="Insufficient Limit",
        paytrek_error={"code": "10020", "message": "Insufficient Limit"},
    )

    failure = Sale.from_wire(data).last_failure

    assert failure is not None and not failure.succeeded
    assert failure.error_code == "10020"
    assert failure.merchant_message == "Insufficient Limit"
    assert failure.customer_message == ERROR_CODES["10020"].customer_message


def test_a_sale_with_only_the_required_fields_is_read() -> None:
    sale = Sale.from_wire(
        {"sale_token": "t1", "order_id": "o1", "currency": "TRY", "amount": 24, "status": "Paid"}
    )

    assert sale.amount == tl("24.00")
    assert sale.refunded_amount == tl("0")
    assert sale.expires_at is None
    assert sale.financial_status is None
    assert sale.transactions == ()


def test_a_date_without_offset_is_read_as_utc() -> None:
    data = {**doc(SALE_CREATED), "expires_at": "2018-03-14T08:58:39"}

    assert Sale.from_wire(data).expires_at == datetime(2018, 3, 14, 8, 58, 39, tzinfo=UTC)


@pytest.mark.parametrize(
    "changes",
    [
        {"currency": None},
        {"amount": "24,00"},
        {"amount": "-1.00"},
        {"currency": "GBP"},
        {"expires_at": "yarın"},
        {"transactions": {"type": "Sale"}},
        {"status": ["Paid"]},
    ],
)
def test_an_unreadable_sale_raises_provider_error(changes: dict[str, Any]) -> None:
    with pytest.raises(ProviderError, match="unexpected response"):
        Sale.from_wire({**doc(SALE_CREATED), **changes})


def test_success_statuses_are_the_documented_four() -> None:
    assert {"Paid", "Ready to Send", "Authorized", "PreAuthorized"} == SUCCESS_STATUSES
    assert AUTHORIZED_STATUSES < SUCCESS_STATUSES
    sale = Sale.from_wire({**doc(SALE_CREATED), "status": "PreAuthorized"})
    assert sale.is_success and sale.is_authorized_only


# --- charge, vault, installments, receipts --------------------------------------------------


def test_the_documented_charge_with_token_receipt_is_a_success_without_a_sale() -> None:
    result = ChargeResult.from_wire(doc(CHARGE_WITH_TOKEN))

    assert result.succeeded
    assert result.sale is None
    assert result.forward_url is None and not result.needs_3d_secure
    assert result.failure is None


def test_a_charged_sale_comes_back_whole() -> None:
    result = ChargeResult.from_wire(doc(DIRECT_CHARGE))

    assert result.succeeded
    assert result.sale is not None and result.sale.is_success


def test_a_declined_charge_is_a_result_not_an_exception() -> None:
    data = {**doc(CHARGE_WITH_TOKEN), "succeeded": False, "error_code": "10033"}
    data["error_message"] = "Wrong / Invalid Cvv"

    result = ChargeResult.from_wire(data)

    assert not result.succeeded
    assert result.failure is not None
    assert result.failure.error_code == "10033"
    assert result.failure.customer_message == (
        "Transaction has been denied, please check your card information."
    )


def test_a_3d_secure_charge_gives_the_forward_url() -> None:
    # No documented example has forward_url (public-notes §4.5 [NF]): the receipt plus the field.
    url = "https://sandbox.paytrek.com/3d/forward/abc/"
    result = ChargeResult.from_wire({**doc(CHARGE_WITH_TOKEN), "forward_url": url})

    assert result.needs_3d_secure and result.forward_url == url
    assert result.failure is None


def test_a_forward_url_that_is_not_a_web_address_is_refused() -> None:
    data = {**doc(CHARGE_WITH_TOKEN), "forward_url": "javascript:alert(1)"}

    with pytest.raises(ProviderError, match="forward_url"):
        ChargeResult.from_wire(data)


def test_the_documented_vault_card_is_read() -> None:
    card = VaultCard.from_wire(doc(VAULT_CARD))

    assert card.card_token == "2b54e2f7-58ad-40e3-9a71-f3bc9333c406"
    assert card.bin_number == "450803"
    assert card.masked_number == "450803******4509"
    assert card.raw["card_issuer"] == "isbank"


def test_the_documented_installment_plans_are_read() -> None:
    options = InstallmentOption.list_from_wire(doc(INSTALLMENTS), "TRY")

    assert [option.count for option in options] == [1, 2, 3, 4, 5, 6]
    assert options[0].total == tl("132.92") and options[0].monthly == tl("132.92")
    assert options[2].total == tl("132.92") and options[2].monthly == tl("44.31")
    assert options[5].total == tl("128.46") and options[5].monthly == tl("21.41")
    assert options[3].raw["commission"] == "5.46"


@pytest.mark.parametrize("example", [CAPTURE, CANCEL, REFUND])
def test_the_documented_operation_receipts_are_not_sale_objects(example: str) -> None:
    # They carry no currency, order_id or status: capture/cancel/refund answer None for them.
    data = doc(example)
    assert data["succeeded"] is True
    assert not is_sale(data)


# --- errors ---------------------------------------------------------------------------------


def test_every_documented_error_code_is_in_the_table() -> None:
    assert len(DOCUMENTED_CODES) == 48
    assert list(ERROR_CODES) == DOCUMENTED_CODES
    for code in ("10020", "10033", "10023", "10009", "40006", "99999", "UNKNOWN_ERROR"):
        assert ERROR_CODES[code].code == code


@pytest.mark.parametrize(
    ("code", "merchant", "customer"),
    [
        (
            "10020",
            "Insufficient Limit",
            "Transaction has been denied, please check your card limit.",
        ),
        (
            "10033",
            "Wrong / Invalid Cvv",
            "Transaction has been denied, please check your card information.",
        ),
        (
            "10023",
            "Card has Expired",
            "Transaction has been denied, please check your card information.",
        ),
        (
            "10009",
            "Invalid Account / Card Number",
            "Your transaction has been terminated, please check your card information.",
        ),
        (
            "40006",
            "Authentication Failure",
            "We cannot proceed with your transaction, unable to perform 3D Secure Authentication.",
        ),
        ("99999", "Card Declined", "Card Declined"),
        (
            "UNKNOWN_ERROR",
            "Unknown Error",
            "An unexpected error has occurred, please try again later",
        ),
        (
            "30120",
            "Order Number is in Use",
            "We cannot complete your transaction at the moment, please contact the the seller.",
        ),
        (
            "10004",
            "Transaction has been denied / General Rejection",
            "Transaction has been denied, please contact your bank",
        ),
        ("30015", "Double Transaction Transfer", None),
        ("30016", "Daily Count Error/ Cancellation has been rejected", None),
        ("30090", "Invalid Repeating Payment Duration", None),
        ("30005", "Cancellation could not be completed / The original could not be found", None),
    ],
)
def test_error_messages_are_the_documents_verbatim(
    code: str, merchant: str, customer: str | None
) -> None:
    assert ERROR_CODES[code].merchant_message == merchant
    assert ERROR_CODES[code].customer_message == customer


def test_a_coded_rejection_carries_both_messages() -> None:
    body = {"error_code": "30120", "error_message": "Order Number is in Use"}

    error = _error_mapper(response(400, body))

    assert isinstance(error, ProviderRejected)
    assert (error.http_status, error.code) == (400, "30120")
    assert error.merchant_message == "Order Number is in Use"
    assert error.customer_message == ERROR_CODES["30120"].customer_message


def test_a_numeric_error_code_is_read_as_text() -> None:
    error = _error_mapper(response(400, {"error_code": 10020, "error_message": "Limit"}))

    assert error.code == "10020"
    assert error.customer_message == ERROR_CODES["10020"].customer_message


def test_field_errors_make_the_merchant_message() -> None:
    body = {"amount": ["Bu alan zorunludur."], "items": ["Geçersiz."]}

    error = _error_mapper(response(400, body))

    assert isinstance(error, ProviderRejected)
    assert error.merchant_message == "amount: Bu alan zorunludur.; items: Geçersiz."


def test_nested_field_errors_are_added_to_the_coded_message() -> None:
    body = {
        "error_code": "30009",
        "error_message": "Incompatible data received",
        "errors": {"customer_email": ["Enter a valid email address."]},
    }

    error = _error_mapper(response(400, body))

    assert error.code == "30009"
    assert error.merchant_message == (
        "Incompatible data received (customer_email: Enter a valid email address.)"
    )
    assert error.customer_message == ERROR_CODES["30009"].customer_message


def test_a_failed_transaction_in_an_error_body_gives_its_code() -> None:
    data = doc(DIRECT_CHARGE)
    data["transactions"][0].update(succeeded=False, paytrek_error={"code": "40006"})

    error = _error_mapper(response(402, data))

    assert error.code == "40006"
    assert error.merchant_message == "Authentication Failure"


@pytest.mark.parametrize(
    ("status", "kind"),
    [(401, ProviderAuthError), (403, ProviderAuthError), (500, ProviderUnavailable)],
)
def test_the_status_picks_the_class(status: int, kind: type[ProviderError]) -> None:
    error = _error_mapper(response(status, {"detail": "Invalid username/password."}))

    assert type(error) is kind
    assert error.merchant_message == "Invalid username/password."


def test_an_html_error_page_still_maps() -> None:
    error = _error_mapper(response(502, b"<html>Bad Gateway</html>"))

    assert isinstance(error, ProviderUnavailable) and error.code is None


# --- hosted page ----------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["https://sandbox.paytrek.com", "https://sandbox.paytrek.com/"])
def test_the_hosted_page_url_carries_the_token(host: str) -> None:
    url = PaytrekClient.hosted_payment_url(host, "c626f49193114e24ad0980752b749318")

    assert url == "https://sandbox.paytrek.com/?token=c626f49193114e24ad0980752b749318"


def test_the_hosted_page_token_is_url_encoded() -> None:
    url = PaytrekClient.hosted_payment_url("https://secure.paytrek.com", "a b&c=d/é")

    assert url == "https://secure.paytrek.com/?token=a+b%26c%3Dd%2F%C3%A9"
