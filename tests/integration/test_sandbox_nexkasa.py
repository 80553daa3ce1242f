"""NexKasa simulated to the letter of nexkasa-api.txt and public-notes §3, over real HTTP."""

from __future__ import annotations

import hashlib
import hmac
import uuid

import pytest

from tests.support.live_server import CallbackRecorder, RecordedRequest
from tests.support.sandbox import NexKasaCaller, SandboxControl

DEPOSIT_PATH = "/api/public/deposit-request/"
WITHDRAW_PATH = "/api/public/withdraw-request/"
SIGNATURE = "X-NexKasa-Signature"


def _transaction(sandbox: SandboxControl, **where: object) -> dict:
    found = [
        tx
        for tx in sandbox.records("nexkasa", "transactions")
        if all(tx.get(key) == value for key, value in where.items())
    ]
    assert len(found) == 1, found
    return found[0]


def _signed_and_unsigned(
    requests: list[RecordedRequest],
) -> tuple[RecordedRequest, RecordedRequest]:
    signed = [request for request in requests if SIGNATURE in request.headers]
    unsigned = [request for request in requests if SIGNATURE not in request.headers]
    assert len(signed) == 1 and len(unsigned) == 1, requests
    return signed[0], unsigned[0]


def _valid_signature(sandbox: SandboxControl, request: RecordedRequest) -> bool:
    secret = sandbox.config["NEXKASA_WEBHOOK_SECRET"].encode()
    expected = hmac.new(secret, request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request.headers[SIGNATURE])


@pytest.mark.parametrize("path", [DEPOSIT_PATH, WITHDRAW_PATH])
def test_get_says_the_api_is_active(nexkasa: NexKasaCaller, path: str) -> None:
    response = nexkasa.call("GET", path)

    assert response.status_code == 200
    assert response.json()["status"] == "active"


def test_deposit_answers_201_with_token_and_bank_details(nexkasa: NexKasaCaller) -> None:
    response = nexkasa.deposit(external_id="ORDER-1")

    assert response.status_code == 201
    body = response.json()
    assert list(body) == ["status", "transaction_token", "external_id", "banka_bilgileri"]
    assert body["status"] == "success"
    assert uuid.UUID(body["transaction_token"])
    assert body["external_id"] == "ORDER-1"
    assert set(body["banka_bilgileri"]) == {"banka_adi", "alici_adi", "iban"}
    assert body["banka_bilgileri"]["iban"].startswith("TR")


def test_deposit_without_external_id_answers_null(nexkasa: NexKasaCaller) -> None:
    assert nexkasa.deposit().json()["external_id"] is None


def test_deposit_answers_the_guides_legacy_shape_when_switched(
    sandbox: SandboxControl, nexkasa: NexKasaCaller
) -> None:
    assert sandbox.settings("nexkasa", deposit_response="legacy") == {"deposit_response": "legacy"}

    response = nexkasa.deposit()

    assert response.status_code == 201
    assert response.json() == {
        "status": "success",
        "transaction_id": _transaction(sandbox)["id"],
        "message": "Deposit request received.",
    }


def test_deposit_is_stored_pending_with_a_decimal_amount(
    sandbox: SandboxControl, nexkasa: NexKasaCaller
) -> None:
    token = nexkasa.deposit(amount=1500).json()["transaction_token"]

    transaction = _transaction(sandbox, transaction_token=token)
    assert transaction["status"] == "PENDING"
    assert transaction["type"] == "DEPOSIT"
    assert transaction["amount"] == "1500.00"
    assert isinstance(transaction["id"], int)


def test_withdraw_answers_201_and_waits_for_assignment(
    sandbox: SandboxControl, nexkasa: NexKasaCaller
) -> None:
    response = nexkasa.withdraw()

    assert response.status_code == 201
    body = response.json()
    assert body == {
        "status": "success",
        "transaction_id": body["transaction_id"],
        "message": "Talebiniz alındı, işleme hazırlanıyor",
    }
    assert isinstance(body["transaction_id"], int)
    assert _transaction(sandbox, id=body["transaction_id"])["status"] == "WAITING_ASSIGNMENT"


TOO_LONG_255 = "x" * 256


def _at_most(characters: int) -> str:
    return f"Ensure this field has no more than {characters} characters."


