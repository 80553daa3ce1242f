"""NexKasa's wire format, error mapping and callback checks: pure logic."""

from __future__ import annotations

import hashlib
import hmac
import json
import pickle
from decimal import Decimal
from ipaddress import ip_network
from typing import Any

import pytest
import requests

from webapp.money import Money, MoneyError
from webapp.providers.errors import ProviderAuthError, ProviderRateLimited, ProviderUnavailable
from webapp.providers.nexkasa import (
    AlreadyPending,
    Blacklisted,
    CallbackRejected,
    DepositRequest,
    InvalidRequest,
    NoSuitableAccount,
    WithdrawalRequest,
    deposit_from_wire,
    deposit_to_wire,
    error_from_nexkasa,
    parse_callback,
    verify_callback,
    withdrawal_from_wire,
    withdrawal_to_wire,
)

TOKEN = "callback-token-0123456789"
SECRET = "64hexwebhooksecret"
NETWORKS = [ip_network("203.0.113.0/24"), ip_network("2001:db8::/32")]

# public-notes §3.5, as NexKasa's code writes them (and the sandbox sends them).
SIGNED = (
    b'{"amount": 1500.0, "external_id": "USER_7", "message": "Success", '
    b'"processed_at": "2026-01-06 10:00:00.123456+00:00", "status": "APPROVED", '
    b'"transaction_id": 105, "type": "DEPOSIT"}'
)
UNSIGNED = (
    b'{"transaction_id": 105, "status": "APPROVED", "external_id": "USER_7", '
    b'"amount": "1500.00", "type": "DEPOSIT"}'
)


def try_(text: str) -> Money:
    return Money(Decimal(text), "TRY")


