"""Pientegra simulated to the letter of pientegra-external-api.txt and public-notes §2."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.support.live_server import POLL_SECONDS, CallbackRecorder, RecordedRequest
from tests.support.sandbox import TIMEOUT, PientegraCaller, SandboxControl

DEPOSITS = "/external/deposits"
SIGNATURE = "Pientegra-Signature"
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.fixture
def receiver(pientegra: PientegraCaller) -> Iterator[CallbackRecorder]:
    """The partner's webhook endpoint, set as the sandbox's Pientegra webhook URL."""
    with CallbackRecorder() as recorder:
        pientegra.send_webhooks_to(recorder.url_for("/hooks/pientegra"))
        yield recorder


def _error_code(response: requests.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


def _eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s")
        time.sleep(POLL_SECONDS)  # poll interval inside a deadline


def _signed_by(secret: str, request: RecordedRequest) -> bool:
    """The partner's check: HMAC-SHA256(secret verbatim, "<t>.<raw body>") against v1."""
    parts = dict(part.split("=", 1) for part in request.headers[SIGNATURE].split(","))
    signed = f"{parts['t']}.".encode() + request.body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def _events(receiver: CallbackRecorder, count: int) -> list[dict[str, Any]]:
    return [request.json() for request in receiver.wait_for(count)]


def _intent(pientegra: PientegraCaller, **fields: Any) -> dict[str, Any]:
    response = pientegra.deposit(**fields)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _lookup(pientegra: PientegraCaller, intent_id: str) -> dict[str, Any]:
    response = pientegra.get(f"/external/intents/{intent_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# Auth, idempotency, validation, rate limit


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic c2s6eA=="},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer sk_live_x_unknown"},
    ],
    ids=["missing", "other-scheme", "empty", "unknown-key"],
)
def test_requests_without_a_known_bearer_key_are_401(
    pientegra: PientegraCaller, headers: dict[str, str]
) -> None:
    lookup = pientegra.call("GET", "/external/intents", headers)
    create = pientegra.call("POST", DEPOSITS, {**headers, "Idempotency-Key": str(uuid.uuid4())})

    for response in (lookup, create):
        assert response.status_code == 401
        assert list(response.json()) == ["error"]
        assert response.json()["error"]["code"] == "unauthorized"
        assert set(response.json()["error"]) == {"code", "message", "details"}


def test_deposit_answers_201_with_the_documented_fields(
    sandbox: SandboxControl, pientegra: PientegraCaller
) -> None:
    response = pientegra.deposit(amount=100000, externalUserLabel="Ayşe Y.")

    assert response.status_code == 201
    body = response.json()
    assert list(body) == [
        "intentId",
        "referenceNo",
        "depositUrl",
        "requestedAmount",
        "amount",
        "currency",
        "expiresAt",
    ]
    assert uuid.UUID(body["intentId"]).version == 7
    assert re.fullmatch(r"D-\d{4}-0000001", body["referenceNo"])
    assert body["depositUrl"].startswith(f"{sandbox.url}/pientegra/d/")
    assert (body["requestedAmount"], body["amount"], body["currency"]) == (
        "100000",
        "100000",
        "TRY",
    )
    assert TIMESTAMP.fullmatch(body["expiresAt"])
    assert _lookup(pientegra, body["intentId"])["status"] == "RESERVED"


def test_a_post_without_an_idempotency_key_is_refused(pientegra: PientegraCaller) -> None:
    response = pientegra.call("POST", DEPOSITS, json=dict(PientegraCaller.DEPOSIT))

    assert response.status_code == 400
    assert _error_code(response) == "idempotency_key_required"


@pytest.mark.parametrize("key", ["order-42", str(uuid.uuid1()), "{" + str(uuid.uuid4()) + "}"])
def test_an_idempotency_key_must_be_a_uuid_v4_or_v7(pientegra: PientegraCaller, key: str) -> None:
    response = pientegra.deposit(idempotency_key=key)

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "validation_failed",
        "message": response.json()["error"]["message"],
        "details": {"field": "Idempotency-Key"},
    }


def test_the_same_key_and_body_replays_the_first_response(
    sandbox: SandboxControl, pientegra: PientegraCaller
) -> None:
    key = str(uuid.uuid4())

    first = pientegra.deposit(key)
    again = pientegra.post(DEPOSITS, {"amount": "100000", "externalUserId": "user-42"}, key)

    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert len(sandbox.records("pientegra", "intents")) == 1


