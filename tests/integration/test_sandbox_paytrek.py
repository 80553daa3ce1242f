"""Paytrek simulated to the letter of paytrek-api.txt and public-notes §4, over real HTTP."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from tests.support.live_server import CallbackRecorder
from tests.support.sandbox import TIMEOUT, PaytrekCaller, SandboxControl
from webapp.sandbox.paytrek.cards import TEST_CARDS

DOCUMENT_CARDS = ["4508034508034509", "4506347043358536", "4355084355084358", "5456165456165454"]
ERROR_CARDS = [(card.number, card.error_code) for card in TEST_CARDS if card.error_code]
SALE_KEYS = [
    "request_id", "sys_time", "language_code", "transactions", "currency", "order_id", "amount",
    "installment", "sale_token", "expires_at", "secure_option", "half_secure", "pre_auth",
    "return_url", "customer_first_name", "customer_last_name", "customer_email",
    "customer_ip_address", "billing_city", "billing_country", "billing_zipcode", "billing_state",
    "billing_phone", "sale_data", "items", "created_at", "callback_url", "refunded_amount",
    "status", "financial_status", "description", "is_locked", "hosted_payment",
    "billing_address", "billing_company",
]  # fmt: skip
CHARGE_KEYS = [
    "exp_month", "number", "sale_token", "exp_year", "card_holder_name", "succeeded",
    "error_message", "issuer_bank_id", "secure_charge", "cvc", "return_url",
]  # fmt: skip


@pytest.fixture
def paytrek(sandbox: SandboxControl) -> PaytrekCaller:
    return PaytrekCaller(sandbox)


def body(response: requests.Response) -> Any:
    """The JSON answer with fractions as Decimal: no float in these tests."""
    return json.loads(response.content, parse_float=Decimal)


def refused(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    answer = body(response)
    assert answer["error_code"] == code
    return answer


def iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in reversed(number)]
    doubled = [d * 2 - 9 if d > 4 else d * 2 for d in digits[1::2]]
    return (sum(digits[::2]) + sum(doubled)) % 10 == 0


def labelled_inputs(html: str) -> dict[str, str]:
    """Label text -> the id of the input it labels (the form's field names equal their ids)."""
    return dict(
        (text, for_id) for for_id, text in re.findall(r'<label for="(\w+)">([^<]+)</label>', html)
    )


def link(html: str, text: str) -> str:
    match = re.search(rf'<a href="([^"]+)">{text}</a>', html)
    assert match, f"no link named {text}"
    return match[1]


def token_of(request_query: str) -> str:
    return parse_qs(request_query)["token"][0]


# --- Authentication, headers, envelope --------------------------------------------------------


@pytest.mark.parametrize("auth", [None, ("test-paytrek-api-key", "wrong"), ("wrong", "wrong")])
def test_bad_or_missing_credentials_answer_401_in_paytreks_envelope(
    paytrek: PaytrekCaller, auth: tuple[str, str] | None
) -> None:
    response = paytrek.call("GET", "/api/v2/sale/", auth=auth)

    assert refused(response, 401, "30013") == {
        "error_code": "30013",
        "error_message": "Authentication Error",
    }
    assert response.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/v2/sale/"), ("GET", "/api/v2/sale/"), ("GET", "/api/v2/installments/")],
)
def test_every_call_needs_content_type_json_get_included(
    paytrek: PaytrekCaller, method: str, path: str
) -> None:
    response = paytrek.call(method, path, body=PaytrekCaller.SALE, headers={})

    answer = refused(response, 415, "30009")
    assert answer["error_message"] == "Incompatible data received"
    assert "content_type" in answer["errors"]


def test_unreadable_json_is_refused(paytrek: PaytrekCaller) -> None:
    response = paytrek.call("POST", "/api/v2/sale/", b"{not json")

    assert "non_field_errors" in refused(response, 400, "30009")["errors"]


def test_a_fault_switch_fails_the_next_call_then_lets_calls_through(
    sandbox: SandboxControl, paytrek: PaytrekCaller
) -> None:
    sandbox.fault("paytrek", "POST /api/v2/sale/", status=500, count=1)

    assert paytrek.create_sale().status_code == 500
    assert paytrek.create_sale().status_code == 201


# --- Sale -------------------------------------------------------------------------------------


def test_sale_is_created_201_as_the_document_shows_it(paytrek: PaytrekCaller) -> None:
    response = paytrek.create_sale(order_id="1467034250")

    assert response.status_code == 201
    sale = body(response)
    assert list(sale) == SALE_KEYS
    assert sale["status"] == "Created"
    assert sale["financial_status"] is None
    assert sale["transactions"] == []
    assert sale["amount"] == "24.00"
    assert sale["refunded_amount"] == "0.00"
    assert sale["items"] == [
        {"name": "product_name", "photo": None, "quantity": 2, "unit_price": "12.00"}
    ]
    assert sale["callback_url"] is None
    assert sale["is_locked"] is False
    assert sale["hosted_payment"] is True
    assert re.fullmatch(r"[0-9a-f]{32}", sale["sale_token"])
    assert iso(sale["expires_at"]) - iso(sale["created_at"]) == timedelta(hours=1)