DEPOSIT_ERRORS = [
    ({"amount": "abc"}, "amount", "A valid number is required."),
    ({"amount": "0"}, "amount", "Miktar pozitif olmalıdır."),
    ({"amount": "-5.00"}, "amount", "Miktar pozitif olmalıdır."),
    ({"amount": "10.001"}, "amount", "Ensure that there are no more than 2 decimal places."),
    (
        {"amount": "1234567890123"},
        "amount",
        "Ensure that there are no more than 12 digits in total.",
    ),
    ({"amount": None}, "amount", "This field may not be null."),
    ({"full_name": ""}, "full_name", "This field may not be blank."),
    (
        {"full_name": TOO_LONG_255},
        "full_name",
        _at_most(255),
    ),
    ({"user_id": "u" * 101}, "user_id", _at_most(100)),
    ({"user_id": True}, "user_id", "Not a valid string."),
    (
        {"external_id": "e" * 101},
        "external_id",
        _at_most(100),
    ),
    ({"callback_url": "not a url"}, "callback_url", "Enter a valid URL."),
    ({"callback_url": "javascript:alert(1)"}, "callback_url", "Enter a valid URL."),
]


@pytest.mark.parametrize(("change", "field", "message"), DEPOSIT_ERRORS)
def test_deposit_rejects_each_invalid_field_drf_style(
    nexkasa: NexKasaCaller, change: dict, field: str, message: str
) -> None:
    response = nexkasa.deposit(**change)

    assert response.status_code == 400
    assert response.json() == {field: [message]}


@pytest.mark.parametrize("missing", ["amount", "full_name", "user_id"])
def test_deposit_requires_its_fields(nexkasa: NexKasaCaller, missing: str) -> None:
    body = {key: value for key, value in NexKasaCaller.DEPOSIT.items() if key != missing}

    response = nexkasa.call("POST", DEPOSIT_PATH, json=body)

    assert response.status_code == 400
    assert response.json() == {missing: ["This field is required."]}


def test_deposit_reports_every_invalid_field_at_once(nexkasa: NexKasaCaller) -> None:
    response = nexkasa.call("POST", DEPOSIT_PATH, json={})

    assert response.json() == {
        "full_name": ["This field is required."],
        "amount": ["This field is required."],
        "user_id": ["This field is required."],
    }


WITHDRAW_ERRORS = [
    ({"amount": "0.00"}, "amount", "Amount must be positive."),
    ({"customer_iban": "DE89370400440532013000"}, "customer_iban", "IBAN TR ile başlamalıdır."),
    ({"customer_iban": "TR12 0006 2000 0001"}, "customer_iban", "IBAN boşluk içermemelidir."),
    ({"customer_iban": "TR" + "1" * 33}, "customer_iban", _at_most(34)),
    ({"customer_name": ""}, "customer_name", "This field may not be blank."),
    ({"customer_name": TOO_LONG_255}, "customer_name", _at_most(255)),
    ({"external_id": "e" * 101}, "external_id", _at_most(100)),
    ({"callback_url": "ftp//broken"}, "callback_url", "Enter a valid URL."),
]


@pytest.mark.parametrize(("change", "field", "message"), WITHDRAW_ERRORS)
def test_withdraw_rejects_each_invalid_field_drf_style(
    nexkasa: NexKasaCaller, change: dict, field: str, message: str
) -> None:
    response = nexkasa.withdraw(**change)

    assert response.status_code == 400
    assert response.json() == {field: [message]}


@pytest.mark.parametrize("missing", ["amount", "customer_iban", "customer_name", "external_id"])
def test_withdraw_requires_its_fields(nexkasa: NexKasaCaller, missing: str) -> None:
    body = {key: value for key, value in NexKasaCaller.WITHDRAW.items() if key != missing}

    response = nexkasa.call("POST", WITHDRAW_PATH, json=body)

    assert response.json() == {missing: ["This field is required."]}


def test_malformed_json_and_other_media_types_are_refused(nexkasa: NexKasaCaller) -> None:
    json_type = {**nexkasa.auth, "Content-Type": "application/json"}
    malformed = nexkasa.call("POST", DEPOSIT_PATH, json_type, data=b"{not json")
    text_type = {**nexkasa.auth, "Content-Type": "text/plain"}
    plain = nexkasa.call("POST", DEPOSIT_PATH, text_type, data=b"amount=1")

    assert malformed.status_code == 400
    assert malformed.json()["detail"].startswith("JSON parse error - ")
    assert plain.status_code == 415


@pytest.mark.parametrize("path", [DEPOSIT_PATH, WITHDRAW_PATH])
def test_an_invalid_api_key_is_forbidden(nexkasa: NexKasaCaller, path: str) -> None:
    response = nexkasa.call("POST", path, {"X-API-KEY": "wrong"}, json={})

    assert response.status_code == 403
    assert response.json() == {"detail": "Invalid API Key"}


@pytest.mark.parametrize("path", [DEPOSIT_PATH, WITHDRAW_PATH])
def test_a_missing_api_key_is_forbidden_in_the_sandbox(nexkasa: NexKasaCaller, path: str) -> None:
    response = nexkasa.call("POST", path, {}, json={})

    assert response.status_code == 403
    assert list(response.json()) == ["detail"]