def test_the_same_key_with_another_body_is_409(pientegra: PientegraCaller) -> None:
    key = str(uuid.uuid4())
    pientegra.deposit(key)

    response = pientegra.deposit(key, amount="100001")

    assert response.status_code == 409
    assert _error_code(response) == "idempotency_key_reuse_with_different_body"


def test_keys_are_scoped_per_operation_and_kept_24_hours(
    sandbox: SandboxControl, pientegra: PientegraCaller
) -> None:
    key = str(uuid.uuid4())
    pientegra.deposit(key)

    assert pientegra.withdraw(key).status_code == 201
    sandbox.advance(24 * 3600 + 1)
    assert pientegra.deposit(key, amount="100001").status_code == 201


def test_the_same_key_while_the_first_is_in_flight_is_409(
    sandbox: SandboxControl, pientegra: PientegraCaller
) -> None:
    sandbox.fault("pientegra", route=f"POST /api/v1{DEPOSITS}", latency_ms=2000, count=1)
    key = str(uuid.uuid4())

    def claimed() -> bool:
        return any(r["state"] == "IN_FLIGHT" for r in sandbox.records("pientegra", "idempotency"))

    with ThreadPoolExecutor(max_workers=1) as pool:
        slow = pool.submit(pientegra.deposit, key)
        _eventually(claimed)
        concurrent = pientegra.deposit(key)
        first = slow.result(timeout=10)
    retried = pientegra.deposit(key)

    assert concurrent.status_code == 409
    assert _error_code(concurrent) == "duplicate_idempotency_key"
    assert first.status_code == 201
    assert (retried.status_code, retried.content) == (201, first.content)


def test_a_request_a_fault_broke_frees_its_key(
    sandbox: SandboxControl, pientegra: PientegraCaller
) -> None:
    sandbox.fault("pientegra", route=f"POST /api/v1{DEPOSITS}", status=503, count=1)
    key = str(uuid.uuid4())

    assert pientegra.deposit(key).status_code == 503
    assert pientegra.deposit(key).status_code == 201
    assert len(sandbox.records("pientegra", "intents")) == 1


def test_a_retry_after_a_dropped_answer_replays_the_committed_deposit(
    sandbox: SandboxControl, pientegra: PientegraCaller
) -> None:
    sandbox.fault("pientegra", route=f"POST /api/v1{DEPOSITS}", drop=True, after=True, count=1)
    key = str(uuid.uuid4())

    with pytest.raises(requests.ConnectionError):
        pientegra.deposit(key)
    retried = pientegra.deposit(key)

    assert retried.status_code == 201
    [intent] = sandbox.records("pientegra", "intents")
    assert retried.json()["intentId"] == intent["id"]


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"amount": 99}, "amount_below_min"),
        ({"amount": "-100"}, "amount_below_min"),
        ({"amount": "100000001"}, "amount_above_max"),
        ({"amount": "100.50"}, "validation_failed"),
        ({"amount": 1000.5}, "validation_failed"),
        ({"amount": True}, "validation_failed"),
        ({"amount": None}, "validation_failed"),
        ({"currency": "USD"}, "validation_failed"),
        ({"externalUserId": ""}, "validation_failed"),
        ({"externalUserLabel": "x" * 129}, "validation_failed"),
    ],
)
def test_deposit_validation(pientegra: PientegraCaller, fields: dict, code: str) -> None:
    response = pientegra.deposit(**fields)

    assert response.status_code == 400
    assert _error_code(response) == code


@pytest.mark.parametrize("amount", [100, "100000000"])
def test_deposit_amount_bounds_are_inclusive(pientegra: PientegraCaller, amount: Any) -> None:
    assert pientegra.deposit(amount=amount).json()["amount"] == str(amount)


@pytest.mark.parametrize(
    "iban",
    ["TR320010009999901234567891", "TR32 0010 0099 9990 1234 5678 90", "DE89370400440532013000"],
)
def test_withdrawal_needs_a_valid_turkish_iban(pientegra: PientegraCaller, iban: str) -> None:
    response = pientegra.withdraw(targetIban=iban)

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"field": "targetIban"}