def test_sale_amount_may_be_a_json_number_and_comes_back_with_two_decimals(
    paytrek: PaytrekCaller,
) -> None:
    response = paytrek.create_sale(amount=Decimal("24.5"))

    assert '"amount": "24.50"' in response.text


def test_sale_is_read_back_alone_and_in_the_list(paytrek: PaytrekCaller) -> None:
    first, second = paytrek.sale_token(), paytrek.sale_token()

    assert body(paytrek.sale(first))["sale_token"] == first
    listing = body(paytrek.call("GET", "/api/v2/sale/"))
    assert listing["count"] == 2
    assert [sale["sale_token"] for sale in listing["results"]] == [first, second]


def test_unknown_sale_token_answers_404(paytrek: PaytrekCaller) -> None:
    answer = refused(paytrek.sale("0" * 32), 404, "30002")

    assert answer["errors"] == {"sale_token": ["Not found."]}


def test_reused_order_id_answers_30120(paytrek: PaytrekCaller) -> None:
    paytrek.sale_token(order_id="ORDER-1")

    answer = refused(paytrek.create_sale(order_id="ORDER-1"), 400, "30120")

    assert answer["error_message"] == "Order Number is in Use"


SALE_ERRORS = [
    ({"currency": "GBP"}, "currency", '"GBP" is not a valid choice.'),
    ({"amount": "0"}, "amount", "Ensure this value is greater than 0."),
    ({"amount": "10.001"}, "amount", "Ensure that there are no more than 2 decimal places."),
    ({"amount": "abc"}, "amount", "A valid number is required."),
    ({"customer_email": "not-an-email"}, "customer_email", "Enter a valid email address."),
    (
        {"customer_ip_address": "999.1.1.1"},
        "customer_ip_address",
        "Enter a valid IPv4 or IPv6 address.",
    ),
    (
        {"billing_country": "USA"},
        "billing_country",
        "Ensure this field has no more than 2 characters.",
    ),
    ({"billing_country": "us"}, "billing_country", "Enter a 2-letter ISO 3166 country code."),
    ({"customer_first_name": ""}, "customer_first_name", "This field may not be blank."),
    ({"items": "x"}, "items", 'Expected a list of items but got type "str".'),
    ({"return_url": "ftp://example.com"}, "return_url", "Enter a valid URL."),
    ({"secure_option": "maybe"}, "secure_option", "Must be a valid boolean."),
    ({"installment": 13}, "installment", "Ensure this value is between 1 and 12."),
]


@pytest.mark.parametrize(("change", "field", "message"), SALE_ERRORS)
def test_sale_rejects_each_invalid_field(
    paytrek: PaytrekCaller, change: dict, field: str, message: str
) -> None:
    answer = refused(paytrek.create_sale(**change), 400, "30009")

    assert answer["errors"] == {field: [message]}


def test_sale_reports_every_missing_field_and_each_bad_item_at_once(paytrek: PaytrekCaller) -> None:
    response = paytrek.call(
        "POST",
        "/api/v2/sale/",
        {"items": [{"name": "ok", "quantity": 1, "unit_price": 1}, {"quantity": 0}]},
    )

    errors = refused(response, 400, "30009")["errors"]
    required = ["currency", "order_id", "amount", "customer_first_name", "customer_last_name",
                "customer_email", "customer_ip_address", "billing_address", "billing_city",
                "billing_country"]  # fmt: skip
    assert {name: errors[name] for name in required} == {
        name: ["This field is required."] for name in required
    }
    assert errors["items"] == [
        {},
        {
            "name": ["This field is required."],
            "quantity": ["Ensure this value is between 1 and 10000."],
            "unit_price": ["This field is required."],
        },
    ]


def test_an_unpaid_sale_shows_expired_after_one_hour_and_cannot_be_charged(
    sandbox: SandboxControl, paytrek: PaytrekCaller
) -> None:
    token = paytrek.sale_token()
    sandbox.advance(3599)
    assert body(paytrek.sale(token))["status"] == "Created"

    sandbox.advance(2)

    assert body(paytrek.sale(token))["status"] == "Expired"
    refused(paytrek.charge(token), 400, "30002")


# --- Charge and the test cards ----------------------------------------------------------------


def test_every_sandbox_card_is_luhn_valid() -> None:
    assert all(luhn_valid(card.number) for card in TEST_CARDS)


