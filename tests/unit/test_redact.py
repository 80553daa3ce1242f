"""What ``redact()`` masks, what it leaves alone, and the logging filter built on it."""

from __future__ import annotations

import logging
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.providers._redact import (
    URLLIB3_LOGGERS,
    RedactingFilter,
    install_log_redaction,
    is_sensitive_name,
    masking,
    redact,
)
from webapp.providers.errors import ProviderRejected, ProviderUnavailable

PAN = "4508034508034509"
IBAN = "TR320010009999901234567890"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"card {PAN} declined", "card ****4509 declined"),
        ("card 4508 0345 0803 4509 declined", "card ****4509 declined"),
        ("card 4508-0345-0803-4509 declined", "card ****4509 declined"),
        ("amex 371449635398431.", "amex ****8431."),
        # Digit runs that fail the Luhn check are not card numbers: order numbers, and the
        # digits a random hex id of ours can hold (this one made a CI run fail once).
        ("order 4508034508034500 shipped", "order 4508034508034500 shipped"),
        (
            "POST /hooks/nexkasa/co_dc38e73a4512301923453531-1",
            "POST /hooks/nexkasa/co_dc38e73a4512301923453531-1",
        ),
        (f"iban {IBAN}", "iban TR****7890"),
        ("iban TR32 0010 0099 9990 1234 5678 90 ok", "iban TR****7890 ok"),
        ("de DE89370400440532013000", "de DE****3000"),
        ("Authorization: Bearer eyJhbGciOi.J9.x-y_z", "Authorization: ***"),
        ("sent Basic sck_pcs_jECRyoZq0khnsV9elaF/SIBVvxQI+bIW=", "sent Basic ***"),
        ("GET /sale?token=secret123&amount=12.50", "GET /sale?token=***&amount=12.50"),
        (
            "/x?sale_token=a1&card_token=b2&api_key=c3",
            "/x?sale_token=***&card_token=***&api_key=***",
        ),
        (
            "?cvv=123&pan=1&iban=x&signature=ab&hash=cd",
            "?cvv=***&pan=***&iban=***&signature=***&hash=***",
        ),
        ("Client(secret='s3 cr3t', ok=1)", "Client(secret='***', ok=1)"),
        (
            '{"cardNumber": "4111", "cvc": 123, "name": "Ayşe"}',
            '{"cardNumber": "***", "cvc": ***, "name": "Ayşe"}',
        ),
        ("{'X-API-KEY': '12345678-abcd'}", "{'X-API-KEY': '***'}"),
        ("X-API-KEY: 12345678-abcd-1234", "X-API-KEY: ***"),
        ('{"password": "a\\"b"}', '{"password": "***"}'),
    ],
)
def test_secrets_are_masked(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "POST /v1/sale -> 201 in 35ms (attempt 1)",
        "amount=12.50 currency=TRY status=200 installments=3",
        "Idempotency-Key: 3f2a-77 idempotency_key=abc",
        "order 2024-11-28 12:30:00 phone +90 532 123 45 67",
        "Ödeme alındı: ₺1.500,00",
        "http://127.0.0.1:5000/hooks/paytrek",
        "",
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert redact(text) == text


def with_check_digit(body: str) -> str:
    """``body`` and the digit that makes it pass the Luhn check, as every card number does."""
    for check in "0123456789":
        total = 0
        for position, digit in enumerate(int(d) for d in reversed(body + check)):
            if position % 2:
                digit = digit * 2 - 9 if digit > 4 else digit * 2
            total += digit
        if total % 10 == 0:
            return body + check
    raise AssertionError("unreachable: one check digit always fits")


@given(
    body=st.integers(min_value=10**11, max_value=10**18 - 1), sep=st.sampled_from(["", " ", "-"])
)
def test_any_13_to_19_digit_card_number_keeps_only_its_last_four(body, sep):
    digits = with_check_digit(str(body))
    grouped = sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))

    masked = redact(f"pay {grouped} now")

    assert masked == f"pay ****{digits[-4:]} now"


