"""NexKasaClient against the live NexKasa sandbox: each documented answer, no retries, callbacks."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from ipaddress import ip_network
from urllib.parse import parse_qs

import pytest

from tests.support.live_server import CallbackRecorder, RecordedRequest
from tests.support.sandbox import SandboxControl
from webapp.money import Money
from webapp.providers.errors import ProviderAuthError, ProviderRateLimited, ProviderUnavailable
from webapp.providers.nexkasa import (
    SIGNATURE_HEADER,
    AlreadyPending,
    Callback,
    CallbackRejected,
    DepositRequest,
    InvalidRequest,
    NexKasaClient,
    NoSuitableAccount,
    WithdrawalRequest,
    nexkasa_http,
    parse_callback,
    verify_callback,
)

DEPOSIT_ROUTE = "POST /api/public/deposit-request/"
CALLBACK_TOKEN = "our-callback-token"


def try_(text: str) -> Money:
    return Money(Decimal(text), "TRY")


def deposit(
    user_id: str = "USER_1", amount: str = "1500.00", callback_url: str | None = None
) -> DepositRequest:
    return DepositRequest(try_(amount), "Ahmet Yılmaz", user_id, callback_url)


def withdrawal(external_id: str = "TXN_1", callback_url: str | None = None) -> WithdrawalRequest:
    return WithdrawalRequest(
        try_("5000.00"),
        "TR12 0006 2000 0001 2345 6789 01",
        "Mehmet Demir",
        external_id,
        callback_url,
    )


@pytest.fixture
def client(sandbox: SandboxControl) -> Iterator[NexKasaClient]:
    client = NexKasaClient(sandbox.base_url("nexkasa"), sandbox.config["NEXKASA_API_KEY"])
    yield client
    client.close()


def the_transaction(sandbox: SandboxControl, **where: object) -> dict:
    found = [
        tx
        for tx in sandbox.records("nexkasa", "transactions")
        if all(tx.get(key) == value for key, value in where.items())
    ]
    assert len(found) == 1, found
    return found[0]


# --- 201 ----------------------------------------------------------------------------------------


def test_deposit_reads_the_token_and_bank_details(
    sandbox: SandboxControl, client: NexKasaClient
) -> None:
    accepted = client.create_deposit(deposit())

    assert accepted.transaction_id is None
    assert accepted.transaction_token is not None
    assert accepted.bank is not None and accepted.bank.iban.startswith("TR")
    stored = the_transaction(sandbox, transaction_token=accepted.transaction_token)
    assert stored["amount"] == "1500.00"
    assert stored["bank_account"]["iban"] == accepted.bank.iban
    assert stored["external_user_id"] == "USER_1"


def test_deposit_reads_the_guides_legacy_answer(
    sandbox: SandboxControl, client: NexKasaClient
) -> None:
    sandbox.settings("nexkasa", deposit_response="legacy")

    accepted = client.create_deposit(deposit())

    assert accepted.transaction_token is None and accepted.bank is None
    assert accepted.transaction_id == the_transaction(sandbox)["id"]


def test_withdrawal_sends_a_compact_iban_and_reads_the_transaction_id(
    sandbox: SandboxControl, client: NexKasaClient
) -> None:
    accepted = client.create_withdrawal(withdrawal())

    stored = the_transaction(sandbox, id=accepted.transaction_id)
    assert stored["customer_iban"] == "TR120006200000012345678901"
    assert stored["status"] == "WAITING_ASSIGNMENT"
    assert stored["amount"] == "5000.00"


def test_a_withdrawal_answered_2xx_without_a_transaction_id_is_accepted(
    sandbox: SandboxControl, client: NexKasaClient
) -> None:
    body = {"status": "success", "message": "Talebiniz alındı, işleme hazırlanıyor"}
    sandbox.fault(route="POST /api/public/withdraw-request/", status=201, body=body, after=True)

    accepted = client.create_withdrawal(withdrawal())

    assert accepted.transaction_id is None
    assert the_transaction(sandbox)["status"] == "WAITING_ASSIGNMENT"


# --- errors -------------------------------------------------------------------------------------


def test_invalid_fields_come_back_drf_style(client: NexKasaClient) -> None:
    request = DepositRequest(try_("100.00"), "", "USER_1", "not a url")

    with pytest.raises(InvalidRequest) as raised:
        client.create_deposit(request)

    assert raised.value.http_status == 400
    assert raised.value.field_errors == {
        "full_name": ("This field may not be blank.",),
        "callback_url": ("Enter a valid URL.",),
    }


def test_a_wrong_api_key_is_an_auth_error(sandbox: SandboxControl) -> None:
    client = NexKasaClient(sandbox.base_url("nexkasa"), "wrong-key")
    try:
        with pytest.raises(ProviderAuthError) as raised:
            client.create_deposit(deposit())
    finally:
        client.close()

    assert raised.value.http_status == 403
    assert raised.value.merchant_message == "Invalid API Key"
    assert sandbox.records("nexkasa", "transactions") == []


def test_an_amount_no_bank_account_fits_is_no_suitable_account(client: NexKasaClient) -> None:
    with pytest.raises(NoSuitableAccount) as raised:
        client.create_deposit(deposit(amount="50000.01"))

    assert raised.value.http_status == 404
    assert "Uygun hesap bulunamadı" in (raised.value.merchant_message or "")


def test_a_second_pending_deposit_of_a_user_is_already_pending(
    sandbox: SandboxControl, client: NexKasaClient
) -> None:
    client.create_deposit(deposit("USER_9"))

    with pytest.raises(AlreadyPending) as raised:
        client.create_deposit(deposit("USER_9"))

    assert raised.value.http_status == 409
    assert len(sandbox.records("nexkasa", "transactions")) == 1


def test_the_throttle_is_surfaced_not_hammered(sandbox: SandboxControl) -> None:
    # A layer that would retry idempotent calls three times: these POSTs must still go once.
    http = nexkasa_http(
        sandbox.base_url("nexkasa"), sandbox.config["NEXKASA_API_KEY"], max_retries=3
    )
    client = NexKasaClient(sandbox.base_url("nexkasa"), "unused", http=http)
    try:
        for number in range(5):  # withdraw: 5 per minute
            client.create_withdrawal(withdrawal(f"TXN_{number}"))
        with pytest.raises(ProviderRateLimited) as raised:
            client.create_withdrawal(withdrawal("TXN_5"))
        sandbox.fault(route="POST /api/public/withdraw-request/", status=429, count=2,
                      headers={"Retry-After": "1"})  # fmt: skip
        with pytest.raises(ProviderRateLimited):
            client.create_withdrawal(withdrawal("TXN_6"))
    finally:
        client.close()

    assert raised.value.retry_after is not None
    assert 0 < raised.value.retry_after.total_seconds() <= 60
    assert len(sandbox.records("nexkasa", "transactions")) == 5
    (fault,) = sandbox.faults()
    assert fault["count"] == 1  # the scripted 429 was met once: no retry


def test_a_500_is_not_retried_and_leaves_the_outcome_unknown(sandbox: SandboxControl) -> None:
    sandbox.fault(route=DEPOSIT_ROUTE, status=500, after=True, count=2)
    base_url, key = sandbox.base_url("nexkasa"), sandbox.config["NEXKASA_API_KEY"]
    client = NexKasaClient(base_url, key, http=nexkasa_http(base_url, key, max_retries=3))
    try:
        with pytest.raises(ProviderUnavailable) as raised:
            client.create_deposit(deposit())
    finally:
        client.close()

    assert raised.value.outcome_unknown is True
    assert raised.value.http_status == 500
    assert len(sandbox.records("nexkasa", "transactions")) == 1  # NexKasa did create it
    (fault,) = sandbox.faults()
    assert fault["count"] == 1


def test_a_timeout_is_not_retried_and_leaves_the_outcome_unknown(sandbox: SandboxControl) -> None:
    sandbox.fault(route=DEPOSIT_ROUTE, timeout=True, timeout_seconds=5, after=True)
    base_url, key = sandbox.base_url("nexkasa"), sandbox.config["NEXKASA_API_KEY"]
    client = NexKasaClient(base_url, key, http=nexkasa_http(base_url, key, read_timeout=0.5))
    try:
        with pytest.raises(ProviderUnavailable) as raised:
            client.create_deposit(deposit())
    finally:
        client.close()

    assert raised.value.outcome_unknown is True
    assert len(sandbox.records("nexkasa", "transactions")) == 1


# --- callbacks, end to end ----------------------------------------------------------------------


def verified(sandbox: SandboxControl, request: RecordedRequest) -> Callback:
    """What our hook does with a callback: verify (token, address, signature), then parse."""
    verify_callback(
        token_presented=parse_qs(request.query).get("t", [None])[0],
        token_expected=CALLBACK_TOKEN,
        remote_addr="127.0.0.1",  # the sandbox and the recorder share this host
        allowed_networks=[ip_network("127.0.0.0/8"), ip_network("::1/128")],
        signature=request.headers.get(SIGNATURE_HEADER),
        raw_body=request.body,
        webhook_secret=sandbox.config["NEXKASA_WEBHOOK_SECRET"],
    )
    return parse_callback(request.body)


def test_an_approved_deposit_sends_two_callbacks_that_verify_and_agree(
    sandbox: SandboxControl, client: NexKasaClient, callback_recorder: CallbackRecorder
) -> None:
    url = callback_recorder.url_for(f"/hooks/nexkasa/pay-7?t={CALLBACK_TOKEN}")
    accepted = client.create_deposit(deposit("USER_7", "1234.50", callback_url=url))
    transaction = the_transaction(sandbox, transaction_token=accepted.transaction_token)

    sandbox.approve("nexkasa", transaction["id"])

    callbacks = [verified(sandbox, request) for request in callback_recorder.wait_for(2)]
    assert sorted(callback.signed_shape for callback in callbacks) == [False, True]
    for callback in callbacks:
        assert callback.transaction_id == transaction["id"]
        assert callback.status == "APPROVED"
        assert callback.type == "DEPOSIT"
        assert callback.external_id == "USER_7"  # the user_id, not a deposit id (§3.5)
        assert callback.amount == try_("1234.50")
    (signed,) = [callback for callback in callbacks if callback.signed_shape]
    assert signed.message == "Success" and signed.processed_at


def test_a_rejected_withdrawal_sends_callbacks_with_the_reason(
    sandbox: SandboxControl, client: NexKasaClient, callback_recorder: CallbackRecorder
) -> None:
    url = callback_recorder.url_for(f"/hooks/nexkasa/out-3?t={CALLBACK_TOKEN}")
    accepted = client.create_withdrawal(withdrawal("TXN_3", callback_url=url))

    sandbox.reject("nexkasa", accepted.transaction_id, reason="IBAN hatalı")

    callbacks = [verified(sandbox, request) for request in callback_recorder.wait_for(2)]
    assert {(c.transaction_id, c.status, c.type, c.external_id) for c in callbacks} == {
        (accepted.transaction_id, "REJECTED", "WITHDRAW", "TXN_3")
    }
    assert [c.message for c in callbacks if c.signed_shape] == ["IBAN hatalı"]


def test_a_tampered_or_tokenless_callback_is_refused(
    sandbox: SandboxControl, client: NexKasaClient, callback_recorder: CallbackRecorder
) -> None:
    url = callback_recorder.url_for("/hooks/nexkasa/pay-8?t=guessed")
    accepted = client.create_deposit(deposit("USER_8", callback_url=url))
    sandbox.approve(
        "nexkasa", the_transaction(sandbox, transaction_token=accepted.transaction_token)["id"]
    )

    requests = callback_recorder.wait_for(2)
    (signed,) = [request for request in requests if SIGNATURE_HEADER in request.headers]

    with pytest.raises(CallbackRejected) as wrong_token:
        verified(sandbox, signed)
    with pytest.raises(CallbackRejected) as tampered:
        verify_callback(
            token_presented=CALLBACK_TOKEN,
            token_expected=CALLBACK_TOKEN,
            remote_addr="127.0.0.1",
            allowed_networks=[],
            signature=signed.headers[SIGNATURE_HEADER],
            raw_body=signed.body.replace(b"APPROVED", b"REJECTED"),
            webhook_secret=sandbox.config["NEXKASA_WEBHOOK_SECRET"],
        )
    assert (wrong_token.value.reason, tampered.value.reason) == ("token", "signature")
