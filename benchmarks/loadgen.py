"""A bounded, self-stopping closed-loop load generator: N virtual clients for a fixed time.

Plain asyncio and a minimal HTTP/1.1 keep-alive client, so it needs nothing outside the standard
library and costs little CPU on the machine it shares with the servers (its CPU is measured).
Each virtual client owns one keep-alive connection and sends its next request when the previous
one is answered. Only requests answered inside the measured window count; a client stops
starting requests at the window's end, and every request has a timeout, so a run always ends.

Scenarios (``SCENARIOS``):

- ``floor``: ``POST /sale`` on ``floor_app`` (one Paytrek call, nothing else);
- ``api_checkout``: ``POST /api/v1/checkouts`` with a unique ``order_id``;
- ``hosted_sale``: per iteration, untimed ``POST /api/v1/checkouts`` and ``GET /pay/<id>``
  (CSRF token and session cookie), then the timed ``POST /pay/<id>`` with
  ``method=card_hosted``, which must answer 303 to the sandbox's hosted page;
- ``hosted_sale_post_only``: the same timed POST, on checkouts and pages prepared before the
  window, so the site serves nothing but the POST while it is measured (like the floor).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

REQUEST_TIMEOUT = 30.0  # seconds; above gunicorn's worst queueing here, below its 45 s timeout
CSRF_INPUT = re.compile(
    rb'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"'
)


class RequestFailed(Exception):
    """A transport failure or timeout; ``kind`` names it for the error counts."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]  # names lower-cased
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]