@pytest.mark.parametrize("number", DOCUMENT_CARDS)
def test_the_documents_cards_are_charged(paytrek: PaytrekCaller, number: str) -> None:
    token = paytrek.sale_token(return_url="https://shop.example/back")

    response = paytrek.charge(token, number=number, save_card=False)

    assert response.status_code == 200
    answer = body(response)
    assert list(answer) == CHARGE_KEYS
    assert answer["succeeded"] is True
    assert answer["error_message"] == ""
    assert answer["number"] == f"{number[:6]}******{number[-4:]}"
    assert answer["card_holder_name"] == "J********"
    assert answer["cvc"] == "***"
    assert (answer["exp_month"], answer["exp_year"]) == ("12", "2040")
    assert answer["return_url"] == f"https://shop.example/back?token={token}"
    sale = body(paytrek.sale(token))
    assert (sale["status"], sale["financial_status"]) == ("Paid", "Ready to Send")
    [transaction] = sale["transactions"]
    assert transaction["type"] == "Sale"
    assert transaction["succeeded"] is True
    assert transaction["paytrek_error"] is None
    assert (transaction["bin_number"], transaction["card_number_last4"]) == (
        number[:6],
        number[-4:],
    )


def test_a_charge_without_return_url_answers_the_bare_token_query(paytrek: PaytrekCaller) -> None:
    token = paytrek.sale_token()

    assert body(paytrek.charge(token))["return_url"] == f"?token={token}"


@pytest.mark.parametrize(("number", "code"), ERROR_CARDS)
def test_each_error_card_declines_with_its_documented_code(
    paytrek: PaytrekCaller, number: str, code: str
) -> None:
    token = paytrek.sale_token()

    response = paytrek.charge(token, number=number)

    assert response.status_code == 200
    answer = body(response)
    assert answer["succeeded"] is False
    assert answer["error_code"] == code
    assert answer["error_message"] not in ("", None)
    assert "card_token" not in answer  # a declined card is not vaulted
    sale = body(paytrek.sale(token))
    assert sale["status"] == "Declined"
    error = sale["transactions"][-1]["paytrek_error"]
    assert error["code"] == code
    assert (error["message"], error["customer_message"]) == (
        answer["error_message"],
        answer["customer_message"],
    )


def test_insufficient_limit_carries_the_tables_messages(paytrek: PaytrekCaller) -> None:
    answer = body(paytrek.charge(paytrek.sale_token(), number="4000000000100208"))

    assert answer["error_message"] == "Insufficient Limit"
    assert (
        answer["customer_message"] == "Transaction has been denied, please check your card limit."
    )


@pytest.mark.parametrize("number", ["5555555555554444", "4508034508034508"])
def test_a_number_the_sandbox_banks_do_not_know_answers_10009(
    paytrek: PaytrekCaller, number: str
) -> None:
    assert body(paytrek.charge(paytrek.sale_token(), number=number))["error_code"] == "10009"


def test_the_documents_own_past_expiry_answers_10023(paytrek: PaytrekCaller) -> None:
    answer = body(paytrek.charge(paytrek.sale_token(), expiration="12/20"))

    assert (answer["succeeded"], answer["error_code"]) == (False, "10023")


def test_a_card_expires_when_the_sandbox_clock_leaves_its_month(
    sandbox: SandboxControl, paytrek: PaytrekCaller
) -> None:
    today = iso(sandbox.now())
    this_month = f"{today.month:02d}/{today.year}"
    assert body(paytrek.charge(paytrek.sale_token(), expiration=this_month))["succeeded"] is True

    sandbox.advance(timedelta(days=32).total_seconds())

    answer = body(paytrek.charge(paytrek.sale_token(), expiration=this_month))
    assert answer["error_code"] == "10023"


def test_an_installment_the_cards_bank_does_not_offer_answers_30037(paytrek: PaytrekCaller) -> None:
    token = paytrek.sale_token(installment=3)
    assert body(paytrek.charge(token))["error_code"] == "30037"

    assert body(paytrek.charge(token, number="4355084355084358"))["succeeded"] is True


def test_a_declined_sale_may_be_charged_again_but_a_paid_one_not(paytrek: PaytrekCaller) -> None:
    token = paytrek.sale_token()
    paytrek.charge(token, number="4111111111111111")

    assert body(paytrek.charge(token))["succeeded"] is True
    assert len(body(paytrek.sale(token))["transactions"]) == 2
    refused(paytrek.charge(token), 400, "30002")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cvc": "12"}, "cvc"),
        ({"expiration": "13/2030"}, "expiration"),
        ({"number": "4508abc"}, "number"),
    ],
)
def test_charge_rejects_malformed_card_fields(
    paytrek: PaytrekCaller, change: dict, field: str
) -> None:
    errors = refused(paytrek.charge(paytrek.sale_token(), **change), 400, "30009")["errors"]

    assert list(errors) == [field]


