"""The sandbox framework over real HTTP: controls, fault injection, webhooks, operator page."""

from __future__ import annotations

import base64
import random
import re
import time
from datetime import datetime, timedelta

import pytest
import requests

from tests.support.live_server import POLL_SECONDS, CallbackRecorder
from tests.support.sandbox import TIMEOUT, NexKasaCaller, SandboxControl
from webapp.sandbox import auth
from webapp.sandbox.clock import Clock
from webapp.sandbox.faults import FaultBook
from webapp.sandbox.store import Store
from webapp.sandbox.webhooks import Delivery, RetryPolicy, WebhookSender

DEPOSIT_ROUTE = "POST /api/public/deposit-request/"
SIGNATURE = "X-NexKasa-Signature"


def _get(sandbox: SandboxControl, path: str) -> requests.Response:
    return requests.get(f"{sandbox.url}{path}", timeout=TIMEOUT)


def test_index_lists_providers_and_controls(sandbox: SandboxControl) -> None:
    page = _get(sandbox, "/_sandbox/")

    assert page.status_code == 200
    assert f"{sandbox.url}/nexkasa" in page.text
    assert "/_sandbox/faults" in page.text
    assert 'href="/_sandbox/operator"' in page.text


def test_reset_forgets_records_settings_and_clock(
    sandbox: SandboxControl, nexkasa: NexKasaCaller
) -> None:
    nexkasa.deposit()
    sandbox.settings("nexkasa", deposit_response="legacy")
    before = datetime.fromisoformat(sandbox.advance(3600))

    sandbox.reset()

    assert sandbox.records("nexkasa", "transactions") == []
    assert sandbox.settings("nexkasa") == {"deposit_response": "token"}
    assert datetime.fromisoformat(sandbox.now()) < before - timedelta(minutes=30)


def test_control_posts_must_be_json(sandbox: SandboxControl) -> None:
    form_post = requests.post(f"{sandbox.url}/_sandbox/reset", data={"x": "1"}, timeout=TIMEOUT)

    assert form_post.status_code == 400


def test_clock_moves_forward_only(sandbox: SandboxControl) -> None:
    start = datetime.fromisoformat(sandbox.now())

    later = datetime.fromisoformat(sandbox.advance(120))
    backwards = requests.post(
        f"{sandbox.url}/_sandbox/clock", json={"advance_seconds": -1}, timeout=TIMEOUT
    )

    assert later - start >= timedelta(seconds=120)
    assert later.utcoffset() == timedelta(0)
    assert backwards.status_code == 400


def test_unknown_settings_and_providers_are_refused(sandbox: SandboxControl) -> None:
    wrong_value = requests.post(
        f"{sandbox.url}/_sandbox/nexkasa/settings",
        json={"deposit_response": "v3"},
        timeout=TIMEOUT,
    )

    assert wrong_value.status_code == 400
    assert _get(sandbox, "/_sandbox/nope/settings").status_code == 404
    assert _get(sandbox, "/_sandbox/records/nope/transactions").status_code == 404


@pytest.mark.parametrize(
    "rule",
    [
        {"provider": "nope", "status": 500},
        {"provider": "nexkasa", "stauts": 500},
        {"provider": "nexkasa"},
        {"provider": "nexkasa", "status": 500, "drop": True},
        {"provider": "nexkasa", "latency_ms": True},
        {"provider": "nexkasa", "webhook": "explode"},
        {"provider": "nexkasa", "status": 500, "count": 0},
    ],
)
def test_invalid_fault_rules_are_refused(sandbox: SandboxControl, rule: dict) -> None:
    response = requests.post(f"{sandbox.url}/_sandbox/faults", json=rule, timeout=TIMEOUT)

    assert response.status_code == 400
    assert sandbox.faults() == []


def test_faults_are_listed_spent_and_cleared(
    sandbox: SandboxControl, nexkasa: NexKasaCaller
) -> None:
    sandbox.fault(route=DEPOSIT_ROUTE, status=503, count=2)
    sandbox.fault(route="withdraw_request", status=502)

    assert [rule["count"] for rule in sandbox.faults()] == [2, None]
    assert nexkasa.deposit().status_code == 503
    assert [rule["count"] for rule in sandbox.faults()] == [1, None]
    assert nexkasa.withdraw().status_code == 502
    sandbox.clear_faults()
    assert sandbox.faults() == []
    assert nexkasa.withdraw().status_code == 201