def test_a_withdrawal_amount_is_a_string_where_a_deposit_takes_a_number_too(
    pientegra: PientegraCaller,
) -> None:
    refused = pientegra.withdraw(amount=250000)  # §2.4 writes "250000"; §2.3 "string or number"

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "validation_failed"
    assert refused.json()["error"]["details"] == {"field": "amount"}
    assert pientegra.deposit(amount=250000).status_code == 201


def test_60_calls_a_minute_then_429_until_the_clock_moves_on(
    sandbox: SandboxControl, pientegra: PientegraCaller
) -> None:
    for _ in range(60):
        assert pientegra.get("/external/intents").status_code == 200

    throttled = pientegra.get("/external/intents")

    assert throttled.status_code == 429
    wait = int(throttled.headers["Retry-After"])
    assert 0 < wait <= 60
    assert throttled.json()["error"]["code"] == "rate_limit_exceeded"
    assert throttled.json()["error"]["details"] == {"retryAfterSeconds": wait}
    sandbox.advance(60)
    assert pientegra.get("/external/intents").status_code == 200


# Hosted deposit page


def test_deposit_page_shows_the_transfer_details_and_takes_the_customers_word(
    pientegra: PientegraCaller,
) -> None:
    intent = _intent(pientegra, amount="100050")

    page = requests.get(intent["depositUrl"], timeout=TIMEOUT)
    confirmed = requests.post(intent["depositUrl"], timeout=TIMEOUT)

    assert page.status_code == 200
    for shown in ("₺1.000,50", "TR710006701234567890123456", intent["referenceNo"], "30 dakika"):
        assert shown in page.text
    assert '<button type="submit">Ödemeyi yaptım</button>' in page.text
    assert "Ödemeniz kontrol ediliyor" in confirmed.text
    assert _lookup(pientegra, intent["intentId"])["status"] == "PENDING_REVIEW"


def test_an_unknown_deposit_page_is_404(sandbox: SandboxControl) -> None:
    response = requests.get(f"{sandbox.url}/pientegra/d/nope", timeout=TIMEOUT)

    assert response.status_code == 404
    assert "bulunamadı" in response.text


# Operator decisions and webhooks


def test_approval_sends_a_signed_intent_approved(
    pientegra: PientegraCaller, receiver: CallbackRecorder
) -> None:
    intent = _intent(pientegra, externalUserId="user-7")

    pientegra.operator("intents", intent["intentId"], "approve")

    [request] = receiver.wait_for(1)
    assert request.path == "/hooks/pientegra"
    assert request.headers["Content-Type"] == "application/json"
    assert re.fullmatch(r"t=\d{13},v1=[0-9a-f]{64}", request.headers[SIGNATURE])
    assert _signed_by(pientegra.webhook_secret, request)
    assert pientegra.webhook_secret.startswith("whsec_")
    event = request.json()
    assert list(event) == ["eventId", "eventType", "occurredAt", "intent"]
    assert event["eventType"] == "intent.approved"
    assert TIMESTAMP.fullmatch(event["occurredAt"])
    assert event["intent"] == {
        "id": intent["intentId"],
        "referenceNo": intent["referenceNo"],
        "externalUserId": "user-7",
        "requestedAmount": "100000",
        "amount": "100000",
        "currency": "TRY",
        "status": "APPROVED",
    }
    looked_up = _lookup(pientegra, intent["intentId"])
    assert looked_up["status"] == "APPROVED" and TIMESTAMP.fullmatch(looked_up["approvedAt"])


def test_approval_for_another_amount_keeps_the_requested_one(
    pientegra: PientegraCaller, receiver: CallbackRecorder
) -> None:
    intent = _intent(pientegra, amount="100000")

    pientegra.operator("intents", intent["intentId"], "approve", amount="95000")

    [event] = _events(receiver, 1)
    assert (event["intent"]["requestedAmount"], event["intent"]["amount"]) == ("100000", "95000")
    looked_up = _lookup(pientegra, intent["intentId"])
    assert (looked_up["requestedAmount"], looked_up["amount"]) == ("100000", "95000")


def test_rejection_sends_intent_rejected_and_keeps_the_reason(
    pientegra: PientegraCaller, receiver: CallbackRecorder
) -> None:
    intent = _intent(pientegra)

    pientegra.operator("intents", intent["intentId"], "reject", reason="Havale bulunamadı")

    [event] = _events(receiver, 1)
    assert (event["eventType"], event["intent"]["status"]) == ("intent.rejected", "REJECTED")
    looked_up = _lookup(pientegra, intent["intentId"])
    assert looked_up["rejectedReason"] == "Havale bulunamadı"
    assert TIMESTAMP.fullmatch(looked_up["rejectedAt"])