def test_charge_saves_the_card_by_default_and_returns_its_token(paytrek: PaytrekCaller) -> None:
    card_token = body(paytrek.charge(paytrek.sale_token()))["card_token"]

    assert body(paytrek.call("GET", f"/api/v2/vault/{card_token}/"))["bin_number"] == "450803"


# --- Direct charge ----------------------------------------------------------------------------


def test_direct_charge_creates_and_charges_a_sale_in_one_call(paytrek: PaytrekCaller) -> None:
    response = paytrek.direct_charge()

    assert response.status_code == 200
    answer = body(response)
    assert answer["status"] == "Paid"
    assert answer["hosted_payment"] is False
    assert answer["succeeded"] is True
    assert answer["number"] == "450803******4509"
    assert answer["transactions"][0]["amount"] == "24.00"
    assert answer["return_url"] == f"?token={answer['sale_token']}"
    assert "card_token" not in answer  # save_card defaults to false here
    assert body(paytrek.sale(answer["sale_token"]))["status"] == "Paid"


def test_direct_charge_validates_sale_and_card_fields_together(paytrek: PaytrekCaller) -> None:
    response = paytrek.direct_charge(currency="XXX", cvc="1")

    assert set(refused(response, 400, "30009")["errors"]) == {"currency", "cvc"}


def test_direct_charge_with_a_declining_card_records_the_declined_sale(
    paytrek: PaytrekCaller,
) -> None:
    answer = body(paytrek.direct_charge(number="4000000000100331"))

    assert (answer["status"], answer["error_code"]) == ("Declined", "10033")


# --- Vault and charge with token --------------------------------------------------------------


def test_vault_stores_a_card_and_never_answers_its_full_number(paytrek: PaytrekCaller) -> None:
    response = paytrek.vault(card_label="Ted", card_user_id="10001")

    assert response.status_code == 200
    entry = body(response)
    assert list(entry) == [
        "request_id", "sys_time", "language_code", "card_token", "created_at", "bin_number",
        "last4", "card_brand", "card_type", "card_user_id", "card_label", "card_issuer",
        "card_country",
    ]  # fmt: skip
    assert (entry["bin_number"], entry["last4"], entry["card_brand"]) == ("450803", "4509", "visa")
    assert (entry["card_issuer"], entry["card_user_id"]) == ("isbank", "10001")
    read_back = paytrek.call("GET", f"/api/v2/vault/{entry['card_token']}/")
    listing = paytrek.call("GET", "/api/v2/vault/")
    for text in (response.text, read_back.text, listing.text):
        assert "4508034508034509" not in text
    assert body(read_back) | {"sys_time": 0} == entry | {"sys_time": 0}


def test_vault_lists_by_user_and_label(paytrek: PaytrekCaller) -> None:
    mine = body(paytrek.vault(card_user_id="u1", card_label="work"))["card_token"]
    paytrek.vault(card_user_id="u2")

    listing = body(paytrek.call("GET", "/api/v2/vault/", params={"card_user_id": "u1"}))

    assert (listing["count"], listing["next"], listing["previous"]) == (1, None, None)
    assert listing["results"][0]["card_token"] == mine


def test_vault_delete_answers_204_and_the_card_is_gone(paytrek: PaytrekCaller) -> None:
    card_token = body(paytrek.vault())["card_token"]

    response = paytrek.call("DELETE", f"/api/v2/vault/{card_token}/")

    assert (response.status_code, response.content) == (204, b"")
    refused(paytrek.call("GET", f"/api/v2/vault/{card_token}/"), 404, "30002")
    assert body(paytrek.call("GET", "/api/v2/vault/"))["count"] == 0


def test_vault_requires_the_card_holder_name(paytrek: PaytrekCaller) -> None:
    response = paytrek.call(
        "POST", "/api/v2/vault/", {**PaytrekCaller.CARD, "card_holder_name": None}
    )

    assert refused(response, 400, "30009")["errors"] == {
        "card_holder_name": ["This field is required."]
    }


def test_charge_with_token_charges_the_vaulted_card(paytrek: PaytrekCaller) -> None:
    card_token = body(paytrek.vault())["card_token"]
    token = paytrek.sale_token()

    answer = body(paytrek.charge_with_token(token, card_token))

    assert (answer["succeeded"], answer["issuer_bank_id"], answer["number"]) == (
        True,
        "isbank",
        "450803******4509",
    )
    assert body(paytrek.sale(token))["status"] == "Paid"


def test_charge_with_an_unknown_card_token_answers_404(paytrek: PaytrekCaller) -> None:
    answer = refused(paytrek.charge_with_token(paytrek.sale_token(), "no-such-card"), 404, "30002")

    assert answer["errors"] == {"card_token": ["Not found."]}


# --- 3-D Secure through forward_url -----------------------------------------------------------


