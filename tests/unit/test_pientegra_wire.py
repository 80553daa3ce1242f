"""Pientegra's wire format, error mapping, webhook signatures and our rate limiter: pure logic."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from webapp.models import ProviderEvent
from webapp.money import Money, MoneyError
from webapp.providers._ratelimit import InProcessRateLimiter, limit_key
from webapp.providers.errors import (
    ProviderAuthError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
)
from webapp.providers.pientegra import (
    DepositRequest,
    EventError,
    IdempotencyConflict,
    IdempotencyInFlight,
    PientegraClient,
    SignatureError,
    WithdrawalRequest,
    error_from_pientegra,
    parse_event,
    pientegra_http,
    signature_header,
    verify_signature,
)
from webapp.providers.pientegra_webhooks import MAX_EVENT_ID
from webapp.providers.pientegra_wire import (
    Malformed,
    deposit_from_wire,
    deposit_to_wire,
    event_record_from_wire,
    intent_from_wire,
    list_query,
    page_from_wire,
    to_wire_time,
    withdrawal_from_wire,
    withdrawal_to_wire,
)

SECRET = "whsec_current-secret"
PREVIOUS = "whsec_previous-secret"
NOW_MS = 1_730_131_200_000
BODY = b'{"eventId":"evt_1","eventType":"intent.approved","occurredAt":"2026-04-28T12:00:00.000Z"}'


def try_(text: str) -> Money:
    return Money(Decimal(text), "TRY")


def sign(body: bytes, secret: str, t: int) -> str:
    return hmac.new(secret.encode(), b"%d." % t + body, hashlib.sha256).hexdigest()


# --- request bodies ---------------------------------------------------------------------------


def test_deposit_body_has_minor_units_and_camel_case_fields() -> None:
    body = deposit_to_wire(DepositRequest("user-42", "Ayşe K.", try_("1000.00")))

    assert body == {
        "externalUserId": "user-42",
        "externalUserLabel": "Ayşe K.",
        "amount": "100000",
        "currency": "TRY",
    }


def test_deposit_body_leaves_out_a_missing_label() -> None:
    assert "externalUserLabel" not in deposit_to_wire(DepositRequest("u", None, try_("1.00")))


@pytest.mark.parametrize(
    ("amount", "code"), [("0.99", "amount_below_min"), ("1000000.01", "amount_above_max")]
)
def test_amounts_outside_pientegras_range_are_refused_before_sending(
    amount: str, code: str
) -> None:
    with pytest.raises(MoneyError, match=code):
        deposit_to_wire(DepositRequest("u", None, try_(amount)))


def test_only_try_is_sent() -> None:
    with pytest.raises(MoneyError, match="TRY"):
        deposit_to_wire(DepositRequest("u", None, Money(Decimal("10.00"), "EUR")))


def test_a_label_longer_than_128_characters_is_refused() -> None:
    with pytest.raises(ValueError, match="128"):
        deposit_to_wire(DepositRequest("u", "x" * 129, try_("10.00")))


def test_withdrawal_body_normalises_the_iban() -> None:
    request = WithdrawalRequest(
        "user-42", None, try_("2500.00"), "tr32 0010 0099 9990 1234 5678 90", "Mehmet Demir"
    )

    assert withdrawal_to_wire(request) == {
        "externalUserId": "user-42",
        "amount": "250000",
        "currency": "TRY",
        "targetIban": "TR320010009999901234567890",
        "targetHolderName": "Mehmet Demir",
    }


def test_list_query_writes_utc_milliseconds_and_comma_separated_filters() -> None:
    istanbul = timezone(timedelta(hours=3))
    params = list_query(
        datetime(2026, 4, 28, 15, 0, tzinfo=istanbul),
        datetime(2026, 4, 29, tzinfo=UTC),
        "opaque==",
        100,
        status=["APPROVED", "REJECTED"],
        eventType=[],
    )

    assert params == [
        ("createdFrom", "2026-04-28T12:00:00.000Z"),
        ("createdTo", "2026-04-29T00:00:00.000Z"),
        ("status", "APPROVED,REJECTED"),
        ("cursor", "opaque=="),
        ("limit", "100"),
    ]


@pytest.mark.parametrize("limit", [0, 101, True])
def test_list_limit_is_1_to_100(limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        list_query(None, None, None, limit)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        to_wire_time(datetime(2026, 4, 28))  # noqa: DTZ001 - the naive time is the point


# --- responses --------------------------------------------------------------------------------

DEPOSIT_ANSWER = {  # public-notes §2.3, the documented example
    "intentId": "01927b3c-0000-7000-8000-000000000001",
    "referenceNo": "D-2026-0000123",
    "depositUrl": "https://pay.tenant.example/d/eyJ",
    "requestedAmount": "100000",
    "amount": "100000",
    "currency": "TRY",
    "expiresAt": "2026-04-28T12:30:00.000Z",
}


def test_deposit_answer_is_read_exactly() -> None:
    deposit = deposit_from_wire(DEPOSIT_ANSWER)

    assert deposit.intent_id == DEPOSIT_ANSWER["intentId"]
    assert deposit.reference_no == "D-2026-0000123"
    assert deposit.deposit_url == "https://pay.tenant.example/d/eyJ"
    assert deposit.requested_amount == deposit.amount == try_("1000.00")
    assert deposit.currency == "TRY"
    assert deposit.expires_at == datetime(2026, 4, 28, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "change",
    [
        {"intentId": None},
        {"amount": "1000.00"},  # minor units only
        {"amount": 1000.5},
        {"amount": "-5"},
        {"currency": "USD"},
        {"depositUrl": "javascript:alert(1)"},
        {"expiresAt": "tomorrow"},
    ],
)
def test_a_deposit_answer_we_cannot_read_exactly_is_malformed(change: dict[str, Any]) -> None:
    with pytest.raises(Malformed):
        deposit_from_wire({**DEPOSIT_ANSWER, **change})


def test_withdrawal_answer_and_undocumented_fields() -> None:
    created = withdrawal_from_wire({"withdrawalId": "w-1", "referenceNo": "W-2026-0000123"})
    looked_up = withdrawal_from_wire(
        {"id": "w-1", "status": "SENT", "amount": "250000", "bankRef": "X-1", "currency": "TRY"}
    )

    assert (created.withdrawal_id, created.reference_no, created.status) == (
        "w-1",
        "W-2026-0000123",
        None,
    )
    assert looked_up.withdrawal_id == "w-1"
    assert looked_up.status == "SENT"
    assert looked_up.amount == try_("2500.00")
    assert looked_up.raw["bankRef"] == "X-1"


def test_list_page_with_intents_and_a_cursor() -> None:
    page = page_from_wire(
        {
            "data": [
                {
                    "intentId": "i-1",
                    "referenceNo": "D-1",
                    "status": "APPROVED",
                    "requestedAmount": "100000",
                    "amount": "99950",
                    "currency": "TRY",
                    "approvedAt": "2026-04-28T12:10:00.000Z",
                    "rejectedAt": None,
                    "rejectedReason": None,
                }
            ],
            "nextCursor": "c2",
        },
        intent_from_wire,
    )

    (intent,) = page.items
    assert page.next_cursor == "c2"
    assert intent.amount == try_("999.50") and intent.requested_amount == try_("1000.00")
    assert intent.approved_at == datetime(2026, 4, 28, 12, 10, tzinfo=UTC)
    assert intent.rejected_at is None


def test_event_ledger_row() -> None:
    record = event_record_from_wire(
        {
            "eventId": "e-1",
            "eventType": "intent.approved",
            "occurredAt": "2026-04-28T12:00:00Z",
            "deliveryStatus": "DEAD",
            "attempts": 8,
            "lastResponseStatus": 500,
            "lastError": "HTTP 500",
            "deliveredAt": None,
            "payload": {"intent": {"id": "i-1"}},
        }
    )

    assert (record.delivery_status, record.attempts, record.last_response_status) == (
        "DEAD",
        8,
        500,
    )
    assert record.payload == {"intent": {"id": "i-1"}}


# --- error mapping ----------------------------------------------------------------------------


def answer(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    response = requests.Response()
    response.status_code = status
    response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response.headers.update(headers or {})
    return response


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"code": "duplicate_idempotency_key", "message": "in flight"}},
        {"code": "duplicate_idempotency_key", "message": "in flight"},
        {"error": "duplicate_idempotency_key", "message": "in flight"},
    ],
)
def test_409_in_flight_is_its_own_exception_whatever_the_envelope(body: dict[str, Any]) -> None:
    error = error_from_pientegra(answer(409, body))

    assert type(error) is IdempotencyInFlight
    assert isinstance(error, ProviderRejected)
    assert (error.http_status, error.code, error.merchant_message) == (
        409,
        "duplicate_idempotency_key",
        "in flight",
    )


def test_409_reuse_with_a_different_body_is_a_conflict() -> None:
    error = error_from_pientegra(
        answer(409, {"error": "idempotency_key_reuse_with_different_body"})
    )

    assert type(error) is IdempotencyConflict
    assert error.code == "idempotency_key_reuse_with_different_body"


@pytest.mark.parametrize(
    "body", [{"error": {"code": "conflict", "message": "try later"}}, b"<html>Conflict</html>"]
)
def test_any_other_409_to_a_keyed_request_is_in_flight_not_a_refusal(body: Any) -> None:
    keyed = answer(409, body)
    keyed.request = requests.Request(
        "POST", "https://pientegra.test/", headers={"Idempotency-Key": str(uuid.uuid4())}
    ).prepare()
    unkeyed = answer(409, body)
    unkeyed.request = requests.Request("GET", "https://pientegra.test/").prepare()

    assert type(error_from_pientegra(keyed)) is IdempotencyInFlight  # §2.7 [NF]: resend, same key
    assert type(error_from_pientegra(unkeyed)) is ProviderRejected


def test_an_error_string_that_reads_as_prose_is_the_message() -> None:
    error = error_from_pientegra(answer(422, {"error": "Amount is too small."}))

    assert type(error) is ProviderRejected
    assert (error.code, error.merchant_message) == (None, "Amount is too small.")


def test_401_is_an_auth_error_and_429_keeps_retry_after() -> None:
    unauthorized = error_from_pientegra(answer(401, {"error": "unauthorized"}))
    limited = error_from_pientegra(answer(429, b"slow down", {"Retry-After": "7"}))

    assert isinstance(unauthorized, ProviderAuthError) and unauthorized.code == "unauthorized"
    assert isinstance(limited, ProviderRateLimited)
    assert limited.retry_after == timedelta(seconds=7)


def test_a_5xx_with_an_html_body_is_unavailable() -> None:
    error = error_from_pientegra(answer(502, b"<html>Bad gateway</html>"))

    assert isinstance(error, ProviderUnavailable) and error.outcome_unknown


# --- client arguments -------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["order-42", "", str(uuid.uuid1()), "not-a-uuid"])
def test_idempotency_keys_must_be_uuid_v4_or_v7(key: str) -> None:
    client = PientegraClient("http://127.0.0.1:9/api/v1", "sk_test")
    try:
        with pytest.raises(ValueError, match="UUID"):
            client.create_deposit(DepositRequest("u", None, try_("10.00")), key)
    finally:
        client.close()


def test_an_injected_http_layer_must_match_the_base_url() -> None:
    with pientegra_http("http://127.0.0.1:9/api/v1", "sk_test") as http:
        with pytest.raises(ValueError, match="base URL"):
            PientegraClient("http://127.0.0.1:9/other", "sk_test", http=http)
        limiter = InProcessRateLimiter()
        with pytest.raises(ValueError, match="rate_limiter"):
            PientegraClient("http://127.0.0.1:9/api/v1", "sk_test", http=http, rate_limiter=limiter)


# --- webhook signatures -----------------------------------------------------------------------


def verify(header: str, **options: Any) -> Any:
    return verify_signature(BODY, header, [SECRET], now_ms=NOW_MS, **options)


def test_a_valid_signature_verifies() -> None:
    verified = verify(f"t={NOW_MS},v1={sign(BODY, SECRET, NOW_MS)}")

    assert (verified.timestamp_ms, verified.stale) == (NOW_MS, False)


@pytest.mark.parametrize(
    "header",
    [
        f"t={NOW_MS},v1={sign(BODY, 'whsec_wrong', NOW_MS)}",  # another secret
        f"t={NOW_MS},v1={sign(BODY, SECRET.removeprefix('whsec_'), NOW_MS)}",  # prefix dropped
        f"t={NOW_MS + 1},v1={sign(BODY, SECRET, NOW_MS)}",  # timestamp moved
        f"t={NOW_MS},v1={sign(BODY + b' ', SECRET, NOW_MS)}",  # body changed
    ],
)
def test_a_forged_signature_is_a_mismatch(header: str) -> None:
    with pytest.raises(SignatureError) as raised:
        verify(header)

    assert raised.value.reason == "mismatch"


@pytest.mark.parametrize("offset_ms", [-300_001, 300_001])
def test_an_authentic_but_old_or_future_signature_is_stale(offset_ms: int) -> None:
    t = NOW_MS + offset_ms
    header = f"t={t},v1={sign(BODY, SECRET, t)}"

    with pytest.raises(SignatureError) as raised:
        verify(header)
    allowed = verify(header, allow_stale=True)

    assert raised.value.reason == "stale"
    assert (allowed.timestamp_ms, allowed.stale) == (t, True)


def test_the_tolerance_edge_is_inside_and_configurable() -> None:
    t = NOW_MS - 300_000
    header = f"t={t},v1={sign(BODY, SECRET, t)}"

    assert verify(header).stale is False
    with pytest.raises(SignatureError, match="stale"):
        verify(header, tolerance_ms=1_000)


def test_a_forged_old_signature_says_mismatch_even_when_stale_is_allowed() -> None:
    t = NOW_MS - 3_600_000
    with pytest.raises(SignatureError, match="mismatch"):
        verify(f"t={t},v1={sign(BODY, 'whsec_wrong', t)}", allow_stale=True)


def test_the_previous_secret_still_verifies_during_a_rotation() -> None:
    header = f"t={NOW_MS},v1={sign(BODY, PREVIOUS, NOW_MS)}"

    verified = verify_signature(BODY, header, [SECRET, PREVIOUS], now_ms=NOW_MS)

    assert verified.stale is False
    with pytest.raises(SignatureError, match="mismatch"):
        verify(header)


def test_any_of_several_v1_signatures_may_match() -> None:
    header = (
        f"t={NOW_MS}, v1={sign(BODY, 'whsec_other', NOW_MS)}, "
        f"v0=legacy, v1={sign(BODY, SECRET, NOW_MS).upper()}"
    )

    assert verify(header).timestamp_ms == NOW_MS


@pytest.mark.parametrize(
    "header",
    [
        "",
        "v1=" + "a" * 64,  # no t
        f"t={NOW_MS}",  # no v1
        f"t={NOW_MS},v1=abc",  # too short to be a digest
        f"t={NOW_MS},v1={'g' * 64}",  # not hex
        f"t=-1,v1={'a' * 64}",
        f"t=1e3,v1={'a' * 64}",
        f"t={NOW_MS},t={NOW_MS},v1={'a' * 64}",
        f"t={NOW_MS};v1={'a' * 64}",
        f"t={NOW_MS},v1=é{'a' * 63}",  # non-ASCII must not reach compare_digest
        f"t={NOW_MS}," + ",".join(["v1=" + "a" * 64] * 9),  # too many to try
        f"t={NOW_MS},v1={'a' * 64}," + "x" * 5000,
    ],
)
def test_a_malformed_header_is_refused(header: str) -> None:
    with pytest.raises(SignatureError) as raised:
        verify(header)

    assert raised.value.reason == "malformed"


@pytest.mark.parametrize("secrets", [[], [""], SECRET])
def test_verification_never_passes_without_a_secret(secrets: Any) -> None:
    with pytest.raises(ValueError, match="secret"):
        verify_signature(BODY, f"t={NOW_MS},v1={'a' * 64}", secrets, now_ms=NOW_MS)


@given(
    body=st.binary(max_size=2048),
    secret=st.text(min_size=1, max_size=64),
    t=st.integers(min_value=0, max_value=10**15),
)
def test_sign_then_verify_round_trips_for_any_body(body: bytes, secret: str, t: int) -> None:
    header = signature_header(body, secret, timestamp_ms=t)

    verified = verify_signature(body, header, [secret], now_ms=t)

    assert verified.timestamp_ms == t and not verified.stale
    with pytest.raises(SignatureError):
        verify_signature(body + b"!", header, [secret], now_ms=t)


# --- events -----------------------------------------------------------------------------------


def test_an_intent_event_is_parsed_with_exact_amounts() -> None:
    body = json.dumps(
        {
            "eventId": "evt_1",
            "eventType": "intent.approved",
            "occurredAt": "2026-04-28T12:00:00.000Z",
            "intent": {
                "id": "i-1",
                "referenceNo": "D-2026-0000123",
                "externalUserId": "user-42",
                "requestedAmount": "100000",
                "amount": "99999",
                "currency": "TRY",
                "status": "APPROVED",
            },
        }
    ).encode()

    event = parse_event(body)

    assert (event.event_id, event.event_type) == ("evt_1", "intent.approved")
    assert event.occurred_at == datetime(2026, 4, 28, 12, tzinfo=UTC)
    assert event.withdrawal is None
    assert event.intent is not None
    assert event.intent.intent_id == "i-1"
    assert event.intent.external_user_id == "user-42"
    assert event.intent.amount == try_("999.99")
    assert event.intent.requested_amount == try_("1000.00")


@pytest.mark.parametrize(
    "event_type",
    ["withdrawal.created", "withdrawal.sent", "withdrawal.returned", "withdrawal.future_thing"],
)
def test_withdrawal_events_keep_undocumented_fields(event_type: str) -> None:
    withdrawal = {"id": "w-1", "status": "SENT", "amount": "250000", "bankRef": {"x": 1.5}}
    body = json.dumps(
        {
            "eventId": "evt_2",
            "eventType": event_type,
            "occurredAt": "2026-04-28T12:00:00Z",
            "withdrawal": withdrawal,
        }
    ).encode()

    event = parse_event(body)

    assert event.event_type == event_type
    assert event.intent is None
    assert event.withdrawal is not None
    assert event.withdrawal.withdrawal_id == "w-1"
    assert event.withdrawal.amount == try_("2500.00")
    assert event.withdrawal.raw["bankRef"] == {"x": Decimal("1.5")}


def test_an_unknown_event_without_objects_parses() -> None:
    event = parse_event(BODY.replace(b"intent.approved", b"site.updated"))

    assert (event.event_type, event.intent, event.withdrawal) == ("site.updated", None, None)
    assert event.raw["eventId"] == "evt_1"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'{"eventType":"intent.approved","occurredAt":"2026-04-28T12:00:00Z"}',
        b'{"eventId":"e","eventType":"x","occurredAt":"yesterday"}',
        b'{"eventId":"e","eventType":"x","occurredAt":"2026-04-28T12:00:00Z","intent":{"id":1}}',
        b'{"eventId":"e","eventType":"x","occurredAt":"2026-04-28T12:00:00Z","amount":NaN}',
    ],
)
def test_an_unreadable_event_is_an_event_error(body: bytes) -> None:
    with pytest.raises(EventError):
        parse_event(body)


INTENT_EVENT = (
    b'{"eventId":"evt_1","eventType":"intent.approved","occurredAt":"2026-04-28T12:00:00Z",'
    b'"intent":{"id":"i-1","status":"APPROVED","amount":"100000","currency":"TRY"}}'
)
WITHDRAWAL_EVENT = (
    b'{"eventId":"evt_2","eventType":"withdrawal.sent","occurredAt":"2026-04-28T12:00:00Z",'
    b'"withdrawal":{"withdrawalId":"w-1","status":"SENT"}}'
)


@pytest.mark.parametrize(
    "body",
    [
        INTENT_EVENT.replace(b"evt_1", b"evt_\\ud800"),
        INTENT_EVENT.replace(b"evt_1", b"evt_1\\u0000"),
        INTENT_EVENT.replace(b"intent.approved", b"intent.\\udc00"),
        INTENT_EVENT.replace(b'"i-1"', b'"i-\\ud800"'),
        INTENT_EVENT.replace(b'"APPROVED"', b'"\\u0000APPROVED"'),
        WITHDRAWAL_EVENT.replace(b"w-1", b"w-\\udbff"),
        WITHDRAWAL_EVENT.replace(b"w-1", b"w-1\\u0000"),
        WITHDRAWAL_EVENT.replace(b'"SENT"}', b'"SENT","note":{"\\ud800":1}}'),  # keys too
    ],
)
def test_an_event_holding_text_no_database_takes_is_an_event_error(body: bytes) -> None:
    assert json.loads(body)  # valid JSON: only its text is unstorable
    with pytest.raises(EventError, match="NUL or an unpaired surrogate"):
        parse_event(body)


def test_an_event_id_longer_than_the_inbox_key_is_an_event_error() -> None:
    longest = "e" * MAX_EVENT_ID
    assert parse_event(INTENT_EVENT.replace(b"evt_1", longest.encode())).event_id == longest
    with pytest.raises(EventError, match="eventId"):
        parse_event(INTENT_EVENT.replace(b"evt_1", longest.encode() + b"e"))
    assert ProviderEvent.event_key.type.length == MAX_EVENT_ID  # what the limit protects


# --- the in-process rate limiter --------------------------------------------------------------


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def limiter(time: FakeTime, **options: Any) -> InProcessRateLimiter:
    return InProcessRateLimiter(clock=time.clock, sleep=time.sleep, **options)


KEY = limit_key("pientegra", "sk_live_site_secret")


def test_sixty_requests_a_minute_go_through_without_waiting() -> None:
    time = FakeTime()
    limit = limiter(time)

    for _ in range(60):
        limit.acquire(KEY)

    assert time.slept == []


def test_the_61st_request_waits_for_the_oldest_slot_to_leave_the_window() -> None:
    time = FakeTime()
    limit = limiter(time, max_wait=60)
    for _ in range(60):
        limit.acquire(KEY)
        time.now += 0.5  # 60 requests spread over 30 seconds

    limit.acquire(KEY)

    assert time.slept == [pytest.approx(30.0)]


def test_a_wait_beyond_max_wait_raises_rate_limited_at_once() -> None:
    time = FakeTime()
    limit = limiter(time, limit=2, period=60, max_wait=5)
    limit.acquire(KEY)
    limit.acquire(KEY)

    with pytest.raises(ProviderRateLimited) as raised:
        limit.acquire(KEY)

    assert time.slept == []
    assert raised.value.provider == "pientegra"
    assert raised.value.code == "client_rate_limit"
    assert raised.value.retry_after == timedelta(seconds=60)


def test_the_window_slides_rather_than_resetting() -> None:
    time = FakeTime()
    limit = limiter(time, limit=2, period=10, max_wait=0)
    limit.acquire(KEY)
    time.now += 6
    limit.acquire(KEY)
    time.now += 5  # the first slot has left; the second has not

    limit.acquire(KEY)
    with pytest.raises(ProviderRateLimited):
        limit.acquire(KEY)


def test_each_api_key_has_its_own_budget() -> None:
    time = FakeTime()
    limit = limiter(time, limit=1, max_wait=0)
    limit.acquire(limit_key("pientegra", "key-a"))

    limit.acquire(limit_key("pientegra", "key-b"))
    with pytest.raises(ProviderRateLimited):
        limit.acquire(limit_key("pientegra", "key-a"))


def test_limit_keys_never_hold_the_credential() -> None:
    key = limit_key("pientegra", "sk_live_site_secret")

    assert key.startswith("pientegra:")
    assert "sk_live" not in key and "secret" not in key
    assert key == limit_key("pientegra", "sk_live_site_secret") != limit_key("pientegra", "x")


@pytest.mark.parametrize("options", [{"limit": 0}, {"period": 0}, {"max_wait": -1}])
def test_nonsense_limits_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        InProcessRateLimiter(**options)