def test_latency_delays_then_answers_normally(
    sandbox: SandboxControl, nexkasa: NexKasaCaller
) -> None:
    sandbox.fault(route="*", latency_ms=150, count=1)

    slow = nexkasa.deposit()
    normal = nexkasa.deposit(user_id="another")

    assert slow.status_code == 201
    assert slow.headers["X-Sandbox-Injected-Latency-Ms"] == "150"
    assert slow.elapsed >= timedelta(milliseconds=150)  # a floor, never a ceiling
    assert "X-Sandbox-Injected-Latency-Ms" not in normal.headers


def test_status_fault_without_a_body_answers_a_generic_one(
    sandbox: SandboxControl, nexkasa: NexKasaCaller
) -> None:
    sandbox.fault(route=DEPOSIT_ROUTE, status=429, headers={"Retry-After": "7"}, count=1)

    response = nexkasa.deposit()

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert "error" in response.json()
    assert sandbox.records("nexkasa", "transactions") == []


def test_a_dropped_connection_is_a_connection_error(
    sandbox: SandboxControl, nexkasa: NexKasaCaller
) -> None:
    sandbox.fault(route=DEPOSIT_ROUTE, drop=True, count=1)

    with pytest.raises(requests.ConnectionError):
        nexkasa.deposit()

    assert sandbox.records("nexkasa", "transactions") == []
    assert nexkasa.deposit().status_code == 201


def test_a_timeout_outlasts_the_clients_read_timeout(
    sandbox: SandboxControl, nexkasa: NexKasaCaller
) -> None:
    sandbox.fault(route=DEPOSIT_ROUTE, timeout=True, timeout_seconds=30, count=1)

    with pytest.raises(requests.ReadTimeout):
        nexkasa.call("POST", "/api/public/deposit-request/", json=nexkasa.DEPOSIT, timeout=(2, 0.3))

    assert sandbox.records("nexkasa", "transactions") == []


@pytest.mark.parametrize("effect", [{"status": 500}, {"drop": True}])
def test_after_commits_the_work_then_fails(
    sandbox: SandboxControl, nexkasa: NexKasaCaller, effect: dict
) -> None:
    sandbox.fault(route=DEPOSIT_ROUTE, after=True, count=1, **effect)

    try:
        failed_status = nexkasa.deposit().status_code
    except requests.ConnectionError:
        failed_status = None

    assert failed_status == effect.get("status")
    assert [tx["status"] for tx in sandbox.records("nexkasa", "transactions")] == ["PENDING"]
    assert nexkasa.deposit().status_code == 409  # the retry meets the committed deposit


def test_faults_never_touch_framework_or_operator_routes(
    sandbox: SandboxControl, nexkasa: NexKasaCaller
) -> None:
    nexkasa.deposit()
    transaction_id = sandbox.records("nexkasa", "transactions")[0]["id"]
    sandbox.fault(route="*", status=500)

    assert sandbox.approve("nexkasa", transaction_id)["status"] == "APPROVED"
    assert _get(sandbox, "/_sandbox/operator").status_code == 200


def _approve_with_callbacks(
    sandbox: SandboxControl, nexkasa: NexKasaCaller, recorder: CallbackRecorder, user: str
) -> None:
    nexkasa.deposit(user_id=user, callback_url=recorder.url_for())
    created = [
        tx for tx in sandbox.records("nexkasa", "transactions") if tx["external_user_id"] == user
    ]
    sandbox.approve("nexkasa", created[0]["id"])


def test_webhook_fault_duplicate_delivers_twice(
    sandbox: SandboxControl, nexkasa: NexKasaCaller, callback_recorder: CallbackRecorder
) -> None:
    sandbox.webhook_fault("duplicate")

    _approve_with_callbacks(sandbox, nexkasa, callback_recorder, "U1")
    sandbox.wait_for_webhooks_idle()

    signed = [r for r in callback_recorder.requests if SIGNATURE in r.headers]
    assert len(callback_recorder.requests) == 3
    assert len(signed) == 2 and signed[0].body == signed[1].body


def test_webhook_fault_drop_loses_one_delivery(
    sandbox: SandboxControl, nexkasa: NexKasaCaller, callback_recorder: CallbackRecorder
) -> None:
    sandbox.webhook_fault("drop")

    _approve_with_callbacks(sandbox, nexkasa, callback_recorder, "U1")
    deliveries = sandbox.wait_for_webhooks_idle()

    assert [r.headers.get(SIGNATURE) for r in callback_recorder.requests] == [None]
    assert [d["fault"] for d in deliveries] == ["drop", None]


def test_webhook_fault_reorder_sends_the_held_delivery_after_the_next(
    sandbox: SandboxControl, nexkasa: NexKasaCaller, callback_recorder: CallbackRecorder
) -> None:
    sandbox.webhook_fault("reorder")

    _approve_with_callbacks(sandbox, nexkasa, callback_recorder, "U1")
    received = callback_recorder.wait_for(2)

    assert [SIGNATURE in r.headers for r in received] == [False, True]