def _forwarded(paytrek: PaytrekCaller, recorder: CallbackRecorder, number: str) -> tuple[str, str]:
    """A secure_option sale charged with a vaulted card: ``(sale_token, forward_url)``."""
    token = paytrek.sale_token(secure_option=True, return_url=recorder.url_for("/back?order=42"))
    card_token = body(paytrek.vault(number=number))["card_token"]
    answer = body(paytrek.charge_with_token(token, card_token))
    assert (answer["succeeded"], answer["secure_charge"]) == (False, True)
    assert "error_code" not in answer
    assert body(paytrek.sale(token))["status"] == "Created"  # nothing charged before the 3-D page
    return token, answer["forward_url"]


def _three_d_password(forward_url: str, password: str) -> requests.Response:
    page = requests.get(forward_url, timeout=TIMEOUT)
    assert page.status_code == 200
    field = labelled_inputs(page.text)["3D Secure şifresi"]
    return requests.post(forward_url, data={field: password}, timeout=TIMEOUT)


def _returned_token(recorder: CallbackRecorder) -> str:
    [arrival] = recorder.wait_for(1)
    assert arrival.path == "/back"
    assert parse_qs(arrival.query)["order"] == ["42"]
    return token_of(arrival.query)


@pytest.mark.parametrize("number", ["4355084355084358", "4508034508034509"])
def test_3d_with_the_right_password_pays_and_returns_the_customer(
    paytrek: PaytrekCaller, callback_recorder: CallbackRecorder, number: str
) -> None:
    token, forward_url = _forwarded(paytrek, callback_recorder, number)

    response = _three_d_password(forward_url, "a")

    assert response.status_code == 200  # the recorder, at the end of the redirects
    assert _returned_token(callback_recorder) == token
    sale = body(paytrek.sale(token))
    assert sale["status"] == "Paid"
    assert sale["transactions"][-1]["is_secure"] is True


def test_3d_with_a_wrong_password_declines_40006(
    paytrek: PaytrekCaller, callback_recorder: CallbackRecorder
) -> None:
    token, forward_url = _forwarded(paytrek, callback_recorder, "5456165456165454")

    _three_d_password(forward_url, "wrong")

    assert _returned_token(callback_recorder) == token
    sale = body(paytrek.sale(token))
    assert sale["status"] == "Declined"
    error = sale["transactions"][-1]["paytrek_error"]
    assert (error["code"], error["message"]) == ("40006", "Authentication Failure")


def test_3d_card_that_fails_authentication_fails_even_with_the_right_password(
    paytrek: PaytrekCaller, callback_recorder: CallbackRecorder
) -> None:
    token, forward_url = _forwarded(paytrek, callback_recorder, "4000000000400061")

    _three_d_password(forward_url, "a")

    assert body(paytrek.sale(token))["transactions"][-1]["paytrek_error"]["code"] == "40006"


def test_3d_abandoned_leaves_the_sale_unpaid_and_returns_the_customer(
    paytrek: PaytrekCaller, callback_recorder: CallbackRecorder
) -> None:
    token, forward_url = _forwarded(paytrek, callback_recorder, "4355084355084358")
    page = requests.get(forward_url, timeout=TIMEOUT)

    requests.get(urljoin(forward_url, link(page.text, "Vazgeç")), timeout=TIMEOUT)

    assert _returned_token(callback_recorder) == token
    sale = body(paytrek.sale(token))
    assert (sale["status"], sale["transactions"]) == ("Created", [])


def test_3d_page_answers_once(paytrek: PaytrekCaller, callback_recorder: CallbackRecorder) -> None:
    token, forward_url = _forwarded(paytrek, callback_recorder, "4355084355084358")
    _three_d_password(forward_url, "wrong")

    again = requests.post(forward_url, data={"password": "a"}, timeout=TIMEOUT)

    assert again.status_code == 200
    assert body(paytrek.sale(token))["status"] == "Declined"


def test_direct_charge_with_secure_option_answers_a_forward_url(paytrek: PaytrekCaller) -> None:
    answer = body(paytrek.direct_charge(secure_option=True))

    assert answer["forward_url"].startswith(f"{paytrek.base_url}/3ds/")
    assert answer["status"] == "Created"


# --- Capture, cancel, refund ------------------------------------------------------------------


def _paid(paytrek: PaytrekCaller, **sale: Any) -> str:
    token = paytrek.sale_token(**sale)
    assert body(paytrek.charge(token))["succeeded"] is True
    return token


def test_pre_auth_sale_is_preauthorized_then_captured(paytrek: PaytrekCaller) -> None:
    token = _paid(paytrek, pre_auth=True)
    assert body(paytrek.sale(token))["status"] == "PreAuthorized"

    response = paytrek.sale_action("capture", token, comments="testing")

    assert response.status_code == 200
    answer = body(response)
    assert answer == {
        "sale_token": token,
        "amount": "24.00",
        "sale_amount": "24.00",
        "sale_id": answer["sale_id"],
        "succeeded": True,
    }
    sale = body(paytrek.sale(token))
    assert (sale["status"], sale["financial_status"]) == ("Paid", "Ready to Send")
    assert [tx["type"] for tx in sale["transactions"]] == ["PreAuth", "Capture"]


