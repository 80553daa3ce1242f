"""PaytrekClient against the live Paytrek sandbox: every call, every documented error class, and
the fault switch for what the network does (5xx, timeouts, dropped connections).

Stored cards are made the way PaytrekJS makes them in a customer's browser (``POST
/api/v2/vault/`` with the card): our product never handles card numbers, so the client has no
such call and the test posts it directly.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests

from tests.support.sandbox import TIMEOUT, SandboxControl
from webapp.money import Money
from webapp.providers.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
)
from webapp.providers.paytrek import (
    ERROR_CODES,
    PaytrekClient,
    Sale,
    SaleItem,
    SaleRequest,
)

APPROVED = "4508034508034509"  # İşbank, "Test Kartları"
APPROVED_3D = "4355084355084358"  # Akbank, 3-D password "a"
INSUFFICIENT_LIMIT = "4000000000100208"  # the sandbox's 10020 card
FUTURE_EXPIRY = "12/2099"  # the document's own dates (12/20 ...) are past


def tl(text: str) -> Money:
    return Money(Decimal(text), "TRY")


def sale_request(**changes: Any) -> SaleRequest:
    fields: dict[str, Any] = {
        "order_id": f"ORDER-{uuid.uuid4().hex[:12]}",
        "amount": tl("24.00"),
        "customer_first_name": "Ayşe",
        "customer_last_name": "Yılmaz",
        "customer_email": "ayse@example.com",
        "customer_ip_address": "212.57.9.204",
        "billing_address": "Bağdat Cd. 1",
        "billing_city": "İstanbul",
        "billing_country": "TR",
        "items": (SaleItem("Çay bardağı", 2, tl("12.00")),),
        "return_url": "https://shop.example/checkout/return",
    }
    return SaleRequest(**{**fields, **changes})


def make_client(sandbox: SandboxControl, **options: Any) -> PaytrekClient:
    return PaytrekClient(
        sandbox.base_url("paytrek"),
        sandbox.config["PAYTREK_API_KEY"],
        sandbox.config["PAYTREK_SECRET"],
        **options,
    )


@pytest.fixture
def client(sandbox: SandboxControl) -> Iterator[PaytrekClient]:
    paytrek = make_client(sandbox)
    yield paytrek
    paytrek.close()


@pytest.fixture
def fast_timeout_client(sandbox: SandboxControl) -> Iterator[PaytrekClient]:
    paytrek = make_client(sandbox, timeout=(2.0, 0.3))
    yield paytrek
    paytrek.close()


def stored_card(sandbox: SandboxControl, number: str) -> str:
    """A card token, as PaytrekJS would get one in the customer's browser."""
    response = requests.post(
        f"{sandbox.base_url('paytrek')}/api/v2/vault/",
        json={
            "number": number,
            "expiration": FUTURE_EXPIRY,
            "cvc": "000",
            "card_holder_name": "Ayşe Yılmaz",
        },
        auth=(sandbox.config["PAYTREK_API_KEY"], sandbox.config["PAYTREK_SECRET"]),
        timeout=TIMEOUT,
    )
    assert response.status_code in (200, 201), response.text
    return response.json()["card_token"]


def paid_sale(sandbox: SandboxControl, client: PaytrekClient, **changes: Any) -> Sale:
    sale = client.create_sale(sale_request(**changes))
    result = client.charge_with_token(sale.token, stored_card(sandbox, APPROVED))
    assert result.succeeded, result
    return client.get_sale(sale.token)


def fault_count(sandbox: SandboxControl, rule_id: int) -> int | None:
    """What is left of a fault rule's count: None once spent (the sandbox drops it)."""
    found = [rule for rule in sandbox.faults() if rule["id"] == rule_id]
    return found[0]["count"] if found else None


# --- sales ----------------------------------------------------------------------------------