def test_deliveries_record_every_attempt(
    sandbox: SandboxControl, nexkasa: NexKasaCaller, callback_recorder: CallbackRecorder
) -> None:
    _approve_with_callbacks(sandbox, nexkasa, callback_recorder, "U1")

    deliveries = sandbox.wait_for_webhooks_idle()

    assert [(d["provider"], d["attempt"], d["status"], d["delivered"]) for d in deliveries] == [
        ("nexkasa", 1, 200, True),
        ("nexkasa", 1, 200, True),
    ]
    assert {d["url"] for d in deliveries} == {callback_recorder.url_for()}
    assert SIGNATURE in deliveries[0]["headers"]


def test_sender_retries_with_backoff_until_a_2xx() -> None:
    store, clock, faults = Store(), Clock(), FaultBook()
    sender = WebhookSender(store, clock, faults, max_workers=1)
    policy = RetryPolicy(max_attempts=4, base_delay_seconds=0.01, max_delay_seconds=0.02)

    with CallbackRecorder(statuses=[500, 503, 200]) as recorder:
        sender.send("test", [Delivery(recorder.url_for(), b"{}")], policy)
        deadline = time.monotonic() + 5
        while sender.in_flight and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)  # poll interval inside a deadline

    assert len(recorder.requests) == 3

    attempts = store.find("_sandbox", "deliveries")
    assert [(a["attempt"], a["status"], a["final"], a["delivered"]) for a in attempts] == [
        (1, 500, False, False),
        (2, 503, False, False),
        (3, 200, True, True),
    ]


def test_backoff_is_jittered_below_an_exponential_ceiling() -> None:
    policy = RetryPolicy(max_attempts=5, base_delay_seconds=0.1, max_delay_seconds=0.3)
    rng = random.Random(7)

    delays = [policy.delay_before(attempt, rng) for attempt in (2, 3, 4, 5) for _ in range(50)]

    assert all(0 <= delay <= 0.3 for delay in delays)
    assert max(policy.delay_before(2, rng) for _ in range(50)) <= 0.1


def test_operator_page_lists_pending_items_with_named_buttons(
    sandbox: SandboxControl, nexkasa: NexKasaCaller
) -> None:
    nexkasa.deposit(user_id="U1")
    withdrawal_id = nexkasa.withdraw().json()["transaction_id"]
    deposit_id = next(
        tx["id"] for tx in sandbox.records("nexkasa", "transactions") if tx["type"] == "DEPOSIT"
    )

    page = _get(sandbox, "/_sandbox/operator").text

    assert f'aria-label="Onayla {deposit_id}"' in page
    assert f'aria-label="Reddet {deposit_id}"' in page
    assert f'aria-label="Ata {withdrawal_id}"' in page
    assert f'aria-label="Onayla {withdrawal_id}"' not in page


def test_operator_form_needs_the_token(sandbox: SandboxControl, nexkasa: NexKasaCaller) -> None:
    nexkasa.deposit()
    page = _get(sandbox, "/_sandbox/operator").text
    token = re.search(r'name="operator_token" value="([^"]+)"', page)
    action = re.search(r'action="([^"]+/approve)"', page)
    assert token and action

    forged = requests.post(f"{sandbox.url}{action[1]}", data={}, timeout=TIMEOUT)
    posted = requests.post(
        f"{sandbox.url}{action[1]}",
        data={"operator_token": token[1]},
        timeout=TIMEOUT,
        allow_redirects=False,
    )

    assert forged.status_code == 403
    assert posted.status_code == 303
    assert sandbox.records("nexkasa", "transactions")[0]["status"] == "APPROVED"
    assert "Bekleyen işlem yok." in _get(sandbox, "/_sandbox/operator").text


def test_auth_helpers_read_each_providers_style() -> None:
    basic = "Basic " + base64.b64encode(b"merchant:p@ss:word").decode()

    assert auth.api_key({"X-API-KEY": "k"}) == "k"
    assert auth.bearer_token({"Authorization": "Bearer abc"}) == "abc"
    assert auth.basic_credentials({"Authorization": basic}) == ("merchant", "p@ss:word")
    assert auth.basic_matches({"Authorization": basic}, "merchant", "p@ss:word")
    assert not auth.basic_matches({"Authorization": basic}, "merchant", "other")
    assert auth.raw_basic_key({"Authorization": "Basic sk_raw"}) == "sk_raw"
    assert auth.basic_credentials({"Authorization": "Basic sk_raw"}) is None
    assert auth.bearer_token({}) is None
    assert not auth.matches(None, "k")
    assert auth.matches("k", "k")