def test_only_a_preauthorized_sale_can_be_captured(paytrek: PaytrekCaller) -> None:
    refused(paytrek.sale_action("capture", _paid(paytrek)), 400, "30002")
    refused(paytrek.sale_action("capture", paytrek.sale_token()), 400, "30002")


def test_a_preauthorization_cannot_be_cancelled_9000(paytrek: PaytrekCaller) -> None:
    answer = refused(paytrek.sale_action("cancel", _paid(paytrek, pre_auth=True)), 400, "9000")

    assert answer["error_message"] == "Preauth Transaction Cannot Void"


def test_cancel_takes_back_the_whole_sale_once(paytrek: PaytrekCaller) -> None:
    token = _paid(paytrek)

    response = paytrek.sale_action("cancel", token, comments="testing")

    assert response.status_code == 200
    assert '"amount": 24.00' in response.text  # a JSON number, as the document shows it
    assert body(response) == {
        "sale_token": token,
        "amount": Decimal("24.00"),
        "sale_amount": Decimal("24.00"),
        "succeeded": True,
    }
    sale = body(paytrek.sale(token))
    assert (sale["status"], sale["refunded_amount"]) == ("Cancelled", "24.00")
    refused(paytrek.sale_action("cancel", token), 400, "30005")


def test_an_unpaid_sale_has_nothing_to_cancel_or_refund(paytrek: PaytrekCaller) -> None:
    token = paytrek.sale_token()

    refused(paytrek.sale_action("cancel", token), 400, "30005")
    refused(paytrek.sale_action("refund", token), 400, "30005")


def test_partial_refunds_accumulate_until_nothing_remains(paytrek: PaytrekCaller) -> None:
    token = _paid(paytrek)

    first = paytrek.sale_action("refund", token, amount=Decimal("9.70"), comments="testing")

    assert first.status_code == 200
    assert body(first) == {
        "total_refunded_amount": Decimal("9.70"),
        "succeeded": True,
        "sale_token": token,
        "sale_amount": Decimal("24.00"),
        "sale_id": body(first)["sale_id"],
        "amount": Decimal("9.70"),
    }
    sale = body(paytrek.sale(token))
    assert (sale["status"], sale["refunded_amount"]) == ("Partially Refunded", "9.70")

    rest = body(paytrek.sale_action("refund", token))

    assert (rest["amount"], rest["total_refunded_amount"]) == (Decimal("14.30"), Decimal("24.00"))
    assert body(paytrek.sale(token))["status"] == "Refunded"


def test_refunding_more_than_remains_answers_30003(paytrek: PaytrekCaller) -> None:
    token = _paid(paytrek)
    paytrek.sale_action("refund", token, amount="20.00")

    answer = refused(paytrek.sale_action("refund", token, amount="4.01"), 400, "30003")

    assert answer["error_message"] == "Invalid Amount"
    assert body(paytrek.sale(token))["refunded_amount"] == "20.00"


def test_refund_amount_is_validated(paytrek: PaytrekCaller) -> None:
    answer = refused(paytrek.sale_action("refund", _paid(paytrek), amount="-1"), 400, "30009")

    assert answer["errors"] == {"amount": ["Ensure this value is greater than 0."]}


# --- Installments -----------------------------------------------------------------------------


def _installments(paytrek: PaytrekCaller, **params: str) -> requests.Response:
    return paytrek.call("GET", "/api/v2/installments/", params=params)


@pytest.mark.parametrize(
    ("bin_number", "issuer", "numbers"),
    [
        ("435508", "akbank", [1, 3, 6]),
        ("545616", "finansbank", [1, 3, 6]),
        ("450803", "isbank", [1]),
        ("510118", None, [1]),
    ],
)
def test_installments_by_bin(
    paytrek: PaytrekCaller, bin_number: str, issuer: str | None, numbers: list[int]
) -> None:
    answer = body(_installments(paytrek, bin_number=bin_number, amount="123.00"))

    assert (answer["bin_number"], answer["amount"]) == (bin_number, "123.00")
    [bank] = answer["banks"]
    assert bank["card_issuer"] == issuer
    assert [option["number"] for option in bank["installments"]] == numbers


def test_installment_amounts_add_up_as_in_the_documents_example(paytrek: PaytrekCaller) -> None:
    answer = body(_installments(paytrek, bin_number="435508", amount="123.00"))

    for option in answer["banks"][0]["installments"]:
        amount, commission = Decimal("123.00"), Decimal(option["commission"])
        assert Decimal(option["total_amount"]) == amount + commission
        assert Decimal(option["total_amount_wo_commission"]) == amount - commission
        each = Decimal(option["instalment_amounts"])
        assert abs(each * option["number"] - Decimal(option["total_amount"])) < Decimal("0.05")