def test_an_expired_intent_is_auto_cancelled_then_may_arrive_late(
    sandbox: SandboxControl, pientegra: PientegraCaller, receiver: CallbackRecorder
) -> None:
    intent = _intent(pientegra)
    sandbox.advance(30 * 60 + 1)

    expired_page = requests.get(intent["depositUrl"], timeout=TIMEOUT)
    cancelled = _lookup(pientegra, intent["intentId"])
    pientegra.operator("intents", intent["intentId"], "late-arrival")

    assert "süresi doldu" in expired_page.text
    assert "Ödemeyi yaptım" not in expired_page.text
    assert cancelled["status"] == "AUTO_CANCELLED"
    events = _events(receiver, 2)
    assert [(e["eventType"], e["intent"]["status"]) for e in events] == [
        ("intent.auto_cancelled", "AUTO_CANCELLED"),
        ("intent.late_arrival", "LATE_ARRIVAL"),
    ]


def test_a_decided_intent_cannot_be_decided_again(pientegra: PientegraCaller) -> None:
    intent = _intent(pientegra)
    pientegra.operator("intents", intent["intentId"], "approve")
    operator_url = f"{pientegra.sandbox.url}/pientegra/_operator/intents"

    again = requests.post(f"{operator_url}/{intent['intentId']}/reject", json={}, timeout=TIMEOUT)
    unknown = requests.post(f"{operator_url}/{uuid.uuid4()}/approve", json={}, timeout=TIMEOUT)

    assert (again.status_code, _error_code(again)) == (409, "invalid_state")
    assert (unknown.status_code, _error_code(unknown)) == (404, "not_found")


def test_a_withdrawal_is_created_sent_then_returned(
    pientegra: PientegraCaller, receiver: CallbackRecorder
) -> None:
    created = pientegra.withdraw(amount="250000")
    withdrawal_id = created.json()["withdrawalId"]

    approved = pientegra.operator("withdrawals", withdrawal_id, "approve")
    pientegra.operator("withdrawals", withdrawal_id, "send")
    pientegra.operator("withdrawals", withdrawal_id, "return")

    assert created.status_code == 201
    assert re.fullmatch(r"W-\d{4}-0000001", created.json()["referenceNo"])
    assert approved["status"] == "APPROVED"
    events = _events(receiver, 3)
    assert [(e["eventType"], e["withdrawal"]["status"]) for e in events] == [
        ("withdrawal.created", "PENDING_REVIEW"),
        ("withdrawal.sent", "SENT"),
        ("withdrawal.returned", "RETURNED"),
    ]
    assert events[1]["withdrawal"] == {
        "id": withdrawal_id,
        "referenceNo": created.json()["referenceNo"],
        "externalUserId": "user-42",
        "amount": "250000",
        "currency": "TRY",
        "status": "SENT",
        "targetIban": PientegraCaller.WITHDRAW["targetIban"],
    }
    looked_up = pientegra.get(f"/external/withdrawals/{withdrawal_id}").json()
    assert looked_up["status"] == "RETURNED"
    assert all(TIMESTAMP.fullmatch(looked_up[name]) for name in ("sentAt", "returnedAt"))


def test_a_rejected_withdrawal_carries_the_reason(
    pientegra: PientegraCaller, receiver: CallbackRecorder
) -> None:
    withdrawal_id = pientegra.withdraw().json()["withdrawalId"]

    pientegra.operator("withdrawals", withdrawal_id, "reject", reason="IBAN sahibi uyuşmuyor")

    rejected = _events(receiver, 2)[1]
    assert rejected["eventType"] == "withdrawal.rejected"
    assert rejected["withdrawal"]["rejectedReason"] == "IBAN sahibi uyuşmuyor"


def test_operator_pages_name_each_button_by_reference(
    sandbox: SandboxControl, pientegra: PientegraCaller
) -> None:
    reference = _intent(pientegra)["referenceNo"]
    withdrawal = pientegra.withdraw().json()["referenceNo"]

    shared = requests.get(f"{sandbox.url}/_sandbox/operator", timeout=TIMEOUT).text
    desk = requests.get(f"{sandbox.url}/pientegra/_operator/", timeout=TIMEOUT).text

    for label in (f"Onayla {reference}", f"Reddet {reference}", f"Onayla {withdrawal}"):
        assert f'aria-label="{label}"' in shared and f'aria-label="{label}"' in desk
    assert f'aria-label="Onaylanan tutar {reference}"' in desk
    assert f'aria-label="Onaylanan tutar {withdrawal}"' not in desk