@given(body=st.integers(min_value=10**11, max_value=10**18 - 1), wrong=st.integers(1, 9))
def test_a_digit_run_failing_the_luhn_check_is_not_a_card_number(body, wrong):
    valid = with_check_digit(str(body))
    digits = valid[:-1] + str((int(valid[-1]) + wrong) % 10)

    assert redact(f"order {digits} shipped") == f"order {digits} shipped"


@given(digits=st.integers(min_value=0, max_value=10**24 - 1))
def test_any_turkish_iban_keeps_country_and_last_four(digits):
    iban = f"TR12{digits:024d}"

    assert redact(f"to {iban}.") == f"to TR****{iban[-4:]}."


@pytest.mark.parametrize(
    ("name", "sensitive"),
    [
        ("token", True),
        ("sale_token", True),
        ("saleToken", True),
        ("X-API-KEY", True),
        ("apikey", True),
        ("card_holder", True),
        ("Authorization", True),
        ("Idempotency-Key", False),
        ("amount", False),
        ("company", False),
        ("monkey", False),
    ],
)
def test_sensitive_names_are_recognised_by_their_words(name, sensitive):
    assert is_sensitive_name(name) is sensitive


def _record(msg: str, *args: object, exc_info: object = None) -> logging.LogRecord:
    return logging.LogRecord(
        "urllib3.connectionpool", logging.DEBUG, __file__, 1, msg, args, exc_info
    )


def test_the_filter_scrubs_a_urllib3_request_line_and_drops_nothing():
    record = _record(
        '%s://%s:%s "%s %s %s" %s %s',
        "https", "api.example", 443, "GET", "/v2/sale/?token=secret123", "HTTP/1.1", 200, 51,
    )  # fmt: skip

    assert RedactingFilter().filter(record) is True
    assert (
        record.getMessage() == 'https://api.example:443 "GET /v2/sale/?token=*** HTTP/1.1" 200 51'
    )


def test_the_filter_scrubs_tracebacks():
    try:
        raise ValueError(f"bad card {PAN}")
    except ValueError:
        record = _record("failed", exc_info=sys.exc_info())

    RedactingFilter().filter(record)

    assert PAN not in (record.exc_text or "")
    assert "****4509" in (record.exc_text or "")


def test_values_in_flight_are_masked_only_while_their_call_runs():
    record, later = _record("GET /v1/vault/ctok_9f8e7d6c/"), _record("ctok_9f8e7d6c")

    with masking(["ctok_9f8e7d6c", "ab"]):
        RedactingFilter().filter(record)
    RedactingFilter().filter(later)

    assert record.getMessage() == "GET /v1/vault/***/"
    assert later.getMessage() == "ctok_9f8e7d6c"


@pytest.fixture
def restore_log_filters():
    targets = [logging.getLogger(name) for name in URLLIB3_LOGGERS]
    targets += logging.getLogger().handlers
    saved = {target: list(target.filters) for target in targets}
    yield
    for target, filters in saved.items():
        target.filters[:] = filters


def test_install_log_redaction_is_idempotent(restore_log_filters):
    install_log_redaction()
    install_log_redaction()

    for name in URLLIB3_LOGGERS:
        filters = logging.getLogger(name).filters
        assert sum(isinstance(f, RedactingFilter) for f in filters) == 1
    for handler in logging.getLogger().handlers:
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1


def test_provider_errors_print_without_secrets():
    rejected = ProviderRejected(
        "paytrek", http_status=422, code="10009", merchant_message=f"Invalid card {PAN} / {IBAN}"
    )
    dropped = ProviderUnavailable("pientegra", merchant_message="ConnectionError: reset")

    assert str(rejected) == "paytrek HTTP 422 [10009] Invalid card ****4509 / TR****7890"
    assert rejected.merchant_message == f"Invalid card {PAN} / {IBAN}"  # the data stays whole
    assert str(dropped) == "pientegra ConnectionError: reset (outcome unknown)"