def test_installments_without_bin_list_every_sandbox_bank(paytrek: PaytrekCaller) -> None:
    banks = body(_installments(paytrek, amount="100"))["banks"]

    assert [bank["card_issuer"] for bank in banks] == [
        "isbank",
        "ykb",
        "akbank",
        "finansbank",
        "sandbox",
    ]


@pytest.mark.parametrize(
    ("params", "field"), [({}, "amount"), ({"amount": "10", "bin_number": "4508"}, "bin_number")]
)
def test_installments_validate_the_query(paytrek: PaytrekCaller, params: dict, field: str) -> None:
    assert list(refused(_installments(paytrek, **params), 400, "30009")["errors"]) == [field]


# --- Hosted payment page ----------------------------------------------------------------------


def _hosted_form(paytrek: PaytrekCaller, token: str) -> tuple[str, dict[str, str]]:
    page = requests.get(f"{paytrek.base_url}/?token={token}", timeout=TIMEOUT)
    assert page.status_code == 200
    assert '<button type="submit">Öde</button>' in page.text
    return page.text, labelled_inputs(page.text)


def _pay_on_hosted_form(
    paytrek: PaytrekCaller, token: str, number: str, **overrides: str
) -> requests.Response:
    _, fields = _hosted_form(paytrek, token)
    values = {
        "Kart Numarası": number,
        "Kart Sahibi": "Ayşe Yılmaz",
        "Son Kullanma Ayı": "12",
        "Son Kullanma Yılı": "2040",
        "CVC": "000",
        "Taksit": "1",
        **overrides,
    }
    data = {fields[label]: value for label, value in values.items()}
    return requests.post(f"{paytrek.base_url}/?token={token}", data=data, timeout=TIMEOUT)


def test_hosted_form_is_turkish_with_labelled_fields_and_the_test_cards(
    paytrek: PaytrekCaller,
) -> None:
    html, fields = _hosted_form(paytrek, paytrek.sale_token())

    labels = [
        "Kart Numarası",
        "Kart Sahibi",
        "Son Kullanma Ayı",
        "Son Kullanma Yılı",
        "CVC",
        "Taksit",
    ]
    assert set(labels) <= set(fields)
    assert '<html lang="tr">' in html
    assert ">İptal</a>" in html
    assert "₺24,00" in html
    for card in TEST_CARDS:
        assert card.number in html


def test_hosted_payment_returns_the_customer_with_the_token(
    paytrek: PaytrekCaller, callback_recorder: CallbackRecorder
) -> None:
    token = paytrek.sale_token(return_url=callback_recorder.url_for("/back?order=42"))

    response = _pay_on_hosted_form(paytrek, token, "4508034508034509")

    assert response.status_code == 200
    assert _returned_token(callback_recorder) == token
    assert body(paytrek.sale(token))["status"] == "Paid"


def test_hosted_decline_also_returns_the_customer(
    paytrek: PaytrekCaller, callback_recorder: CallbackRecorder
) -> None:
    token = paytrek.sale_token(return_url=callback_recorder.url_for("/back?order=42"))

    _pay_on_hosted_form(paytrek, token, "4000000000100208")

    assert _returned_token(callback_recorder) == token
    assert body(paytrek.sale(token))["status"] == "Declined"


def test_hosted_form_sends_a_3d_card_to_the_3d_page_first(
    paytrek: PaytrekCaller, callback_recorder: CallbackRecorder
) -> None:
    token = paytrek.sale_token(return_url=callback_recorder.url_for("/back?order=42"))

    page = _pay_on_hosted_form(paytrek, token, "4355 0843 5508 4358", Taksit="6")

    assert "3D Secure şifresi" in labelled_inputs(page.text)
    assert body(paytrek.sale(token))["status"] == "Created"
    _three_d_password(page.url, "a")
    assert _returned_token(callback_recorder) == token
    sale = body(paytrek.sale(token))
    assert (sale["status"], sale["installment"]) == ("Paid", 6)


def test_hosted_form_with_secure_option_asks_3d_for_any_card(paytrek: PaytrekCaller) -> None:
    token = paytrek.sale_token(secure_option=True)

    page = _pay_on_hosted_form(paytrek, token, "4508034508034509")

    assert "/3ds/" in page.url


def test_hosted_form_shows_field_errors_and_never_echoes_the_card_number(
    paytrek: PaytrekCaller,
) -> None:
    token = paytrek.sale_token()

    page = _pay_on_hosted_form(
        paytrek, token, "4508 0345 0803 450X", **{"Son Kullanma Ayı": "13", "CVC": "1"}
    )

    assert page.status_code == 400
    assert 'role="alert"' in page.text
    assert "Geçerli bir kart numarası girin." in page.text
    assert "Son kullanma ayını 01 ile 12 arasında girin." in page.text
    assert "CVC 3 ya da 4 haneden oluşur." in page.text
    assert "450X" not in page.text
    assert body(paytrek.sale(token))["transactions"] == []


