"""PientegraClient against the live Pientegra sandbox, and the Redis rate limiter against Redis.

The sandbox keeps Pientegra's idempotency rules, its 60-a-minute throttle on its own clock, and
signs webhooks as §2.6 says; faults make it commit a deposit and then lose the answer.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.support.live_server import CallbackRecorder
from tests.support.sandbox import SandboxControl
from webapp.money import Money
from webapp.payments import clients
from webapp.providers._http import Backoff
from webapp.providers._ratelimit import InProcessRateLimiter, RedisRateLimiter, limit_key
from webapp.providers.errors import (
    ProviderAuthError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
)
from webapp.providers.pientegra import (
    SIGNATURE_HEADER,
    DepositRequest,
    IdempotencyConflict,
    IdempotencyInFlight,
    PientegraClient,
    WithdrawalRequest,
    parse_event,
    pientegra_http,
    verify_signature,
)

DEPOSITS_ROUTE = "POST /api/v1/external/deposits"
IBAN = "TR320010009999901234567890"  # the document's example (§2.4); mod-97 valid
REDIS_URL = "redis://127.0.0.1:6379/14"

MakeClient = Callable[..., PientegraClient]


def try_(text: str) -> Money:
    return Money(Decimal(text), "TRY")


def new_key() -> str:
    return str(uuid.uuid4())


def deposit(user: str = "user-42", amount: str = "1000.00") -> DepositRequest:
    return DepositRequest(user, "Ayşe K.", try_(amount))


def withdrawal(user: str = "user-42") -> WithdrawalRequest:
    return WithdrawalRequest(
        user, None, try_("2500.00"), "tr32 0010 0099 9990 1234 5678 90", "Ayşe K"
    )


def base_url(sandbox: SandboxControl) -> str:
    return sandbox.base_url("pientegra")


def api_key(sandbox: SandboxControl) -> str:
    return sandbox.config["PIENTEGRA_API_KEY"]


@pytest.fixture
def waits() -> list[float]:
    """What the HTTP layer would have slept; backoff jitter is pinned to 0."""
    return []


@pytest.fixture
def make_client(sandbox: SandboxControl, waits: list[float]) -> Iterator[MakeClient]:
    clients: list[PientegraClient] = []

    def make(rate_limiter: Any = None, key: str | None = None, **options: Any) -> PientegraClient:
        options = {"sleep": waits.append, "backoff": Backoff(rand=lambda: 0.0), **options}
        url = base_url(sandbox)
        http = pientegra_http(url, key or api_key(sandbox), rate_limiter=rate_limiter, **options)
        clients.append(PientegraClient(url, "unused: http carries the key", http=http))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: MakeClient) -> PientegraClient:
    return make_client()


def test_the_site_calls_pientegra_at_its_base_url_exactly_as_configured(make_app) -> None:
    with CallbackRecorder() as assigned:
        app = make_app(
            PIENTEGRA_BASE_URL=assigned.url_for("/partner-7"),  # §2.1: Pientegra assigns it
            PIENTEGRA_API_KEY="sk_test_partner-7",
            PIENTEGRA_WEBHOOK_SECRET="whsec_partner-7",
        )
        with app.app_context(), pytest.raises(ProviderUnavailable):  # "recorded" is no intent
            clients.pientegra().get_intent("i-1")

        [request] = assigned.requests
    assert request.path == "/partner-7/external/intents/i-1"


def intents(sandbox: SandboxControl) -> list[dict[str, Any]]:
    return sandbox.records("pientegra", "intents")


def operator(sandbox: SandboxControl, kind: str, object_id: str, action: str, **fields: Any) -> Any:
    url = f"{sandbox.url}/pientegra/_operator/{kind}/{object_id}/{action}"
    response = sandbox.http.post(url, json=fields, timeout=10)
    assert response.ok, response.text
    return response.json()


def sandbox_now_ms(sandbox: SandboxControl) -> int:
    return int(datetime.fromisoformat(sandbox.now()).timestamp() * 1000)


# --- deposits and withdrawals -----------------------------------------------------------------


def test_a_deposit_is_created_and_looked_up(
    sandbox: SandboxControl, client: PientegraClient
) -> None:
    created = client.create_deposit(deposit(amount="1500.50"), new_key())

    (stored,) = intents(sandbox)
    assert stored["id"] == created.intent_id
    assert created.requested_amount == created.amount == try_("1500.50")
    assert created.deposit_url.startswith(sandbox.url)
    assert created.expires_at is not None and created.reference_no.startswith("D-")
    looked_up = client.get_intent(created.intent_id)
    assert (looked_up.intent_id, looked_up.status) == (created.intent_id, "RESERVED")
    assert looked_up.amount == try_("1500.50") and looked_up.external_user_id == "user-42"


def test_a_withdrawal_is_created_and_looked_up_by_the_inferred_path(
    sandbox: SandboxControl, client: PientegraClient
) -> None:
    created = client.create_withdrawal(withdrawal(), new_key())

    looked_up = client.get_withdrawal(created.withdrawal_id)
    assert created.reference_no is not None and created.reference_no.startswith("W-")
    assert looked_up.withdrawal_id == created.withdrawal_id
    assert looked_up.status == "PENDING_REVIEW"
    assert looked_up.amount == try_("2500.00")
    (stored,) = sandbox.records("pientegra", "withdrawals")
    assert stored["targetIban"] == IBAN


# --- idempotency: the provider commits, we never hear back ------------------------------------


@pytest.mark.parametrize("lost", [{"drop": True}, {"timeout": True, "timeout_seconds": 5}])
def test_a_committed_deposit_whose_answer_is_lost_is_replayed_not_duplicated(
    sandbox: SandboxControl, make_client: MakeClient, waits: list[float], lost: dict[str, Any]
) -> None:
    sandbox.fault("pientegra", DEPOSITS_ROUTE, after=True, count=1, **lost)
    client = make_client(read_timeout=2.0)  # the replay must come back within it, even on busy CI

    created = client.create_deposit(deposit(), new_key())

    assert len(waits) == 1  # one retry, with the same key, answered by the replay
    (stored,) = intents(sandbox)
    assert stored["id"] == created.intent_id


def test_our_own_later_retry_with_the_same_key_gets_the_same_deposit(
    sandbox: SandboxControl, make_client: MakeClient
) -> None:
    sandbox.fault("pientegra", DEPOSITS_ROUTE, after=True, drop=True, count=1)
    client = make_client(max_retries=0)
    key = new_key()

    with pytest.raises(ProviderUnavailable) as lost:
        client.create_deposit(deposit(), key)
    again = client.create_deposit(deposit(), key)

    assert lost.value.outcome_unknown is True
    (stored,) = intents(sandbox)
    assert stored["id"] == again.intent_id


def test_the_same_key_while_the_first_request_runs_is_in_flight(
    sandbox: SandboxControl, client: PientegraClient
) -> None:
    # Long enough for the second request to arrive while the first runs, even on a busy machine.
    sandbox.fault("pientegra", DEPOSITS_ROUTE, latency_ms=1500, count=1)
    key = new_key()
    first: list[Any] = []
    runner = threading.Thread(target=lambda: first.append(client.create_deposit(deposit(), key)))
    runner.start()
    try:
        _wait_for_claim(sandbox)
        with pytest.raises(IdempotencyInFlight) as raised:
            client.create_deposit(deposit(), key)
    finally:
        runner.join(timeout=10)

    assert raised.value.http_status == 409 and raised.value.code == "duplicate_idempotency_key"
    assert isinstance(raised.value, ProviderRejected)
    later = client.create_deposit(deposit(), key)
    assert [later.intent_id] == [first[0].intent_id] == [i["id"] for i in intents(sandbox)]


def _wait_for_claim(sandbox: SandboxControl, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(r["state"] == "IN_FLIGHT" for r in sandbox.records("pientegra", "idempotency")):
            return
        time.sleep(0.02)  # poll interval inside a deadline
    pytest.fail("the first request never claimed its Idempotency-Key")


def test_the_same_key_with_another_body_is_a_conflict_never_retried(
    sandbox: SandboxControl, client: PientegraClient, waits: list[float]
) -> None:
    key = new_key()
    client.create_deposit(deposit(amount="100.00"), key)

    with pytest.raises(IdempotencyConflict) as raised:
        client.create_deposit(deposit(amount="200.00"), key)

    assert raised.value.code == "idempotency_key_reuse_with_different_body"
    assert waits == []
    assert len(intents(sandbox)) == 1


# --- errors -----------------------------------------------------------------------------------


def test_a_wrong_api_key_is_an_auth_error(sandbox: SandboxControl, make_client: MakeClient) -> None:
    client = make_client(key="sk_live_sandbox_wrong")

    with pytest.raises(ProviderAuthError) as raised:
        client.create_deposit(deposit(), new_key())

    assert (raised.value.http_status, raised.value.code) == (401, "unauthorized")
    assert intents(sandbox) == []


def test_an_invalid_iban_is_rejected_with_pientegras_code(client: PientegraClient) -> None:
    request = WithdrawalRequest("user-42", None, try_("10.00"), "TR000010009999901234567890", "A")

    with pytest.raises(ProviderRejected) as raised:
        client.create_withdrawal(request, new_key())

    assert (raised.value.http_status, raised.value.code) == (400, "validation_failed")


def _spend_the_providers_budget(client: PientegraClient) -> None:
    for _ in range(60):  # §2.1: 60 requests a minute per API key
        client.list_intents(None, None, limit=1)


def test_429_retry_after_is_honoured_on_the_providers_clock(
    sandbox: SandboxControl, make_client: MakeClient, waits: list[float]
) -> None:
    def sleep(seconds: float) -> None:  # waiting, as the sandbox's clock sees it
        waits.append(seconds)
        sandbox.advance(seconds)

    client = make_client(sleep=sleep, max_total_wait=120)
    _spend_the_providers_budget(client)

    page = client.list_intents(None, None)

    assert page.items == ()
    (waited,) = waits
    assert 0 < waited <= 60 and waited == int(waited)


def test_429_asking_longer_than_we_wait_is_raised(
    make_client: MakeClient, waits: list[float]
) -> None:
    client = make_client(max_total_wait=5)
    _spend_the_providers_budget(client)

    with pytest.raises(ProviderRateLimited) as raised:
        client.list_intents(None, None)

    assert waits == []
    assert raised.value.code == "rate_limit_exceeded"
    assert raised.value.retry_after is not None
    assert timedelta(0) < raised.value.retry_after <= timedelta(seconds=60)


def test_our_limiter_stops_the_61st_request_before_pientegra_sees_it(
    sandbox: SandboxControl, make_client: MakeClient
) -> None:
    client = make_client(rate_limiter=InProcessRateLimiter(60, 60, max_wait=0))
    _spend_the_providers_budget(client)

    with pytest.raises(ProviderRateLimited) as raised:
        client.list_intents(None, None)

    assert raised.value.code == "client_rate_limit"
    (throttle,) = sandbox.records("pientegra", "throttle")
    assert len(throttle["history"]) == 60


class CountingLimiter:
    def __init__(self) -> None:
        self.keys: list[str] = []

    def acquire(self, key: str) -> None:
        self.keys.append(key)


def test_the_limiter_is_asked_before_every_attempt_retries_included(
    sandbox: SandboxControl, make_client: MakeClient
) -> None:
    limiter = CountingLimiter()
    client = make_client(rate_limiter=limiter)
    created = client.create_deposit(deposit(), new_key())
    sandbox.fault("pientegra", "GET /api/v1/external/intents/<intent_id>", status=503, count=1)

    client.get_intent(created.intent_id)

    assert limiter.keys == [limit_key("pientegra", api_key(sandbox))] * 3


# --- listing, events, webhooks ----------------------------------------------------------------


def test_lists_are_followed_page_by_page(sandbox: SandboxControl, client: PientegraClient) -> None:
    created = [client.create_deposit(deposit(f"user-{n}"), new_key()).intent_id for n in range(3)]
    operator(sandbox, "intents", created[0], "approve", amount=99_950)

    first = client.list_intents(None, None, limit=2)
    second = client.list_intents(None, None, cursor=first.next_cursor, limit=2)
    approved = client.list_intents(None, None, statuses=["APPROVED"])

    assert [i.intent_id for i in first.items] == created[:0:-1]  # newest first
    assert first.next_cursor and second.next_cursor is None
    assert [i.intent_id for i in second.items] == created[:1]
    assert [i.intent_id for i in client.iter_intents(None, None)] == created[::-1]
    (only,) = approved.items
    assert only.amount == try_("999.50") and only.requested_amount == try_("1000.00")
    assert only.approved_at is not None


def test_withdrawals_are_listed(client: PientegraClient) -> None:
    created = client.create_withdrawal(withdrawal(), new_key())

    page = client.list_withdrawals(None, None, statuses=["PENDING_REVIEW"])

    assert [w.withdrawal_id for w in page.items] == [created.withdrawal_id]
    assert [w.withdrawal_id for w in client.iter_withdrawals(None, None)] == [created.withdrawal_id]


@pytest.fixture
def webhooks(sandbox: SandboxControl, callback_recorder: CallbackRecorder) -> CallbackRecorder:
    sandbox.settings("pientegra", webhook_url=callback_recorder.url_for("/hooks/pientegra"))
    return callback_recorder


def test_an_approval_webhook_verifies_and_parses(
    sandbox: SandboxControl, client: PientegraClient, webhooks: CallbackRecorder
) -> None:
    created = client.create_deposit(deposit(), new_key())

    operator(sandbox, "intents", created.intent_id, "approve")

    (delivery,) = webhooks.wait_for(1)
    secret = sandbox.config["PIENTEGRA_WEBHOOK_SECRET"]
    verified = verify_signature(
        delivery.body,
        delivery.headers[SIGNATURE_HEADER],
        [secret],
        now_ms=sandbox_now_ms(sandbox),
    )
    event = parse_event(delivery.body)
    assert verified.stale is False
    assert event.event_type == "intent.approved"
    assert event.intent is not None and event.intent.intent_id == created.intent_id
    assert event.intent.amount == created.amount and event.intent.status == "APPROVED"


def test_a_withdrawal_webhook_parses_its_undocumented_object(
    sandbox: SandboxControl, client: PientegraClient, webhooks: CallbackRecorder
) -> None:
    created = client.create_withdrawal(withdrawal(), new_key())

    (delivery,) = webhooks.wait_for(1)
    secret = sandbox.config["PIENTEGRA_WEBHOOK_SECRET"]
    verify_signature(
        delivery.body, delivery.headers[SIGNATURE_HEADER], [secret], now_ms=sandbox_now_ms(sandbox)
    )
    event = parse_event(delivery.body)
    assert event.event_type == "withdrawal.created"
    assert event.withdrawal is not None
    assert event.withdrawal.withdrawal_id == created.withdrawal_id
    assert event.withdrawal.amount == try_("2500.00")


# --- the Redis rate limiter -------------------------------------------------------------------


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        message = f"Redis at {REDIS_URL} is not reachable ({type(exc).__name__})"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message + "; start redis-server to run the shared rate limiter's tests")
    yield client
    client.close()


@pytest.fixture
def prefix(redis_client: redis.Redis) -> Iterator[str]:
    """A key space of this test's own, removed afterwards."""
    prefix = f"test-ratelimit:{uuid.uuid4().hex}:"
    yield prefix
    for key in redis_client.scan_iter(match=f"{prefix}*"):
        redis_client.delete(key)