@pytest.mark.parametrize("amount", ["9.99", "50000.01"])
def test_deposit_outside_every_bank_accounts_limits_is_404(
    nexkasa: NexKasaCaller, amount: str
) -> None:
    response = nexkasa.deposit(amount=amount)

    assert response.status_code == 404
    assert response.json() == {
        "error": "Uygun hesap bulunamadı (Limitler dolu veya limit dışı miktar)."
    }


def test_second_deposit_of_a_user_with_one_pending_is_409(
    sandbox: SandboxControl, nexkasa: NexKasaCaller
) -> None:
    nexkasa.deposit(user_id="U1")

    second = nexkasa.deposit(user_id="U1")
    other_user = nexkasa.deposit(user_id="U2")

    assert second.status_code == 409
    assert second.json() == {"error": "Zaten bekleyen bir yatırım işleminiz var."}
    assert other_user.status_code == 201
    sandbox.approve("nexkasa", _transaction(sandbox, external_user_id="U1")["id"])
    assert nexkasa.deposit(user_id="U1").status_code == 201


def test_withdraw_with_a_waiting_or_pending_one_for_that_external_id_is_409(
    sandbox: SandboxControl, nexkasa: NexKasaCaller
) -> None:
    first = nexkasa.withdraw(external_id="W1").json()["transaction_id"]
    while_waiting = nexkasa.withdraw(external_id="W1")
    sandbox.assign("nexkasa", first)
    while_pending = nexkasa.withdraw(external_id="W1")

    for response in (while_waiting, while_pending):
        assert response.status_code == 409
        assert response.json() == {
            "error": "Zaten bekleyen bir işleminiz var. Lütfen sonuçlanmasını bekleyin."
        }
    sandbox.reject("nexkasa", first, reason="test")
    assert nexkasa.withdraw(external_id="W1").status_code == 201


@pytest.mark.parametrize(("path", "limit"), [(DEPOSIT_PATH, 10), (WITHDRAW_PATH, 5)])
def test_throttles_per_minute_until_the_sandbox_clock_moves_on(
    sandbox: SandboxControl, nexkasa: NexKasaCaller, path: str, limit: int
) -> None:
    for _ in range(limit):
        assert nexkasa.call("GET", path).status_code == 200

    throttled = nexkasa.call("GET", path)

    assert throttled.status_code == 429
    wait = int(throttled.headers["Retry-After"])
    assert 0 < wait <= 60
    assert throttled.json() == {
        "detail": f"Request was throttled. Expected available in {wait} seconds."
    }
    sandbox.advance(60)
    assert nexkasa.call("GET", path).status_code == 200


def test_approved_deposit_sends_nexkasas_two_callbacks(
    sandbox: SandboxControl, nexkasa: NexKasaCaller, callback_recorder: CallbackRecorder
) -> None:
    nexkasa.deposit(
        amount="1500.00", user_id="USER_7", external_id="ORDER-7",
        callback_url=callback_recorder.url_for("/nexkasa/callback?t=secret"),
    )  # fmt: skip
    transaction = _transaction(sandbox, external_user_id="USER_7")

    sandbox.approve("nexkasa", transaction["id"])

    signed, unsigned = _signed_and_unsigned(callback_recorder.wait_for(2))
    assert signed.path == "/nexkasa/callback" and signed.query == "t=secret"
    assert _valid_signature(sandbox, signed)
    processed_at = signed.json()["processed_at"]
    assert signed.body.decode() == (
        '{"amount": 1500.0, "external_id": "USER_7", "message": "Success", '
        f'"processed_at": "{processed_at}", "status": "APPROVED", '
        f'"transaction_id": {transaction["id"]}, "type": "DEPOSIT"}}'
    )
    assert unsigned.body.decode() == (
        f'{{"transaction_id": {transaction["id"]}, "status": "APPROVED", '
        '"external_id": "USER_7", "amount": "1500.00", "type": "DEPOSIT"}'
    )
    assert unsigned.headers["Content-Type"] == "application/json"


def test_rejected_deposit_callbacks_carry_the_reason(
    sandbox: SandboxControl, nexkasa: NexKasaCaller, callback_recorder: CallbackRecorder
) -> None:
    nexkasa.deposit(amount="1234.50", callback_url=callback_recorder.url_for())
    transaction = _transaction(sandbox)

    sandbox.reject("nexkasa", transaction["id"], reason="Ödeme bulunamadı")

    signed, unsigned = _signed_and_unsigned(callback_recorder.wait_for(2))
    assert _valid_signature(sandbox, signed)
    assert b'"amount": 1234.5,' in signed.body
    assert signed.json()["message"] == "Ödeme bulunamadı"
    assert signed.json()["status"] == "REJECTED"
    assert list(signed.json()) == sorted(signed.json())
    assert unsigned.json() == {
        "transaction_id": transaction["id"],
        "status": "REJECTED",
        "external_id": NexKasaCaller.DEPOSIT["user_id"],
        "amount": "1234.50",
        "type": "DEPOSIT",
    }