def test_hosted_cancel_link_returns_the_customer_and_leaves_the_sale_created(
    paytrek: PaytrekCaller, callback_recorder: CallbackRecorder
) -> None:
    token = paytrek.sale_token(return_url=callback_recorder.url_for("/back?order=42"))
    html, _ = _hosted_form(paytrek, token)

    requests.get(urljoin(f"{paytrek.base_url}/", link(html, "İptal")), timeout=TIMEOUT)

    assert _returned_token(callback_recorder) == token
    assert body(paytrek.sale(token))["status"] == "Created"


def test_hosted_payment_without_return_url_shows_a_result_page(paytrek: PaytrekCaller) -> None:
    token = paytrek.sale_token()

    page = _pay_on_hosted_form(paytrek, token, "4508034508034509")

    assert page.status_code == 200
    assert "<h1>Ödeme alındı.</h1>" in page.text
    assert urlsplit(page.url).path == f"/paytrek/return/{token}"


def test_hosted_page_of_a_paid_or_expired_sale_shows_its_state_not_the_form(
    sandbox: SandboxControl, paytrek: PaytrekCaller
) -> None:
    paid, unpaid = _paid(paytrek), paytrek.sale_token()
    sandbox.advance(3601)

    for token, heading in [(paid, "Ödeme alındı."), (unpaid, "Bu ödeme sayfasının süresi doldu.")]:
        page = requests.get(f"{paytrek.base_url}/?token={token}", timeout=TIMEOUT)
        assert f"<h1>{heading}</h1>" in page.text
        assert "Kart Numarası" not in page.text


def test_hosted_page_of_an_unknown_sale_is_404(paytrek: PaytrekCaller) -> None:
    page = requests.get(f"{paytrek.base_url}/?token=nothing", timeout=TIMEOUT)

    assert page.status_code == 404
    assert "Ödeme bulunamadı." in page.text


# --- PaytrekJS --------------------------------------------------------------------------------


def test_paytrek_js_is_served_as_javascript(paytrek: PaytrekCaller) -> None:
    response = requests.get(f"{paytrek.base_url}/static/v2/js/paytrek.js", timeout=TIMEOUT)

    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] in (
        "text/javascript",
        "application/javascript",
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    for name in ("Paytrek.Options", "Paytrek.Form", "createToken", "data-paytrek-field"):
        assert name in response.text


TOKENIZATION = "/api/v2/tokenization/"
MERCHANT_ORIGIN = "http://shop.example:5000"


def test_tokenization_preflight_allows_the_merchant_origin(paytrek: PaytrekCaller) -> None:
    response = requests.options(
        f"{paytrek.base_url}{TOKENIZATION}",
        headers={
            "Origin": MERCHANT_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=TIMEOUT,
    )

    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == MERCHANT_ORIGIN
    assert response.headers["Access-Control-Allow-Methods"] == "POST"
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type"


def test_tokenization_with_the_publishable_key_vaults_a_chargeable_card(
    paytrek: PaytrekCaller,
) -> None:
    card = {
        **PaytrekCaller.CARD,
        "sale_data": {"order_id": "1", "currency": "TRY", "amount": "24.00"},
    }

    response = paytrek.call(
        "POST",
        TOKENIZATION,
        {"publishable_key": paytrek.publishable_key, **card},
        auth=None,
        headers={"Content-Type": "application/json", "Origin": MERCHANT_ORIGIN},
    )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == MERCHANT_ORIGIN
    card_token = body(response)["card_token"]
    token = paytrek.sale_token()
    assert body(paytrek.charge_with_token(token, card_token))["succeeded"] is True


def test_tokenization_errors_are_json_with_errors_and_cors(paytrek: PaytrekCaller) -> None:
    headers = {"Content-Type": "application/json", "Origin": MERCHANT_ORIGIN}
    wrong_key = {"publishable_key": "wrong", **PaytrekCaller.CARD}
    bad_card = {"publishable_key": paytrek.publishable_key, **PaytrekCaller.CARD, "cvc": "x"}

    unauthorised = paytrek.call("POST", TOKENIZATION, wrong_key, auth=None, headers=headers)
    invalid = paytrek.call("POST", TOKENIZATION, bad_card, auth=None, headers=headers)

    assert refused(unauthorised, 401, "30013")["errors"] == {
        "publishable_key": ["Invalid publishable key."]
    }
    assert "WWW-Authenticate" not in unauthorised.headers  # no browser login prompt
    assert list(refused(invalid, 400, "30009")["errors"]) == ["cvc"]
    for response in (unauthorised, invalid):
        assert response.headers["Access-Control-Allow-Origin"] == MERCHANT_ORIGIN