def test_a_created_sale_can_be_read_back(client: PaytrekClient) -> None:
    request = sale_request(amount=tl("1500.00"), items=(SaleItem("Halı", 1, tl("1500.00")),))

    created = client.create_sale(request)
    fetched = client.get_sale(created.token)

    assert created.status == "Created" and not created.is_success
    assert (fetched.token, fetched.order_id, fetched.amount) == (
        created.token,
        request.order_id,
        tl("1500.00"),
    )
    assert fetched.refunded_amount == tl("0")
    assert fetched.expires_at is not None and fetched.expires_at.tzinfo is not None
    assert fetched.expires_at > datetime.now(UTC)


def test_lookups_send_the_json_content_type_paytrek_demands_of_every_request(
    sandbox: SandboxControl, client: PaytrekClient
) -> None:
    sale = client.create_sale(sale_request())
    bare = requests.get(  # what a GET without "Content-Type: application/json" gets
        f"{sandbox.base_url('paytrek')}/api/v2/sale/{sale.token}/",
        auth=(sandbox.config["PAYTREK_API_KEY"], sandbox.config["PAYTREK_SECRET"]),
        timeout=TIMEOUT,
    )

    assert bare.status_code == 415
    assert client.get_sale(sale.token).token == sale.token
    assert client.get_vault_card(stored_card(sandbox, APPROVED)).bin_number == "450803"
    assert client.installments("450803", tl("24.00"))


def test_the_sandbox_received_every_field_we_sent(
    sandbox: SandboxControl, client: PaytrekClient
) -> None:
    request = sale_request(
        hosted_payment=True,
        language_code="tr",
        cancel_url="https://shop.example/checkout/cancel",
        billing_zipcode="34710",
        sale_data={"merchant_name": "Ted"},
    )

    sale = client.create_sale(request)
    (stored,) = sandbox.records("paytrek", "sales")

    assert stored["sale_token"] == sale.token
    assert stored["amount"] == "24.00" and stored["currency"] == "TRY"
    assert stored["installment"] == 1
    assert (stored["hosted_payment"], stored["secure_option"], stored["pre_auth"]) == (
        True,
        False,
        False,
    )
    assert stored["half_secure"] is False
    assert stored["language_code"] == "tr"
    assert stored["cancel_url"] == "https://shop.example/checkout/cancel"
    assert stored["billing_zipcode"] == "34710"
    assert stored["sale_data"] == {"merchant_name": "Ted"}
    assert stored["items"] == [
        {"name": "Çay bardağı", "photo": None, "quantity": 2, "unit_price": "12.00"}
    ]


def test_a_reused_order_id_is_rejected_with_30120(client: PaytrekClient) -> None:
    request = sale_request()
    client.create_sale(request)

    with pytest.raises(ProviderRejected) as caught:
        client.create_sale(request)

    assert caught.value.code == "30120"
    assert caught.value.http_status == 400
    assert caught.value.customer_message == ERROR_CODES["30120"].customer_message


def test_an_invalid_field_is_rejected_with_the_code_and_the_field(client: PaytrekClient) -> None:
    with pytest.raises(ProviderRejected) as caught:
        client.create_sale(sale_request(customer_email="not-an-address"))

    assert caught.value.http_status == 400
    assert caught.value.code == "30009"
    assert "customer_email" in (caught.value.merchant_message or "")
    assert caught.value.customer_message == ERROR_CODES["30009"].customer_message


def test_an_unknown_sale_token_is_rejected(client: PaytrekClient) -> None:
    with pytest.raises(ProviderRejected) as caught:
        client.get_sale(uuid.uuid4().hex)

    assert caught.value.http_status == 404


@pytest.mark.parametrize("call", ["get_sale", "create_sale"])
def test_wrong_credentials_raise_auth_error(sandbox: SandboxControl, call: str) -> None:
    paytrek = PaytrekClient(
        sandbox.base_url("paytrek"), sandbox.config["PAYTREK_API_KEY"], "wrong-secret"
    )
    with paytrek, pytest.raises(ProviderAuthError) as caught:
        if call == "get_sale":
            paytrek.get_sale(uuid.uuid4().hex)
        else:
            paytrek.create_sale(sale_request())

    assert caught.value.http_status == 401