# Lists, events, replay, delivery


def test_intent_list_filters_by_status_and_time_and_pages_by_cursor(
    sandbox: SandboxControl, pientegra: PientegraCaller
) -> None:
    early = [_intent(pientegra)["intentId"] for _ in range(2)]
    sandbox.advance(60)
    boundary = sandbox.now()
    late = [_intent(pientegra)["intentId"] for _ in range(2)]
    pientegra.operator("intents", late[0], "approve")

    first = pientegra.get("/external/intents", limit=3).json()
    rest = pientegra.get("/external/intents", limit=3, cursor=first["nextCursor"]).json()
    approved = pientegra.get("/external/intents", status="APPROVED,REJECTED").json()
    before = pientegra.get("/external/intents", createdTo=boundary).json()
    after = pientegra.get("/external/intents", createdFrom=boundary, status="RESERVED").json()

    assert [i["intentId"] for i in first["data"] + rest["data"]] == [*late[::-1], *early[::-1]]
    assert rest["nextCursor"] is None
    assert [i["intentId"] for i in approved["data"]] == [late[0]]
    assert set(approved["data"][0]) >= {
        "intentId",
        "referenceNo",
        "status",
        "requestedAmount",
        "amount",
        "currency",
        "approvedAt",
        "rejectedAt",
        "rejectedReason",
    }
    assert [i["intentId"] for i in before["data"]] == early[::-1]
    assert [i["intentId"] for i in after["data"]] == [late[1]]


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/external/intents", {"status": "RESERVED,PAID"}),
        ("/external/withdrawals", {"status": "RESERVED"}),
        ("/external/intents", {"limit": "0"}),
        ("/external/intents", {"limit": "101"}),
        ("/external/intents", {"cursor": "not-a-cursor"}),
        ("/external/intents", {"createdFrom": "yesterday"}),
        ("/external/events", {"eventType": "intent.paid"}),
        ("/external/events", {"deliveryStatus": "LOST"}),
    ],
)
def test_list_queries_with_unknown_values_fail_validation(
    pientegra: PientegraCaller, path: str, query: dict[str, str]
) -> None:
    response = pientegra.get(path, **query)

    assert response.status_code == 400
    assert _error_code(response) == "validation_failed"


def test_withdrawal_list_is_newest_first(pientegra: PientegraCaller) -> None:
    ids = [pientegra.withdraw().json()["withdrawalId"] for _ in range(3)]
    pientegra.operator("withdrawals", ids[1], "approve")

    listed = pientegra.get("/external/withdrawals").json()
    approved = pientegra.get("/external/withdrawals", status="APPROVED").json()

    assert [w["withdrawalId"] for w in listed["data"]] == ids[::-1]
    assert [w["withdrawalId"] for w in approved["data"]] == [ids[1]]


def test_events_list_reports_each_delivery(
    sandbox: SandboxControl, pientegra: PientegraCaller, receiver: CallbackRecorder
) -> None:
    intent = _intent(pientegra)
    pientegra.withdraw()
    pientegra.operator("intents", intent["intentId"], "approve")
    receiver.wait_for(2)
    sandbox.wait_for_webhooks_idle()

    listed = pientegra.get("/external/events").json()
    approved = pientegra.get("/external/events", eventType="intent.approved").json()
    delivered = pientegra.get("/external/events", deliveryStatus="DELIVERED").json()

    assert [e["eventType"] for e in listed["data"]] == ["intent.approved", "withdrawal.created"]
    [item] = approved["data"]
    assert item["deliveryStatus"] == "DELIVERED"
    assert (item["attempts"], item["lastResponseStatus"], item["lastError"]) == (1, 200, None)
    assert TIMESTAMP.fullmatch(item["deliveredAt"])
    # Deliveries run concurrently: find the approval among what the receiver got.
    (sent,) = [r.json() for r in receiver.requests if r.json()["eventType"] == "intent.approved"]
    assert item["payload"] == {"intent": sent["intent"]}
    assert len(delivered["data"]) == 2