class Connection:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1; reconnects when the server closed it.

    A request is resent once, and only when it went out on a reused connection that the server
    had already closed and not a byte of answer came back (what browsers do too); such resends
    are counted in ``reconnects``.
    """

    def __init__(self, host: str, port: int, stats: Counter) -> None:
        if host not in ("127.0.0.1", "localhost"):
            raise ValueError("the benchmark only talks to loopback")
        self.host, self.port, self.stats = host, port, stats
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Response:
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        head += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body or method in ("POST", "PUT", "PATCH"):
            head.append(f"Content-Length: {len(body)}")
        raw = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        for attempt in range(2):
            reused = self._writer is not None
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT):
                    if not reused:
                        self._reader, self._writer = await asyncio.open_connection(
                            self.host, self.port
                        )
                        self.stats["connections_opened"] += 1
                    self._writer.write(raw)
                    return await self._read(method)
            except TimeoutError:
                self.close()
                raise RequestFailed("timeout") from None
            except _Stale:
                self.close()
                if reused and attempt == 0:
                    self.stats["reconnects"] += 1
                    continue
                raise RequestFailed("connection_closed") from None
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
                self.close()
                raise RequestFailed(type(error).__name__) from None
        raise RequestFailed("connection_closed")

    async def _read(self, method: str) -> Response:
        assert self._reader is not None
        try:
            head = await self._reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionResetError) as error:
            partial = getattr(error, "partial", b"")
            if not partial:
                raise _Stale from None
            raise
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = []
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers.append((name.strip().lower(), value.strip()))
        response = Response(status, headers, b"")
        encoding = (response.header("transfer-encoding") or "").lower()
        length = response.header("content-length")
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            pass
        elif "chunked" in encoding:
            response.body = await self._chunked()
        elif length is not None:
            response.body = await self._reader.readexactly(int(length))
        else:
            response.body = await self._reader.read()
            self.close()
            return response
        if (response.header("connection") or "").lower() == "close":
            self.close()
        return response

    async def _chunked(self) -> bytes:
        assert self._reader is not None
        parts = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                while (await self._reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                return b"".join(parts)
            parts.append(await self._reader.readexactly(size))
            await self._reader.readexactly(2)


class _Stale(Exception):
    """The server closed the connection before answering a single byte."""


@dataclass
class Recorder:
    """Timed requests answered inside [start, end]; everything else is ignored."""

    start: float
    end: float
    latencies: list[float] = field(default_factory=list)  # seconds, successful only
    errors: Counter = field(default_factory=Counter)
    untimed: Counter = field(default_factory=Counter)  # set-up requests sent in the window
    untimed_errors: Counter = field(default_factory=Counter)

    def timed(self, started: float, ok: bool, kind: str = "") -> None:
        finished = time.perf_counter()
        if finished > self.end or started < self.start:
            return
        if ok:
            self.latencies.append(finished - started)
        else:
            self.errors[kind] += 1

    def setup(self, name: str, ok: bool, kind: str = "") -> None:
        if time.perf_counter() <= self.end:
            self.untimed[name] += 1
            if not ok:
                self.untimed_errors[f"{name}:{kind}"] += 1


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), round(fraction * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def summarize(latencies: list[float], errors: Counter, seconds: float) -> dict[str, Any]:
    values = sorted(latencies)

    def ms(seconds: float | None) -> float | None:
        return None if seconds is None else round(seconds * 1000, 2)

    return {
        "ok": len(values),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "throughput_rps": round(len(values) / seconds, 1) if seconds else None,
        "p50_ms": ms(percentile(values, 0.50)),
        "p90_ms": ms(percentile(values, 0.90)),
        "p99_ms": ms(percentile(values, 0.99)),
        "max_ms": ms(values[-1] if values else None),
        "mean_ms": ms(sum(values) / len(values) if values else None),
    }


# --- scenarios --------------------------------------------------------------------------------


@dataclass
class Target:
    """Where the site and the floor answer, and the merchant the API calls act for."""

    site_url: str
    floor_url: str
    sandbox_url: str
    api_key: str
    run_id: str


@dataclass
class Page:
    """A checkout whose payment page was opened: what the POST needs."""

    checkout_id: str
    cookie: str
    csrf_token: str


def checkout_body(target: Target, order_id: str) -> bytes:
    """An API checkout with every payer detail, so the page asks only for the method."""
    return json.dumps(
        {
            "amount": "150.00",
            "currency": "TRY",
            "order_id": order_id,
            "description": "Benchmark order",
            "items": [{"name": "Bench item", "quantity": 1, "unit_price": "150.00"}],
            "customer": {
                "id": "bench-customer",
                "first_name": "Ayşe",
                "last_name": "Yılmaz",
                "email": "ayse@example.com",
                "phone": "+90 555 000 00 00",
            },
            "billing": {
                "address": "Bağdat Caddesi 1",
                "city": "İstanbul",
                "state": "Kadıköy",
                "country": "TR",
                "zipcode": "34000",
            },
            "success_url": f"{target.site_url}/bench/success",
            "cancel_url": f"{target.site_url}/bench/cancel",
            "methods": ["card_hosted"],
        }
    ).encode()


class Scenario:
    name = ""
    server = "site"  # or "floor"
    _orders = itertools.count(1)  # shared by every scenario of a run: order ids never repeat

    def __init__(self, target: Target) -> None:
        self.target = target

    def order_id(self) -> str:
        return f"bench-{self.target.run_id}-{next(Scenario._orders)}"

    async def once(self, conn: Connection, rec: Recorder) -> bool:
        """One iteration; False when the client must stop (nothing left to do)."""
        raise NotImplementedError

    async def _timed(
        self, rec: Recorder, send: Awaitable[Response], check: Callable[[Response], bool]
    ) -> Response | None:
        started = time.perf_counter()
        try:
            response = await send
        except RequestFailed as failed:
            rec.timed(started, False, failed.kind)
            return None
        ok = check(response)
        rec.timed(started, ok, "" if ok else f"http_{response.status}")
        return response if ok else None

    # untimed set-up steps shared by the hosted-sale scenarios

    async def create_checkout(self, conn: Connection, rec: Recorder | None) -> str | None:
        try:
            response = await conn.request(
                "POST",
                "/api/v1/checkouts",
                {
                    "Authorization": f"Bearer {self.target.api_key}",
                    "Content-Type": "application/json",
                },
                checkout_body(self.target, self.order_id()),
            )
        except RequestFailed as failed:
            if rec is not None:
                rec.setup("api_checkout", False, failed.kind)
            return None
        ok = response.status == 201
        if rec is not None:
            rec.setup("api_checkout", ok, f"http_{response.status}")
        return json.loads(response.body)["id"] if ok else None

    async def open_page(
        self, conn: Connection, checkout_id: str, rec: Recorder | None
    ) -> Page | None:
        try:
            response = await conn.request("GET", f"/pay/{checkout_id}", {"Accept": "text/html"})
        except RequestFailed as failed:
            if rec is not None:
                rec.setup("pay_page", False, failed.kind)
            return None
        match = CSRF_INPUT.search(response.body)
        cookies = [c.split(";", 1)[0] for c in response.all("set-cookie")]
        ok = response.status == 200 and match is not None and bool(cookies)
        if rec is not None:
            rec.setup("pay_page", ok, f"http_{response.status}")
        if not ok:
            return None
        token = (match.group(1) or match.group(2)).decode()
        return Page(checkout_id, "; ".join(cookies), token)

    def start_sale(self, conn: Connection, page: Page) -> Awaitable[Response]:
        body = urlencode({"csrf_token": page.csrf_token, "method": "card_hosted"}).encode()
        return conn.request(
            "POST",
            f"/pay/{page.checkout_id}",
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": page.cookie,
                "Origin": self.target.site_url,
                "Accept": "text/html",
            },
            body,
        )

    def redirected_to_paytrek(self, response: Response) -> bool:
        location = response.header("location") or ""
        hosted = f"{self.target.sandbox_url}/paytrek/"
        return response.status == 303 and location.startswith(hosted) and "token=" in location


class Floor(Scenario):
    name = "floor"
    server = "floor"

    async def once(self, conn: Connection, rec: Recorder) -> bool:
        await self._timed(
            rec,
            conn.request("POST", "/sale", {"Accept": "application/json"}),
            lambda r: r.status == 200 and b'"token"' in r.body,
        )
        return True


class ApiCheckout(Scenario):
    name = "api_checkout"

    async def once(self, conn: Connection, rec: Recorder) -> bool:
        await self._timed(
            rec,
            conn.request(
                "POST",
                "/api/v1/checkouts",
                {
                    "Authorization": f"Bearer {self.target.api_key}",
                    "Content-Type": "application/json",
                },
                checkout_body(self.target, self.order_id()),
            ),
            lambda r: r.status == 201,
        )
        return True


class HostedSale(Scenario):
    name = "hosted_sale"

    async def once(self, conn: Connection, rec: Recorder) -> bool:
        checkout_id = await self.create_checkout(conn, rec)
        page = checkout_id and await self.open_page(conn, checkout_id, rec)
        if page:
            await self._timed(rec, self.start_sale(conn, page), self.redirected_to_paytrek)
        return True


class HostedSalePostOnly(Scenario):
    name = "hosted_sale_post_only"

    def __init__(self, target: Target) -> None:
        super().__init__(target)
        self.pages: list[Page] = []
        self.exhausted_at: float | None = None

    async def prepare(self, count: int, concurrency: int, port: int, stats: Counter) -> int:
        """Have ``count`` opened pages: create checkouts and open their pages for what is missing
        (bounded: one pass, no retries)."""
        todo = iter(range(max(0, count - len(self.pages))))

        async def worker() -> None:
            conn = Connection("127.0.0.1", port, stats)
            try:
                for _ in todo:
                    checkout_id = await self.create_checkout(conn, None)
                    page = checkout_id and await self.open_page(conn, checkout_id, None)
                    if page:
                        self.pages.append(page)
            finally:
                conn.close()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(self.pages)

    async def once(self, conn: Connection, rec: Recorder) -> bool:
        if not self.pages:
            self.exhausted_at = self.exhausted_at or time.perf_counter()
            return False
        page = self.pages.pop()
        await self._timed(rec, self.start_sale(conn, page), self.redirected_to_paytrek)
        return True


SCENARIOS: dict[str, type[Scenario]] = {
    cls.name: cls for cls in (Floor, ApiCheckout, HostedSale, HostedSalePostOnly)
}


async def run_phase(
    scenario: Scenario, url: str, concurrency: int, seconds: float, stats: Counter
) -> Recorder:
    """``concurrency`` clients loop until ``seconds`` have passed; bounded by the deadline."""
    port = urlsplit(url).port
    assert port is not None
    start = time.perf_counter()
    rec = Recorder(start=start, end=start + seconds)

    async def client() -> None:
        conn = Connection("127.0.0.1", port, stats)
        try:
            while time.perf_counter() < rec.end:
                if not await scenario.once(conn, rec):
                    return
        finally:
            conn.close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return rec