def test_a_created_sale_that_is_not_ours_is_refused(
    sandbox: SandboxControl, client: PaytrekClient
) -> None:
    someone_elses = {
        "sale_token": "c626f49193114e24ad0980752b749318",
        "order_id": "1467034250",
        "currency": "TRY",
        "amount": "24.00",
        "status": "Created",
    }
    sandbox.fault("paytrek", "POST /api/v2/sale/", status=201, body=someone_elses, count=1)

    with pytest.raises(ProviderError, match="unexpected response"):
        client.create_sale(sale_request())


# --- charging a stored card ---------------------------------------------------------------


def test_a_stored_card_pays_the_sale(sandbox: SandboxControl, client: PaytrekClient) -> None:
    sale = client.create_sale(sale_request())

    result = client.charge_with_token(sale.token, stored_card(sandbox, APPROVED))
    confirmed = client.get_sale(sale.token)

    assert result.succeeded and result.failure is None and not result.needs_3d_secure
    assert confirmed.is_success and confirmed.status == "Paid"
    assert confirmed.financial_status == "Ready to Send"
    assert confirmed.transactions[-1].succeeded
    assert confirmed.transactions[-1].amount == tl("24.00")


def test_a_declined_card_comes_back_in_the_result_not_as_an_exception(
    sandbox: SandboxControl, client: PaytrekClient
) -> None:
    sale = client.create_sale(sale_request())

    result = client.charge_with_token(sale.token, stored_card(sandbox, INSUFFICIENT_LIMIT))
    confirmed = client.get_sale(sale.token)

    assert not result.succeeded
    assert result.failure is not None
    assert result.failure.error_code == "10020"
    assert result.failure.customer_message == ERROR_CODES["10020"].customer_message
    assert not confirmed.is_success
    assert confirmed.last_failure is not None
    assert confirmed.last_failure.error_code == "10020"
    assert confirmed.last_failure.merchant_message == "Insufficient Limit"


def test_a_3d_secure_charge_sends_the_customer_to_forward_url(
    sandbox: SandboxControl, client: PaytrekClient
) -> None:
    sale = client.create_sale(sale_request(secure_option=True))

    result = client.charge_with_token(sale.token, stored_card(sandbox, APPROVED_3D))

    assert result.needs_3d_secure
    assert result.forward_url is not None and result.forward_url.startswith(sandbox.url)
    assert result.failure is None
    assert not client.get_sale(sale.token).is_success  # nothing charged before the 3-D page


def test_a_stored_card_can_be_looked_up(sandbox: SandboxControl, client: PaytrekClient) -> None:
    card_token = stored_card(sandbox, APPROVED)

    card = client.get_vault_card(card_token)

    assert card.card_token == card_token
    assert card.bin_number == "450803"
    assert card.masked_number == "450803******4509"


def test_installment_plans_follow_the_cards_bank(client: PaytrekClient) -> None:
    options = client.installments("435508", tl("123.00"))  # Akbank: 1, 3 and 6

    assert [option.count for option in options] == [1, 3, 6]
    assert options[0].total == tl("123.00")
    assert all(option.total.currency == "TRY" for option in options)
    assert all(option.monthly is not None for option in options)


def test_an_eight_digit_bin_is_sent_as_its_first_six(client: PaytrekClient) -> None:
    # The document's bin_number is "Kartın ilk 6 hanesi"; the sandbox refuses anything else.
    options = client.installments("43550843", tl("123.00"))

    assert [option.count for option in options] == [1, 3, 6]


def test_installments_refuse_anything_longer_than_a_bin(client: PaytrekClient) -> None:
    with pytest.raises(ValueError, match="bin_number"):
        client.installments(APPROVED, tl("123.00"))


# --- capture, cancel, refund --------------------------------------------------------------