def test_two_hosts_share_one_redis_window(redis_client: redis.Redis, prefix: str) -> None:
    host_a = RedisRateLimiter(redis_client, limit=3, period=60, max_wait=0, prefix=prefix)
    host_b = RedisRateLimiter(redis_client, limit=3, period=60, max_wait=0, prefix=prefix)
    key = limit_key("pientegra", "sk_live_site_secret")

    host_a.acquire(key)
    host_b.acquire(key)
    host_a.acquire(key)
    with pytest.raises(ProviderRateLimited) as raised:
        host_b.acquire(key)

    assert raised.value.provider == "pientegra" and raised.value.code == "client_rate_limit"
    assert raised.value.retry_after is not None
    assert timedelta(seconds=59) < raised.value.retry_after <= timedelta(seconds=60)
    host_b.acquire(limit_key("pientegra", "another key"))  # budgets are per API key


def test_redis_holds_a_digest_never_the_api_key(redis_client: redis.Redis, prefix: str) -> None:
    limiter = RedisRateLimiter(redis_client, prefix=prefix)

    limiter.acquire(limit_key("pientegra", "sk_live_site_secret"))

    (stored,) = list(redis_client.scan_iter(match=f"{prefix}*"))
    assert stored.startswith(f"{prefix}pientegra:".encode())
    assert b"sk_live" not in stored and b"secret" not in stored
    assert 0 < redis_client.pttl(stored) <= 61_000