def hex_signature(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --- request bodies ---------------------------------------------------------------------------


def test_deposit_body_writes_the_amount_as_text_and_leaves_out_missing_options() -> None:
    body = deposit_to_wire(DepositRequest(try_("1500"), "Ahmet Yılmaz", "USER_ID_12345", None))

    assert body == {"amount": "1500.00", "full_name": "Ahmet Yılmaz", "user_id": "USER_ID_12345"}


def test_deposit_body_with_callback_and_external_id() -> None:
    request = DepositRequest(
        try_("10.5"), "A", "U1", "https://shop.example/hooks/nexkasa/7?t=x", external_id="PAY-7"
    )

    assert deposit_to_wire(request) == {
        "amount": "10.50",
        "full_name": "A",
        "user_id": "U1",
        "external_id": "PAY-7",
        "callback_url": "https://shop.example/hooks/nexkasa/7?t=x",
    }


def test_withdrawal_body_sends_the_iban_upper_case_without_spaces() -> None:
    request = WithdrawalRequest(
        try_("5000"), "tr12 0006 2000 0001 2345 6789 01", "Mehmet Demir", "TXN_998877", None
    )

    assert withdrawal_to_wire(request) == {
        "amount": "5000.00",
        "customer_iban": "TR120006200000012345678901",
        "customer_name": "Mehmet Demir",
        "external_id": "TXN_998877",
    }


def test_only_positive_try_amounts_are_sent() -> None:
    with pytest.raises(MoneyError):
        deposit_to_wire(DepositRequest(Money(Decimal("5"), "USD"), "A", "U", None))
    with pytest.raises(MoneyError):
        deposit_to_wire(DepositRequest(try_("0"), "A", "U", None))


# --- answers ----------------------------------------------------------------------------------


def test_the_guides_deposit_answer_has_a_transaction_id() -> None:
    answer = {"status": "success", "transaction_id": 105, "message": "Deposit request received."}

    accepted = deposit_from_wire(answer)

    assert (accepted.transaction_id, accepted.transaction_token, accepted.bank) == (105, None, None)


def test_the_newer_deposit_answer_has_a_token_and_bank_details() -> None:
    answer = {
        "status": "success",
        "transaction_token": "6f1c7f0e-8d9b-4c1e-9a53-0d7f1b2c3d4e",
        "external_id": None,
        "banka_bilgileri": {
            "banka_adi": "Ziraat Bankası",
            "alici_adi": "NexKasa A.Ş.",
            "iban": "TR840001000000012345678901",
        },
    }

    accepted = deposit_from_wire(answer)

    assert accepted.transaction_id is None
    assert accepted.transaction_token == "6f1c7f0e-8d9b-4c1e-9a53-0d7f1b2c3d4e"
    assert accepted.bank is not None
    assert accepted.bank.bank_name == "Ziraat Bankası"
    assert accepted.bank.account_holder == "NexKasa A.Ş."
    assert accepted.bank.iban == "TR840001000000012345678901"


@pytest.mark.parametrize(
    "answer",
    [
        {"status": "success"},
        {"status": "error", "transaction_id": 1},
        {"status": "success", "transaction_id": "105"},
        {"status": "success", "transaction_id": True},
        {"status": "success", "transaction_token": "t", "banka_bilgileri": {"iban": "TR"}},
        [],
    ],
)
def test_an_answer_we_cannot_read_is_malformed(answer: Any) -> None:
    with pytest.raises(ValueError):
        deposit_from_wire(answer)


def test_the_withdrawal_answer_of_nexkasas_code_has_a_transaction_id() -> None:
    answer = {"status": "success", "transaction_id": 7, "message": "Talebiniz alındı"}

    assert withdrawal_from_wire(answer).transaction_id == 7


@pytest.mark.parametrize(
    "answer",
    [
        {"status": "success", "message": "Talebiniz alındı, işleme hazırlanıyor"},
        {"status": "success", "transaction_id": "105"},
        {"status": "success", "transaction_id": True},
        {"status": "success", "transaction_id": 0},
        {"status": "success", "transaction_id": 2**64},
        {"detail": "ok"},
        "OK",
        None,  # an empty or non-JSON body
    ],
)
def test_any_withdrawal_2xx_is_accepted_with_or_without_an_id(answer: Any) -> None:
    """The guide shows no withdrawal answer (§3.2): a 2xx is an acceptance; the id comes later."""
    assert withdrawal_from_wire(answer).transaction_id is None


# --- error mapping ----------------------------------------------------------------------------


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Any:
    response = requests.Response()
    response.status_code = status
    response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response.headers.update(headers or {})
    return response


def test_400_carries_drf_field_errors() -> None:
    body = {"amount": ["A valid number is required."], "full_name": ["This field is required."]}

    error = error_from_nexkasa(answer(400, body))

    assert type(error) is InvalidRequest
    assert error.field_errors == {
        "amount": ("A valid number is required.",),
        "full_name": ("This field is required.",),
    }
    assert error.code == "invalid_request"
    assert "amount: A valid number is required." in (error.merchant_message or "")


def test_400_json_parse_error_has_no_fields_but_a_message() -> None:
    error = error_from_nexkasa(answer(400, {"detail": "JSON parse error - Expecting value"}))

    assert isinstance(error, InvalidRequest)
    assert error.field_errors == {}
    assert error.merchant_message == "JSON parse error - Expecting value"


def test_403_invalid_key_is_an_auth_error_and_blacklisting_is_told_apart() -> None:
    bad_key = error_from_nexkasa(answer(403, {"detail": "Invalid API Key"}))
    blacklisted = error_from_nexkasa(answer(403, {"error": "IBAN kara listede."}))

    assert type(bad_key) is ProviderAuthError
    assert bad_key.merchant_message == "Invalid API Key"
    assert type(blacklisted) is Blacklisted
    assert isinstance(blacklisted, ProviderAuthError)


def test_404_no_suitable_account_and_an_html_404_are_different() -> None:
    no_account = error_from_nexkasa(answer(404, {"error": "Uygun hesap bulunamadı."}))
    wrong_url = error_from_nexkasa(answer(404, b"<h1>Not Found</h1>"))

    assert type(no_account) is NoSuitableAccount
    assert no_account.merchant_message == "Uygun hesap bulunamadı."
    assert not isinstance(wrong_url, NoSuitableAccount)


def test_409_is_already_pending() -> None:
    error = error_from_nexkasa(answer(409, {"error": "Zaten bekleyen bir yatırım işleminiz var."}))

    assert type(error) is AlreadyPending
    assert error.code == "already_pending"


def test_429_and_500() -> None:
    limited = error_from_nexkasa(
        answer(429, {"detail": "Request was throttled."}, {"Retry-After": "6"})
    )
    failed = error_from_nexkasa(answer(500, b"Server Error"))

    assert isinstance(limited, ProviderRateLimited)
    assert limited.retry_after is not None and limited.retry_after.total_seconds() == 6
    assert isinstance(failed, ProviderUnavailable) and failed.outcome_unknown


def test_errors_with_field_errors_survive_pickling() -> None:
    error = error_from_nexkasa(answer(400, {"amount": ["bad"]}))

    assert pickle.loads(pickle.dumps(error)).field_errors == {"amount": ("bad",)}  # noqa: S301


# --- verify_callback --------------------------------------------------------------------------


def verify(**changes: Any) -> None:
    arguments: dict[str, Any] = {
        "token_presented": TOKEN,
        "token_expected": TOKEN,
        "remote_addr": "203.0.113.7",
        "allowed_networks": NETWORKS,
        "signature": hex_signature(SIGNED),
        "raw_body": SIGNED,
        "webhook_secret": SECRET,
    }
    verify_callback(**{**arguments, **changes})


def reason(**changes: Any) -> str:
    with pytest.raises(CallbackRejected) as raised:
        verify(**changes)
    return raised.value.reason


def test_a_signed_callback_from_an_allowed_address_with_our_token_passes() -> None:
    verify()


def test_an_unsigned_callback_passes_on_token_and_address() -> None:
    verify(signature=None, raw_body=UNSIGNED)


@pytest.mark.parametrize("presented", [None, "", "wrong", TOKEN + "x", "çallback-token"])
def test_a_wrong_or_missing_token_is_refused(presented: str | None) -> None:
    assert reason(token_presented=presented) == "token"


@pytest.mark.parametrize("address", ["198.51.100.7", "2001:db9::1", "not-an-ip", ""])
def test_an_address_outside_the_allowlist_is_refused(address: str) -> None:
    assert reason(remote_addr=address) == "ip"


@pytest.mark.parametrize("address", ["2001:db8::42", "[2001:db8::1]", "::ffff:203.0.113.9"])
def test_ipv6_and_ipv4_mapped_addresses_are_matched(address: str) -> None:
    verify(remote_addr=address)


def test_an_empty_allowlist_allows_any_address() -> None:
    verify(allowed_networks=[], remote_addr="198.51.100.7")


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "0" * 64,
        hex_signature(SIGNED, "another-secret"),
        hex_signature(UNSIGNED),
        "é" * 64,
    ],
)
def test_a_bad_signature_is_refused(signature: str) -> None:
    assert reason(signature=signature) == "signature"