def test_a_pre_authorised_sale_is_captured(sandbox: SandboxControl, client: PaytrekClient) -> None:
    sale = client.create_sale(sale_request(pre_auth=True))
    client.charge_with_token(sale.token, stored_card(sandbox, APPROVED))
    authorised = client.get_sale(sale.token)

    answer = client.capture(sale.token, comments="kargoya verildi")
    captured = client.get_sale(sale.token)

    assert authorised.is_authorized_only and authorised.is_success
    assert answer is None  # the documented receipt has no status: get_sale tells it
    assert captured.status == "Paid" and not captured.is_authorized_only


def test_capturing_a_paid_sale_is_rejected(sandbox: SandboxControl, client: PaytrekClient) -> None:
    sale = paid_sale(sandbox, client)

    with pytest.raises(ProviderRejected) as caught:
        client.capture(sale.token)

    assert caught.value.code == "30002"


def test_a_2xx_that_says_not_succeeded_is_a_rejection(
    sandbox: SandboxControl, client: PaytrekClient
) -> None:
    sale = paid_sale(sandbox, client)
    body = {"sale_token": sale.token, "succeeded": False, "error_code": "30005"}
    sandbox.fault("paytrek", "POST /api/v2/cancel/", status=200, body=body, count=1)

    with pytest.raises(ProviderRejected) as caught:
        client.cancel(sale.token)

    assert (caught.value.http_status, caught.value.code) == (200, "30005")
    assert caught.value.merchant_message == ERROR_CODES["30005"].merchant_message
    assert caught.value.customer_message is None  # "-" in the document's table


def test_a_2xx_receipt_without_succeeded_true_is_an_unknown_outcome(
    sandbox: SandboxControl, client: PaytrekClient
) -> None:
    # Every documented receipt says "succeeded": true; without it, money may or may not have moved.
    sale = paid_sale(sandbox, client)
    sandbox.fault(
        "paytrek", "POST /api/v2/cancel/", status=200, body={"sale_token": sale.token}, count=1
    )

    with pytest.raises(ProviderUnavailable) as caught:
        client.cancel(sale.token)

    assert caught.value.outcome_unknown and caught.value.http_status == 200


def test_a_paid_sale_is_cancelled_in_full(sandbox: SandboxControl, client: PaytrekClient) -> None:
    sale = paid_sale(sandbox, client)

    client.cancel(sale.token, comments="müşteri vazgeçti")

    assert client.get_sale(sale.token).refunded_amount == sale.amount


def test_a_refund_can_be_partial_then_the_rest(
    sandbox: SandboxControl, client: PaytrekClient
) -> None:
    sale = paid_sale(sandbox, client)

    client.refund(sale.token, tl("9.70"), comments="bir bardak kırık")
    partly = client.get_sale(sale.token)
    client.refund(sale.token)
    fully = client.get_sale(sale.token)

    assert partly.refunded_amount == tl("9.70")
    assert fully.refunded_amount == tl("24.00")


def test_refunding_more_than_remains_is_rejected(
    sandbox: SandboxControl, client: PaytrekClient
) -> None:
    sale = paid_sale(sandbox, client)

    with pytest.raises(ProviderRejected) as caught:
        client.refund(sale.token, tl("30.00"))

    assert caught.value.code == "30003"
    assert client.get_sale(sale.token).refunded_amount == tl("0")


# --- what the network does ----------------------------------------------------------------


def test_a_sale_lookup_that_meets_a_500_is_retried(
    sandbox: SandboxControl, client: PaytrekClient
) -> None:
    sale = client.create_sale(sale_request())
    rule = sandbox.fault("paytrek", "GET /api/v2/sale/<sale_token>/", status=500, count=2)

    fetched = client.get_sale(sale.token)

    assert fetched.token == sale.token
    assert fault_count(sandbox, rule["id"]) is None  # both 500s were met, the third try won


