"""Real HTTP servers for tests: any WSGI app on a free port, and a callback recorder.

``LiveServer`` runs werkzeug's threaded server in a daemon thread, waits (with a deadline)
until it accepts TCP connections and fails the test otherwise, and shuts it down on exit.
``CallbackRecorder`` is a live server that keeps every request it receives and answers with
scripted statuses, for asserting what a provider (or the sandbox) really sent.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import Any

import pytest
from werkzeug.datastructures import Headers
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

STARTUP_SECONDS = 10.0
POLL_SECONDS = 0.02


class LiveServer:
    """``with LiveServer(app, host="localhost") as server: requests.get(server.url)``."""

    def __init__(self, app: Any, host: str = "127.0.0.1", url_host: str | None = None) -> None:
        self._app = app
        self._host = host
        self._url_host = url_host or host
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the live server is not running")
        return self._server.server_port

    @property
    def url(self) -> str:
        return f"http://{self._url_host}:{self.port}"

    def __enter__(self) -> LiveServer:
        self._server = make_server(self._host, 0, self._app, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": POLL_SECONDS},  # how long shutdown() may wait
            name=f"live-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        self._wait_until_accepting()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=STARTUP_SECONDS)
        self._server = self._thread = None

    def _wait_until_accepting(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self._url_host, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(POLL_SECONDS)  # poll interval inside a deadline
        pytest.fail(f"live server {self.url} did not accept connections in {STARTUP_SECONDS}s")


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: str
    headers: Headers
    """Case-insensitive, as HTTP header names are."""
    body: bytes

    def json(self) -> Any:
        """The body as JSON, numbers with a fraction as Decimal (never float)."""
        return json.loads(self.body, parse_float=Decimal)


class CallbackRecorder(LiveServer):
    """Records every request; answers ``statuses`` in turn, repeating the last one."""

    def __init__(self, statuses: Iterable[int] = (200,), host: str = "127.0.0.1") -> None:
        super().__init__(self._wsgi, host=host)
        self._statuses = list(statuses) or [200]
        self._requests: list[RecordedRequest] = []
        self._arrived = threading.Condition()

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._arrived:
            return list(self._requests)

    def url_for(self, path: str = "/callback") -> str:
        return f"{self.url}{path}"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """At least ``count`` requests, or the test fails after ``timeout`` seconds."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self._requests) >= count, timeout):
                pytest.fail(
                    f"callback recorder got {len(self._requests)} requests, "
                    f"expected {count} within {timeout}s"
                )
            return list(self._requests)

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            query=request.query_string.decode(),
            headers=Headers(request.headers),
            body=request.get_data(),
        )
        with self._arrived:
            status = self._statuses[min(len(self._requests), len(self._statuses) - 1)]
            self._requests.append(recorded)
            self._arrived.notify_all()
        return Response("recorded", status=status)(environ, start_response)