def test_withdrawal_is_assigned_then_approved_with_its_external_id(
    sandbox: SandboxControl, nexkasa: NexKasaCaller, callback_recorder: CallbackRecorder
) -> None:
    created = nexkasa.withdraw(external_id="TXN_1", callback_url=callback_recorder.url_for())
    transaction_id = created.json()["transaction_id"]

    too_early = sandbox.http.post(
        f"{sandbox.base_url('nexkasa')}/_operator/{transaction_id}/approve", json={}, timeout=5
    )
    assigned = sandbox.assign("nexkasa", transaction_id)
    approved = sandbox.approve("nexkasa", transaction_id)

    assert too_early.status_code == 409
    assert assigned["status"] == "PENDING"
    assert approved["status"] == "APPROVED"
    signed, unsigned = _signed_and_unsigned(callback_recorder.wait_for(2))
    assert _valid_signature(sandbox, signed)
    assert signed.json()["type"] == unsigned.json()["type"] == "WITHDRAW"
    assert signed.json()["external_id"] == unsigned.json()["external_id"] == "TXN_1"
    assert unsigned.json()["amount"] == "5000.00"


def test_assignment_sends_no_callback(
    sandbox: SandboxControl, nexkasa: NexKasaCaller, callback_recorder: CallbackRecorder
) -> None:
    created = nexkasa.withdraw(callback_url=callback_recorder.url_for())

    sandbox.assign("nexkasa", created.json()["transaction_id"])

    assert sandbox.wait_for_webhooks_idle() == []
    assert callback_recorder.requests == []


def test_a_failing_callback_receiver_gets_no_retry(
    sandbox: SandboxControl, nexkasa: NexKasaCaller
) -> None:
    with CallbackRecorder(statuses=[500]) as failing:
        nexkasa.deposit(callback_url=failing.url_for())
        sandbox.approve("nexkasa", _transaction(sandbox)["id"])

        failing.wait_for(2)
        deliveries = sandbox.wait_for_webhooks_idle()

        assert len(failing.requests) == 2
    assert [(d["attempt"], d["status"], d["final"]) for d in deliveries] == [(1, 500, True)] * 2


@pytest.mark.parametrize("status", [202, 204, 422, 500])
def test_a_callback_answered_with_anything_but_200_is_not_delivered(
    sandbox: SandboxControl, nexkasa: NexKasaCaller, status: int
) -> None:
    """nexkasa-api.txt §4, Önemli Notlar 1: the receiver "200 OK HTTP kodu dönmelidir"."""
    with CallbackRecorder(statuses=[status, 200]) as receiver:
        nexkasa.deposit(callback_url=receiver.url_for())
        sandbox.approve("nexkasa", _transaction(sandbox)["id"])
        receiver.wait_for(2)
        deliveries = sandbox.wait_for_webhooks_idle()

    assert [(d["status"], d["delivered"]) for d in deliveries] == [(status, False), (200, True)]


def test_no_callback_url_means_no_callbacks(
    sandbox: SandboxControl, nexkasa: NexKasaCaller
) -> None:
    nexkasa.deposit()

    sandbox.approve("nexkasa", _transaction(sandbox)["id"])

    assert sandbox.wait_for_webhooks_idle() == []


def test_a_decided_transaction_cannot_be_decided_again(
    sandbox: SandboxControl, nexkasa: NexKasaCaller
) -> None:
    nexkasa.deposit()
    transaction_id = _transaction(sandbox)["id"]
    sandbox.approve("nexkasa", transaction_id)
    operator_url = f"{sandbox.base_url('nexkasa')}/_operator"

    again = sandbox.http.post(f"{operator_url}/{transaction_id}/reject", json={}, timeout=5)
    unknown = sandbox.http.post(f"{operator_url}/999/approve", json={}, timeout=5)

    assert again.status_code == 409
    assert unknown.status_code == 404


def test_faults_answer_with_nexkasas_error_shape(
    sandbox: SandboxControl, nexkasa: NexKasaCaller
) -> None:
    sandbox.fault(
        route=f"POST {DEPOSIT_PATH}", status=500, body={"error": "Sistemsel bir hata oluştu."},
        count=1,
    )  # fmt: skip

    failed = nexkasa.deposit()
    recovered = nexkasa.deposit()

    assert failed.status_code == 500
    assert failed.json() == {"error": "Sistemsel bir hata oluştu."}
    assert recovered.status_code == 201