def test_a_capture_that_meets_a_500_is_not_retried_and_its_outcome_is_unknown(
    sandbox: SandboxControl, client: PaytrekClient
) -> None:
    sale = client.create_sale(sale_request(pre_auth=True))
    client.charge_with_token(sale.token, stored_card(sandbox, APPROVED))
    rule = sandbox.fault("paytrek", "POST /api/v2/capture/", status=500, count=2)

    with pytest.raises(ProviderUnavailable) as caught:
        client.capture(sale.token)

    assert caught.value.outcome_unknown
    assert caught.value.http_status == 500
    assert fault_count(sandbox, rule["id"]) == 1  # one attempt, no retry
    assert client.get_sale(sale.token).is_authorized_only  # the caller reconciles like this


def test_a_capture_that_succeeded_behind_a_500_is_found_by_get_sale(
    sandbox: SandboxControl, client: PaytrekClient
) -> None:
    sale = client.create_sale(sale_request(pre_auth=True))
    client.charge_with_token(sale.token, stored_card(sandbox, APPROVED))
    sandbox.fault("paytrek", "POST /api/v2/capture/", status=502, after=True, count=1)

    with pytest.raises(ProviderUnavailable) as caught:
        client.capture(sale.token)

    assert caught.value.outcome_unknown
    assert client.get_sale(sale.token).status == "Paid"  # why outcome_unknown matters


@pytest.mark.parametrize("call", ["cancel", "refund"])
def test_a_dropped_connection_after_a_cancel_or_refund_leaves_the_outcome_unknown(
    sandbox: SandboxControl, client: PaytrekClient, call: str
) -> None:
    sale = paid_sale(sandbox, client)
    sandbox.fault("paytrek", f"POST /api/v2/{call}/", drop=True, count=1)

    with pytest.raises(ProviderUnavailable) as caught:
        getattr(client, call)(sale.token)

    assert caught.value.outcome_unknown


def test_a_5xx_with_paytreks_envelope_keeps_its_code(
    sandbox: SandboxControl, client: PaytrekClient
) -> None:
    body = {"error_code": "20015", "error_message": "System Error"}
    sandbox.fault("paytrek", "POST /api/v2/sale/", status=503, body=body, count=1)

    with pytest.raises(ProviderUnavailable) as caught:
        client.create_sale(sale_request())

    assert caught.value.code == "20015"
    assert caught.value.customer_message == ERROR_CODES["20015"].customer_message


def test_a_read_timeout_raises_unavailable(
    sandbox: SandboxControl, fast_timeout_client: PaytrekClient
) -> None:
    sale = fast_timeout_client.create_sale(sale_request())
    sandbox.fault(
        "paytrek", f"GET /api/v2/sale/{sale.token}/", timeout=True, timeout_seconds=3, count=None
    )

    with pytest.raises(ProviderUnavailable) as caught:
        fast_timeout_client.get_sale(sale.token)

    assert caught.value.outcome_unknown
    assert caught.value.http_status is None
    assert sale.token not in str(caught.value)


def test_a_capture_that_times_out_is_sent_once(
    sandbox: SandboxControl, fast_timeout_client: PaytrekClient
) -> None:
    sale = fast_timeout_client.create_sale(sale_request(pre_auth=True))
    fast_timeout_client.charge_with_token(sale.token, stored_card(sandbox, APPROVED))
    rule = sandbox.fault(
        "paytrek", "POST /api/v2/capture/", timeout=True, timeout_seconds=3, count=2
    )

    with pytest.raises(ProviderUnavailable) as caught:
        fast_timeout_client.capture(sale.token)

    assert caught.value.outcome_unknown
    assert fault_count(sandbox, rule["id"]) == 1


def test_a_sale_answer_holding_text_we_cannot_store_is_unreadable(
    sandbox: SandboxControl, client: PaytrekClient
) -> None:
    # A NUL would fail the query that stores the status (PostgreSQL text cannot hold one).
    sale = paid_sale(sandbox, client)
    body = {**client.get_sale(sale.token).raw, "status": "Paid\u0000"}
    sandbox.fault("paytrek", "GET /api/v2/sale/<sale_token>/", status=200, body=body, count=1)

    with pytest.raises(ProviderError, match="unexpected response"):
        client.get_sale(sale.token)
