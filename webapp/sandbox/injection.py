"""Carries out route faults on every provider API request (Flask before/after hooks).

Only blueprints registered as a provider's ``api`` are touched; framework pages and operator
routes never fail. Latency sleeps before the handler and is reported back in
``X-Sandbox-Injected-Latency-Ms`` so tests need not time it. A status replaces the response;
a drop closes the socket without a byte of response (the client sees a connection error);
a timeout holds the request for ``timeout_seconds`` (or until the faults are cleared), then
drops it. With ``after: true`` those happen once the real handler has committed its work.

Dropping needs werkzeug's development server, which exposes the client socket as
``environ["werkzeug.socket"]``: the sandbox's only server.
"""

from __future__ import annotations

import socket
import time

from flask import Flask, Response, g, jsonify, request

from .faults import Fault, RouteKey
from .registry import SandboxProvider
from .services import current

LATENCY_HEADER = "X-Sandbox-Injected-Latency-Ms"
FAULT_HEADER = "X-Sandbox-Fault"


def install(app: Flask) -> None:
    app.before_request(_before_handler)
    app.after_request(_after_handler)


def _provider_api() -> SandboxProvider | None:
    for provider in current().providers.values():
        if request.blueprint == provider.api.name:
            return provider
    return None


def _route_key(provider: SandboxProvider) -> RouteKey:
    prefix = provider.url_prefix
    rule = request.url_rule.rule if request.url_rule else request.path
    return RouteKey(
        method=request.method,
        path=request.path.removeprefix(prefix),
        rule=rule.removeprefix(prefix),
        endpoint=request.endpoint or "",
    )


def _before_handler() -> Response | None:
    provider = _provider_api()
    if provider is None:
        return None
    fault = current().faults.take_route_fault(provider.name, _route_key(provider))
    if fault is None:
        return None
    g.sandbox_fault = fault
    if fault.latency_ms:
        time.sleep(fault.latency_ms / 1000)  # the simulated slowness itself
    return None if fault.after else _break(fault)


def _after_handler(response: Response) -> Response:
    fault: Fault | None = g.pop("sandbox_fault", None)
    if fault is None:
        return response
    if fault.after:
        response = _break(fault) or response
    response.headers[FAULT_HEADER] = str(fault.id)
    if fault.latency_ms:
        response.headers[LATENCY_HEADER] = str(fault.latency_ms)
    return response


def _break(fault: Fault) -> Response | None:
    """The response replacing the real one; None when the fault only adds latency."""
    if fault.status is not None:
        body = fault.body if fault.body is not None else {"error": f"sandbox fault {fault.id}"}
        response = jsonify(body)
        response.status_code = fault.status
        response.headers.update(fault.headers)
        return response
    if fault.timeout:
        current().faults.hold(fault.timeout_seconds)
        return _drop_connection()
    if fault.drop:
        return _drop_connection()
    return None


def _drop_connection() -> Response:
    client = request.environ.get("werkzeug.socket")
    if client is None:
        raise RuntimeError("dropping a connection needs werkzeug's development server")
    client.shutdown(socket.SHUT_RDWR)
    # Never reaches the client: werkzeug's write fails and it treats the connection as dropped.
    return Response(status=599)
