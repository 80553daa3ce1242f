"""The provider HTTP layer against a real local server that answers from a script.

No mocks of requests: each test scripts what the "provider" does (500 then 200, hang, 429,
drop the connection) and asserts what it received. Waits go through an injected ``sleep`` that
records instead of sleeping.
"""

from __future__ import annotations

import http.client
import logging
import pickle
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.serving import WSGIRequestHandler, make_server

from webapp.providers._http import Backoff, ProviderHTTP, backoff_delay
from webapp.providers._json import encode_json
from webapp.providers._redact import RedactingFilter, install_log_redaction
from webapp.providers.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    error_from_response,
)

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
Step = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
STATUS_LINES = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}


# --- the scripted provider -------------------------------------------------------------------


def respond(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Step:
    payload = b"" if body is None else body if isinstance(body, bytes) else encode_json(body)

    def step(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        start_response(STATUS_LINES[status], [*(headers or {}).items()])
        return [payload]

    return step


def drop_connection(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Read the request, then close the socket without answering."""
    environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
    start_response("200 OK", [])
    return [b""]


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


class ScriptedProvider:
    """A WSGI app: each request takes the next step of ``script`` (then 200 ``{}``)."""

    def __init__(self) -> None:
        self.base_url = ""  # set once serving
        self.script: list[Step] = []
        self.received: list[Received] = []
        self.released = threading.Event()  # ends every hang() at teardown
        self._lock = threading.Lock()

    def hang(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Answer only once the test is over: longer than any read timeout."""
        self.released.wait(timeout=10)
        return respond(200, {})(environ, start_response)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ["PATH_INFO"] == "/__ready__":
            return respond(204)(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {
            k[5:].replace("_", "-").title(): v for k, v in environ.items() if k[:5] == "HTTP_"
        }
        if "CONTENT_TYPE" in environ:
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        with self._lock:
            self.received.append(
                Received(
                    method=environ["REQUEST_METHOD"],
                    path=environ["RAW_URI"].partition("?")[0],  # as sent, still URL-quoted
                    query=environ["QUERY_STRING"],
                    headers=headers,
                    body=body,
                )
            )
            step = self.script.pop(0) if self.script else respond(200, {})
        return step(environ, start_response)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """The test server's access log is not what these tests inspect."""


def _wait_until_serving(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=0.5)
        try:
            conn.request("GET", "/__ready__")
            if conn.getresponse().status == 204:
                return
        except OSError:
            time.sleep(0.02)
        finally:
            conn.close()
    pytest.fail(f"scripted provider on port {port} did not come up")


@pytest.fixture
def provider() -> Iterator[ScriptedProvider]:
    app = ScriptedProvider()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    app.base_url = f"http://127.0.0.1:{server.port}"
    try:
        _wait_until_serving(server.port, deadline=time.monotonic() + 5)
        yield app
    finally:
        app.released.set()
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def make_client(waits: list[float]) -> Iterator[Callable[..., ProviderHTTP]]:
    clients: list[ProviderHTTP] = []

    def make(base_url: str, **options: Any) -> ProviderHTTP:
        options = {"sleep": waits.append, "backoff": Backoff(rand=lambda: 0.5), **options}
        clients.append(ProviderHTTP("testpay", base_url, **options))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(provider: ScriptedProvider, make_client: Callable[..., ProviderHTTP]) -> ProviderHTTP:
    return make_client(provider.base_url, read_timeout=2)


@pytest.fixture
def refused_url() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound but never listening: every connect is refused
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def unanswering_url() -> Iterator[str]:
    """A listener whose backlog is full, so a new connect never completes (Linux drops the SYN)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        address = listener.getsockname()
        fillers = [socket.socket() for _ in range(3)]
        try:
            for filler in fillers:
                filler.setblocking(False)
                filler.connect_ex(address)
            yield f"http://127.0.0.1:{address[1]}"
        finally:
            for filler in fillers:
                filler.close()


# --- retries -----------------------------------------------------------------------------------


def test_get_is_retried_after_503_and_returns_the_200(client, provider, waits):
    provider.script = [respond(503), respond(200, {"status": "paid"})]

    response = client.request("GET", "/v1/sale/abc")

    assert response.status == 200
    assert response.data == {"status": "paid"}
    assert len(provider.received) == 2
    assert waits == [0.125]  # full jitter: rand 0.5 * min(8, 0.25 * 2**0)


def test_post_without_idempotency_key_is_sent_once_on_500(client, provider, waits):
    provider.script = [respond(500), respond(200, {})]

    with pytest.raises(ProviderUnavailable) as raised:
        client.request("POST", "/v1/sale", json={"amount": Decimal("12.50")})

    assert raised.value.outcome_unknown is True
    assert raised.value.http_status == 500
    assert len(provider.received) == 1
    assert waits == []


def test_post_with_idempotency_key_is_retried_with_the_same_key_and_bytes(client, provider, waits):
    provider.script = [respond(500), respond(502), respond(201, {"id": "w_1"})]

    response = client.request(
        "POST", "/v1/withdrawals", json={"amount": 150000, "ref": "ö-1"}, idempotency_key="idem-42"
    )

    assert response.status == 201
    assert len(provider.received) == 3
    assert {r.headers["Idempotency-Key"] for r in provider.received} == {"idem-42"}
    assert {r.body for r in provider.received} == {b'{"amount":150000,"ref":"\\u00f6-1"}'}
    assert waits == [0.125, 0.25]


def test_retries_stop_after_max_retries(client, provider, waits):
    provider.script = [respond(503)] * 5

    with pytest.raises(ProviderUnavailable):
        client.request("GET", "/v1/sale/abc")

    assert len(provider.received) == 3  # the first attempt and max_retries=2
    assert len(waits) == 2


def test_a_4xx_other_than_429_is_never_retried(client, provider):
    provider.script = [respond(404, {"code": "not_found"}), respond(200, {})]

    with pytest.raises(ProviderRejected):
        client.request("GET", "/v1/sale/missing")

    assert len(provider.received) == 1


def test_read_timeout_is_unavailable_with_outcome_unknown(provider, make_client):
    client = make_client(provider.base_url, read_timeout=0.2)
    provider.script = [provider.hang]

    with pytest.raises(ProviderUnavailable) as raised:
        client.request("POST", "/v1/sale", json={"amount": 1})

    assert raised.value.outcome_unknown is True
    assert "ReadTimeout" in str(raised.value)
    assert len(provider.received) == 1


def test_read_timeout_on_get_is_retried(provider, make_client, waits):
    # The retry must be answered within the same read timeout; at 0.2 s a busy CI machine once
    # timed the retry out too.
    client = make_client(provider.base_url, read_timeout=1.0, max_retries=1)
    provider.script = [provider.hang, respond(200, {"ok": True})]

    assert client.request("GET", "/v1/sale/abc").data == {"ok": True}
    assert len(waits) == 1


def test_dropped_connection_is_unavailable_with_outcome_unknown(client, provider):
    provider.script = [drop_connection]

    with pytest.raises(ProviderUnavailable) as raised:
        client.request("POST", "/v1/sale", json={"amount": 1})

    assert raised.value.outcome_unknown is True
    assert len(provider.received) == 1


def test_refused_connection_is_unavailable_and_known_not_sent(refused_url, make_client, waits):
    client = make_client(refused_url)

    with pytest.raises(ProviderUnavailable) as raised:
        client.request("GET", "/v1/sale/abc", params={"token": "secret123"})

    assert raised.value.outcome_unknown is False
    assert "Connection refused" in str(raised.value)
    assert "secret123" not in str(raised.value)
    assert len(waits) == 2  # a GET: retried, and refused each time


def test_connect_timeout_is_unavailable_and_known_not_sent(unanswering_url, make_client):
    client = make_client(unanswering_url, connect_timeout=0.2)

    with pytest.raises(ProviderUnavailable) as raised:
        client.request("POST", "/v1/sale", json={"amount": 1})

    assert raised.value.outcome_unknown is False
    assert "ConnectTimeout" in str(raised.value)


# --- 429 ---------------------------------------------------------------------------------------


def test_429_retry_after_seconds_is_honoured(client, provider, waits):
    provider.script = [respond(429, headers={"Retry-After": "7"}), respond(200, {})]

    assert client.request("GET", "/v1/installments").status == 200
    assert waits == [7.0]


def test_429_retry_after_http_date_is_honoured(client, provider, waits):
    when = time.time() + 20
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(when))
    provider.script = [respond(429, headers={"Retry-After": date}), respond(200, {})]

    client.request("GET", "/v1/installments")

    assert len(waits) == 1
    assert 17 <= waits[0] <= 20


def test_429_asking_longer_than_the_total_wait_cap_is_raised_at_once(client, provider, waits):
    provider.script = [respond(429, headers={"Retry-After": "120"}), respond(200, {})]

    with pytest.raises(ProviderRateLimited) as raised:
        client.request("GET", "/v1/installments")

    assert raised.value.retry_after == timedelta(seconds=120)
    assert waits == []
    assert len(provider.received) == 1


def test_waits_add_up_to_at_most_max_total_wait(provider, make_client, waits):
    client = make_client(provider.base_url, max_retries=5, max_total_wait=25)
    provider.script = [respond(429, headers={"Retry-After": "10"})] * 6

    with pytest.raises(ProviderRateLimited):
        client.request("GET", "/v1/installments")

    assert waits == [10.0, 10.0]  # a third wait would pass 25 s
    assert len(provider.received) == 3


def test_429_on_a_non_idempotent_post_is_raised_at_once(client, provider, waits):
    provider.script = [respond(429, headers={"Retry-After": "1"}), respond(200, {})]

    with pytest.raises(ProviderRateLimited) as raised:
        client.request("POST", "/v1/sale", json={})

    assert raised.value.retry_after == timedelta(seconds=1)
    assert waits == []
    assert len(provider.received) == 1


# --- error mapping -----------------------------------------------------------------------------


def test_401_is_an_auth_error_and_never_retried(client, provider):
    provider.script = [respond(401, {"detail": "Invalid API key"}), respond(200, {})]

    with pytest.raises(ProviderAuthError) as raised:
        client.request("GET", "/v1/sale/abc")

    assert raised.value.http_status == 401
    assert raised.value.merchant_message == "Invalid API key"
    assert len(provider.received) == 1


def test_422_is_rejected_with_the_providers_code_and_messages(client, provider):
    body = {
        "error_code": "30003",
        "error_message": "Invalid Amount",
        "customer_message": "An unexpected error has occurred, please contact the seller.",
    }
    provider.script = [respond(422, body)]

    with pytest.raises(ProviderRejected) as raised:
        client.request("POST", "/v1/sale", json={"amount": Decimal("-1.00")})

    error = raised.value
    assert (error.provider, error.http_status, error.code) == ("testpay", 422, "30003")
    assert error.merchant_message == "Invalid Amount"
    assert error.customer_message == body["customer_message"]
    assert str(error) == "testpay HTTP 422 [30003] Invalid Amount"


def test_nested_error_objects_and_non_json_bodies_are_mapped(client, provider):
    provider.script = [
        respond(400, {"error": {"code": "amount_invalid", "message": "amount must be > 0"}}),
        respond(502, b"<html>Bad Gateway</html>", {"Content-Type": "text/html"}),
    ]

    with pytest.raises(ProviderRejected) as rejected:
        client.request("POST", "/v1/sale", json={})
    with pytest.raises(ProviderUnavailable) as unavailable:
        client.request("POST", "/v1/sale", json={})

    assert (rejected.value.code, rejected.value.merchant_message) == (
        "amount_invalid",
        "amount must be > 0",
    )
    assert unavailable.value.merchant_message == "Bad Gateway"


def test_a_providers_error_mapper_supplies_its_own_fields(provider, make_client):
    def paytrek_errors(response: requests.Response) -> ProviderError:
        first = response.json()["errors"][0]
        return error_from_response(
            "testpay", response, code=first["key"], merchant_message=first["text"]
        )

    client = make_client(provider.base_url, error_mapper=paytrek_errors)
    provider.script = [respond(400, {"errors": [{"key": "E42", "text": "bad card"}]})]

    with pytest.raises(ProviderRejected) as raised:
        client.request("POST", "/v1/sale", json={})

    assert (raised.value.code, raised.value.merchant_message) == ("E42", "bad card")


def test_a_failing_error_mapper_still_yields_the_status_class(provider, make_client):
    client = make_client(provider.base_url, error_mapper=lambda r: r.json()["errors"][0])
    provider.script = [respond(503, b"<html>down</html>")]

    with pytest.raises(ProviderUnavailable):
        client.request("POST", "/v1/sale", json={})


def test_redirects_are_not_followed(client, provider):
    provider.script = [respond(302, headers={"Location": "http://elsewhere.invalid/"})]

    with pytest.raises(ProviderError) as raised:
        client.request("GET", "/v1/sale/abc")

    assert type(raised.value) is ProviderError
    assert raised.value.http_status == 302


def test_errors_survive_pickling_whole():
    error = ProviderRateLimited(
        "testpay", http_status=429, code="slow", retry_after=timedelta(seconds=3)
    )

    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes

    assert type(copy) is ProviderRateLimited
    assert (copy.code, copy.retry_after, str(copy)) == ("slow", error.retry_after, str(error))


# --- what goes on the wire ---------------------------------------------------------------------


def test_decimal_is_sent_as_a_json_number_literal(client, provider):
    client.request("POST", "/v1/sale", json={"amount": Decimal("12.50")})

    assert provider.received[0].body == b'{"amount":12.50}'


def test_response_numbers_with_a_fraction_come_back_as_decimal(client, provider):
    provider.script = [respond(200, b'{"amount": 12.50, "installments": 3}')]

    data = client.request("GET", "/v1/sale/abc").data

    assert data == {"amount": Decimal("12.50"), "installments": 3}
    assert isinstance(data["amount"], Decimal)


def test_json_headers_are_sent_on_every_request_get_included(client, provider):
    client.request("GET", "/v1/sale/abc")

    headers = provider.received[0].headers
    assert headers["Content-Type"] == "application/json"
    assert headers["Accept"] == "application/json"
    assert provider.received[0].body == b""


def test_credentials_params_and_path_params_reach_the_provider(provider, make_client):
    client = make_client(provider.base_url, auth={"X-Api-Key": "k-1"})

    client.request(
        "GET",
        "/v1/vault/{card_token}/",
        params={"bin": "450803"},
        path_params={"card_token": "a/b c"},
    )

    seen = provider.received[0]
    assert seen.headers["X-Api-Key"] == "k-1"
    assert seen.query == "bin=450803"
    assert seen.path == "/v1/vault/a%2Fb%20c/"  # one segment, not two


def test_cookies_set_by_a_provider_are_never_sent_back(client, provider):
    provider.script = [respond(200, {}, {"Set-Cookie": "session=merchant-a; Path=/"})]

    client.request("GET", "/v1/a")
    client.request("GET", "/v1/b")

    assert "Cookie" not in provider.received[1].headers


def test_paths_must_stay_on_the_base_url(client):
    with pytest.raises(ValueError, match="relative"):
        client.request("GET", "http://elsewhere.invalid/steal")


# --- backoff -----------------------------------------------------------------------------------

JITTER_STEPS = 2**53


@given(
    attempt=st.integers(min_value=0, max_value=10_000),
    step=st.integers(min_value=0, max_value=JITTER_STEPS - 1),
)
def test_backoff_delay_is_full_jitter_below_the_capped_exponential(attempt, step):
    delay = backoff_delay(attempt, base=0.25, cap=8, rand=lambda: step / JITTER_STEPS)

    assert 0 <= delay < min(8, 0.25 * 2 ** min(attempt, 64))


@given(attempt=st.integers(min_value=0, max_value=60))
def test_backoff_ceiling_doubles_from_base_until_the_cap(attempt):
    assert backoff_delay(attempt, base=0.25, cap=8, rand=lambda: 1) == min(8, 0.25 * 2**attempt)


def test_backoff_rejects_a_negative_attempt():
    with pytest.raises(ValueError, match="attempt"):
        backoff_delay(-1, rand=lambda: 0)


# --- logs --------------------------------------------------------------------------------------

API_KEY = "sk_live_51Hq8sEcReT"
BEARER = "pientegra_raw_api_key_77"
QUERY_TOKEN = "secret123"
CARD_TOKEN = "ctok_9f8e7d6c5b4a"
PAN = "4508034508034509"
IBAN = "TR320010009999901234567890"
SECRETS = (
    API_KEY,
    BEARER,
    QUERY_TOKEN,
    CARD_TOKEN,
    PAN,
    "4508 0345 0803 4509",
    IBAN,
    "0010009999901234",
)


@pytest.fixture
def root_handler_filters(caplog) -> Iterator[None]:
    """Puts the root handlers' filters (caplog's among them) back as they were."""
    saved = {handler: list(handler.filters) for handler in logging.getLogger().handlers}
    yield
    for handler, filters in saved.items():
        handler.filters[:] = filters


@pytest.fixture
def log_redaction(root_handler_filters) -> None:
    """What the app does at start-up, once logging is configured."""
    install_log_redaction()


@pytest.fixture
def no_root_redaction(root_handler_filters) -> None:
    """Only what the layer does by itself: no redacting filter on the root handlers."""
    for handler in logging.getLogger().handlers:
        handler.filters[:] = [f for f in handler.filters if not isinstance(f, RedactingFilter)]


def _everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    records = caplog.records
    return "\n".join(
        [caplog.text, *(r.getMessage() for r in records), *(r.exc_text or "" for r in records)]
    )


def _charge_a_card_three_ways(provider: ScriptedProvider, client: ProviderHTTP) -> None:
    """A retried POST, a rejected one that echoes the card and gets logged, a path token."""
    card = {"card_number": PAN, "iban": IBAN, "amount": Decimal("12.50")}
    query = {"token": QUERY_TOKEN, "amount": "12.50"}
    echo = {"error_code": "10009", "error_message": f"Invalid card {PAN} for IBAN {IBAN}"}
    provider.script = [respond(500), respond(200, {}), respond(422, echo), respond(200, {})]

    client.request("POST", "/v1/charge", params=query, json=card, idempotency_key="idem-1")
    try:
        client.request("POST", "/v1/charge", params=query, json=card)
    except ProviderRejected:
        logging.getLogger("webapp.payments").exception("charge failed")
    client.request("GET", "/v1/vault/{card_token}/", path_params={"card_token": CARD_TOKEN})


def _assert_scrubbed(logged: str) -> None:
    for secret in SECRETS:
        assert secret not in logged


def test_logs_never_carry_credentials_card_numbers_or_ibans(
    provider, make_client, caplog, log_redaction
):
    caplog.set_level(logging.DEBUG)
    credentials = {"Authorization": f"Bearer {BEARER}", "X-API-KEY": API_KEY}
    client = make_client(provider.base_url, auth=credentials)

    _charge_a_card_three_ways(provider, client)
    logging.getLogger("webapp.elsewhere").warning(
        "careless: %s from %s, headers %s", PAN, IBAN, credentials
    )

    logged = _everything_logged(caplog)
    assert any(
        r.name == "urllib3.connectionpool" and "/v1/charge" in r.getMessage()
        for r in caplog.records
    )
    assert "POST /v1/charge?token=***&amount=12.50 (Idempotency-Key idem-1) -> 500" in logged
    assert "GET /v1/vault/{card_token}/ -> 200" in logged
    assert "careless: ****4509 from TR****7890" in logged
    _assert_scrubbed(logged)
    assert provider.received[0].headers["X-Api-Key"] == API_KEY  # ...while the provider got it all
    assert PAN.encode() in provider.received[0].body


def test_the_layer_alone_keeps_its_own_and_urllib3s_logs_clean(
    provider, make_client, caplog, no_root_redaction
):
    caplog.set_level(logging.DEBUG)
    client = make_client(provider.base_url, auth={"X-API-KEY": API_KEY})

    _charge_a_card_three_ways(provider, client)

    logged = _everything_logged(caplog)
    assert '"POST /v1/charge?token=***&amount=12.50 HTTP/1.1" 500' in logged  # urllib3's line
    _assert_scrubbed(logged)