def test_replay_resends_the_same_signed_bytes(
    sandbox: SandboxControl, pientegra: PientegraCaller, receiver: CallbackRecorder
) -> None:
    intent = _intent(pientegra)
    pientegra.operator("intents", intent["intentId"], "approve")
    original = receiver.wait_for(1)[0]
    sandbox.wait_for_webhooks_idle()
    event_id = original.json()["eventId"]
    sandbox.advance(600)  # a replay keeps its original t, however late

    replayed = pientegra.post(f"/external/events/{event_id}/replay", {})
    again = receiver.wait_for(2)[1]

    assert replayed.status_code == 202
    assert replayed.json()["deliveryStatus"] == "PENDING"
    assert again.body == original.body
    assert again.headers[SIGNATURE] == original.headers[SIGNATURE]
    sandbox.wait_for_webhooks_idle()
    [item] = pientegra.get("/external/events").json()["data"]
    assert (item["deliveryStatus"], item["attempts"]) == ("DELIVERED", 2)


def test_a_pending_event_cannot_be_replayed(
    sandbox: SandboxControl, pientegra: PientegraCaller, receiver: CallbackRecorder
) -> None:
    sandbox.webhook_fault("reorder", provider="pientegra")
    pientegra.withdraw()  # withdrawal.created, held back by the reorder fault
    [event] = pientegra.get("/external/events").json()["data"]

    response = pientegra.post(f"/external/events/{event['eventId']}/replay", {})

    assert event["deliveryStatus"] == "PENDING"
    assert (response.status_code, _error_code(response)) == (409, "invalid_state")


def test_without_a_webhook_url_events_are_dead_until_replayed(
    pientegra: PientegraCaller,
) -> None:
    pientegra.withdraw()
    [dead] = pientegra.get("/external/events", deliveryStatus="DEAD").json()["data"]

    with CallbackRecorder() as late_receiver:
        pientegra.send_webhooks_to(late_receiver.url_for())
        pientegra.post(f"/external/events/{dead['eventId']}/replay", {})
        [request] = late_receiver.wait_for(1)

    assert (dead["attempts"], dead["lastError"]) == (0, "no webhook URL configured")
    assert request.json()["eventId"] == dead["eventId"]


def test_a_failing_receiver_gets_retries_until_it_answers_2xx(
    sandbox: SandboxControl, pientegra: PientegraCaller
) -> None:
    with CallbackRecorder(statuses=[500, 500, 200]) as flaky:
        pientegra.send_webhooks_to(flaky.url_for())
        pientegra.withdraw()
        received = flaky.wait_for(3)
        sandbox.wait_for_webhooks_idle()

    assert len({(r.body, r.headers[SIGNATURE]) for r in received}) == 1
    [item] = pientegra.get("/external/events").json()["data"]
    assert (item["deliveryStatus"], item["attempts"], item["lastResponseStatus"]) == (
        "DELIVERED",
        3,
        200,
    )


def test_a_receiver_that_never_answers_2xx_leaves_the_event_dead(
    sandbox: SandboxControl, pientegra: PientegraCaller
) -> None:
    with CallbackRecorder(statuses=[503]) as down:
        pientegra.send_webhooks_to(down.url_for())
        pientegra.withdraw()
        sandbox.wait_for_webhooks_idle()

    [item] = pientegra.get("/external/events").json()["data"]
    assert (item["deliveryStatus"], item["attempts"], item["lastResponseStatus"]) == (
        "DEAD",
        5,
        503,
    )


def test_the_duplicate_webhook_fault_delivers_twice(
    sandbox: SandboxControl, pientegra: PientegraCaller, receiver: CallbackRecorder
) -> None:
    sandbox.webhook_fault("duplicate", provider="pientegra")

    pientegra.withdraw()
    sandbox.wait_for_webhooks_idle()

    first, second = receiver.requests
    assert (first.body, first.headers[SIGNATURE]) == (second.body, second.headers[SIGNATURE])


def test_the_webhook_url_setting_must_be_an_http_url(sandbox: SandboxControl) -> None:
    response = requests.post(
        f"{sandbox.url}/_sandbox/pientegra/settings",
        json={"webhook_url": "javascript:alert(1)"},
        timeout=TIMEOUT,
    )

    assert response.status_code == 400
    assert sandbox.settings("pientegra") == {"webhook_url": ""}