def test_an_upper_case_signature_is_accepted() -> None:
    verify(signature=hex_signature(SIGNED).upper())


def test_a_signed_callback_without_our_secret_is_refused() -> None:
    assert reason(webhook_secret=None) == "signature"


def test_verification_never_passes_without_an_expected_token() -> None:
    with pytest.raises(ValueError, match="token"):
        verify(token_expected="", token_presented="")


# --- parse_callback ---------------------------------------------------------------------------


def test_the_signed_shape_keeps_the_float_amount_exact() -> None:
    callback = parse_callback(SIGNED)

    assert callback.transaction_id == 105
    assert callback.status == "APPROVED"
    assert callback.external_id == "USER_7"
    assert callback.amount == try_("1500.00")
    assert callback.type == "DEPOSIT"
    assert callback.message == "Success"
    assert callback.processed_at == "2026-01-06 10:00:00.123456+00:00"
    assert callback.signed_shape is True


def test_the_unsigned_shape() -> None:
    callback = parse_callback(UNSIGNED)

    assert (callback.transaction_id, callback.status, callback.type) == (105, "APPROVED", "DEPOSIT")
    assert callback.amount == try_("1500.00")
    assert (callback.message, callback.processed_at, callback.signed_shape) == (None, None, False)


def test_a_rejected_withdrawal_with_a_fractional_amount_and_null_processed_at() -> None:
    body = (
        b'{"amount": 1234.5, "external_id": "TXN_1", "message": "IBAN hatal\\u0131", '
        b'"processed_at": null, "status": "REJECTED", "transaction_id": 7, "type": "WITHDRAW"}'
    )

    callback = parse_callback(body)

    assert callback.amount == try_("1234.50")
    assert callback.message == "IBAN hatalı"
    assert callback.processed_at is None
    assert callback.signed_shape is True


@pytest.mark.parametrize("status", ["WAITING_ASSIGNMENT", "PENDING"])
def test_non_final_statuses_parse(status: str) -> None:
    assert parse_callback(UNSIGNED.replace(b"APPROVED", status.encode())).status == status


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff",
        b"[105]",
        UNSIGNED.replace(b'"transaction_id": 105', b'"transaction_id": "105"'),
        UNSIGNED.replace(b'"transaction_id": 105', b'"transaction_id": true'),
        UNSIGNED.replace(b'"transaction_id": 105', b'"transaction_id": 0'),
        UNSIGNED.replace(b'"transaction_id": 105', b'"transaction_id": ' + b"9" * 300),
        UNSIGNED.replace(b"APPROVED", b"PAID"),
        UNSIGNED.replace(b'"APPROVED"', b"[]"),  # unhashable: no set lookup may raise
        UNSIGNED.replace(b'"APPROVED"', b'{"APPROVED": 1}'),
        UNSIGNED.replace(b"DEPOSIT", b"REFUND"),
        UNSIGNED.replace(b'"DEPOSIT"', b'["DEPOSIT"]'),
        UNSIGNED.replace(b'"DEPOSIT"', b"{}"),
        UNSIGNED.replace(b"USER_7", b"USER_7\\u0000"),  # text no database column takes
        UNSIGNED.replace(b"USER_7", b"USER_\\ud800"),
        SIGNED.replace(b"Success", b"Success\\u0000"),
        SIGNED.replace(b"+00:00", b"\\udfff"),
        UNSIGNED.replace(b'"1500.00"', b'"1.500,00"'),
        UNSIGNED.replace(b'"1500.00"', b'"-1500.00"'),
        UNSIGNED.replace(b'"1500.00"', b"1500.001"),
        UNSIGNED.replace(b'"1500.00"', b"NaN"),
        UNSIGNED.replace(b'"1500.00"', b"null"),
        UNSIGNED.replace(b'"USER_7"', b"7"),
        SIGNED.replace(b'"Success"', b"1"),
    ],
)
def test_a_malformed_callback_is_rejected(body: bytes) -> None:
    with pytest.raises(CallbackRejected) as raised:
        parse_callback(body)

    assert raised.value.reason == "malformed"