def test_concurrent_acquisitions_never_exceed_the_limit(
    redis_client: redis.Redis, prefix: str
) -> None:
    limiter = RedisRateLimiter(redis_client, limit=5, period=60, max_wait=0, prefix=prefix)
    outcomes: list[str] = []
    lock = threading.Lock()

    def take() -> None:
        try:
            limiter.acquire("pientegra:shared")
            outcome = "taken"
        except ProviderRateLimited:
            outcome = "refused"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=take) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert sorted(outcomes) == ["refused"] * 15 + ["taken"] * 5


def test_a_full_window_waits_for_its_oldest_slot(redis_client: redis.Redis, prefix: str) -> None:
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        time.sleep(seconds)  # the limiter's own wait, on Redis's real clock: 0.2 s at most

    limiter = RedisRateLimiter(
        redis_client, limit=2, period=0.2, max_wait=1, prefix=prefix, sleep=sleep
    )
    for _ in range(3):
        limiter.acquire("pientegra:k")

    assert len(waited) >= 1 and 0 < waited[0] <= 0.2


def test_an_unreachable_redis_lets_requests_through(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        port = unused.getsockname()[1]
        down = redis.Redis(
            host="127.0.0.1", port=port, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
        )
        limiter = RedisRateLimiter(down, limit=1, max_wait=0)

        limiter.acquire("pientegra:k")
        limiter.acquire("pientegra:k")
        down.close()

    assert caplog.text.count("rate limiter unavailable (ConnectionError); not limiting") == 2


def test_the_client_spends_the_shared_redis_budget(
    redis_client: redis.Redis, prefix: str, make_client: MakeClient
) -> None:
    shared = RedisRateLimiter(redis_client, limit=2, period=60, max_wait=0, prefix=prefix)
    client = make_client(rate_limiter=shared)

    client.list_intents(None, None)
    client.list_intents(None, None)
    with pytest.raises(ProviderRateLimited) as raised:
        client.list_intents(None, None)

    assert raised.value.code == "client_rate_limit"
