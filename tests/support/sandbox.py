"""Driving a running sandbox (``webapp.sandbox``) over HTTP from tests.

``SandboxControl`` wraps the ``/_sandbox/`` controls: reset, clock, faults, settings,
records, webhook deliveries, and the operator's decisions, so tests read as scenarios.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
import requests

TEST_CONFIG: Mapping[str, str] = {
    "NEXKASA_API_KEY": "test-nexkasa-api-key-0123456789abcdef",
    "NEXKASA_WEBHOOK_SECRET": "test-nexkasa-webhook-secret",
}
TIMEOUT = (2.0, 10.0)  # connect, read
POLL_SECONDS = 0.02


@dataclass
class SandboxControl:
    url: str
    config: Mapping[str, str] = field(default_factory=lambda: dict(TEST_CONFIG))
    http: requests.Session = field(default_factory=requests.Session)

    def base_url(self, provider: str) -> str:
        """What the product would configure as ``<PROVIDER>_BASE_URL``."""
        return f"{self.url}/{provider}"

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, f"{self.url}{path}", timeout=TIMEOUT, **kwargs)
        assert response.ok, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def reset(self) -> None:
        self._call("POST", "/_sandbox/reset", json={})

    def fault(self, provider: str = "nexkasa", route: str = "*", **rule: Any) -> dict[str, Any]:
        return self._call(
            "POST", "/_sandbox/faults", json={"provider": provider, "route": route, **rule}
        )

    def webhook_fault(self, mode: str, provider: str = "nexkasa", count: int = 1) -> None:
        self._call(
            "POST", "/_sandbox/faults", json={"provider": provider, "webhook": mode, "count": count}
        )

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "/_sandbox/faults")["faults"]

    def clear_faults(self) -> None:
        self._call("DELETE", "/_sandbox/faults")

    def now(self) -> str:
        return self._call("GET", "/_sandbox/clock")["now"]

    def advance(self, seconds: float) -> str:
        return self._call("POST", "/_sandbox/clock", json={"advance_seconds": seconds})["now"]

    def settings(self, provider: str, **switches: str) -> dict[str, str]:
        return self._call("POST", f"/_sandbox/{provider}/settings", json=switches)

    def records(self, provider: str, table: str) -> list[dict[str, Any]]:
        return self._call("GET", f"/_sandbox/records/{provider}/{table}")["records"]

    def deliveries(self, provider: str | None = None) -> list[dict[str, Any]]:
        params = {"provider": provider} if provider else {}
        return self._call("GET", "/_sandbox/deliveries", params=params)["deliveries"]

    def wait_for_webhooks_idle(self, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Every webhook sent, retried or given up; returns the recorded attempts."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self._call("GET", "/_sandbox/deliveries")
            if state["in_flight"] == 0:
                return state["deliveries"]
            time.sleep(POLL_SECONDS)  # poll interval inside a deadline
        pytest.fail(f"sandbox webhooks still in flight after {timeout}s")

    def operator(self, provider: str, transaction_id: int, action: str, **fields: Any) -> Any:
        path = f"/{provider}/_operator/{transaction_id}/{action}"
        return self._call("POST", path, json=fields)

    def assign(self, provider: str, transaction_id: int) -> dict[str, Any]:
        return self.operator(provider, transaction_id, "assign")

    def approve(self, provider: str, transaction_id: int) -> dict[str, Any]:
        return self.operator(provider, transaction_id, "approve")

    def reject(self, provider: str, transaction_id: int, reason: str | None = None) -> Any:
        return self.operator(provider, transaction_id, "reject", reason=reason)


class NexKasaCaller:
    """Calls the sandbox's NexKasa API as a merchant would: valid defaults, the right key."""

    DEPOSIT: ClassVar[Mapping[str, str]] = {
        "amount": "1500.00",
        "full_name": "Ahmet Yılmaz",
        "user_id": "USER_ID_12345",
    }
    WITHDRAW: ClassVar[Mapping[str, str]] = {
        "amount": "5000.00",
        "customer_iban": "TR120006200000012345678901",
        "customer_name": "Mehmet Demir",
        "external_id": "TXN_998877",
    }

    def __init__(self, sandbox: SandboxControl) -> None:
        self.base_url = sandbox.base_url("nexkasa")
        self.auth = {"X-API-KEY": sandbox.config["NEXKASA_API_KEY"]}

    def call(
        self, method: str, path: str, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> requests.Response:
        """``headers`` replace the default ``X-API-KEY`` header (``{}`` sends no key)."""
        return requests.request(
            method,
            f"{self.base_url}{path}",
            headers=self.auth if headers is None else headers,
            timeout=kwargs.pop("timeout", TIMEOUT),
            **kwargs,
        )

    def deposit(self, headers: Mapping[str, str] | None = None, **fields: Any) -> Any:
        body = {**self.DEPOSIT, **fields}
        return self.call("POST", "/api/public/deposit-request/", headers, json=body)

    def withdraw(self, headers: Mapping[str, str] | None = None, **fields: Any) -> Any:
        body = {**self.WITHDRAW, **fields}
        return self.call("POST", "/api/public/withdraw-request/", headers, json=body)
