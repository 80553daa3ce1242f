"""Driving a running sandbox (``webapp.sandbox``) over HTTP from tests.

``SandboxControl`` wraps the ``/_sandbox/`` controls: reset, clock, faults, settings,
records, webhook deliveries, and the operator's decisions, so tests read as scenarios.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
import requests
import simplejson

from webapp.config import SANDBOX_PATHS

TEST_CONFIG: Mapping[str, str] = {
    "NEXKASA_API_KEY": "test-nexkasa-api-key-0123456789abcdef",
    "NEXKASA_WEBHOOK_SECRET": "test-nexkasa-webhook-secret",
    "PAYTREK_API_KEY": "test-paytrek-api-key",
    "PAYTREK_SECRET": "test-paytrek-secret",
    "PAYTREK_PUBLISHABLE_KEY": "test-paytrek-publishable-key",
    "PIENTEGRA_API_KEY": "sk_test_pientegra_c2FuZGJveC10ZXN0LWtleS0wMTIzNDU2Nzg5",
    "PIENTEGRA_WEBHOOK_SECRET": "whsec_test_pientegra_webhook_secret",
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
        return self.url + SANDBOX_PATHS[provider.upper()]

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


class PaytrekCaller:
    """Calls the sandbox's Paytrek API as a merchant would: Basic auth, JSON bodies (Decimal
    written as a number, never through float), the document's example sale as defaults."""

    SALE: ClassVar[Mapping[str, Any]] = {
        "amount": "24.00",
        "currency": "TRY",
        "secure_option": False,
        "pre_auth": False,
        "billing_address": "123 Market St. San Francisco",
        "billing_city": "San Francisco",
        "billing_country": "US",
        "billing_state": "CA",
        "customer_email": "johndoe@gmail.com",
        "customer_first_name": "John",
        "customer_last_name": "Doe",
        "customer_ip_address": "212.57.9.204",
        "installment": 1,
        "items": [{"unit_price": "12.00", "quantity": 2, "name": "product_name"}],
        "sale_data": {"merchant_name": "Ted"},
    }
    CARD: ClassVar[Mapping[str, str]] = {
        "number": "4508034508034509",
        "expiration": "12/2040",
        "cvc": "000",
        "card_holder_name": "John Doe",
    }

    def __init__(self, sandbox: SandboxControl) -> None:
        self.base_url = sandbox.base_url("paytrek")
        self.auth = (sandbox.config["PAYTREK_API_KEY"], sandbox.config["PAYTREK_SECRET"])
        self.publishable_key = sandbox.config["PAYTREK_PUBLISHABLE_KEY"]

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        auth: tuple[str, str] | bool | None = True,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """``body`` is encoded as JSON unless it is bytes (sent as is); ``auth=True`` sends the
        right credentials, ``None`` none; ``headers`` replace the default
        ``Content-Type: application/json`` (``{}`` sends none)."""
        if body is not None and not isinstance(body, bytes):
            body = simplejson.dumps(body, use_decimal=True)
        return requests.request(
            method,
            f"{self.base_url}{path}",
            data=body,
            auth=self.auth if auth is True else auth or None,
            headers={"Content-Type": "application/json"} if headers is None else headers,
            timeout=kwargs.pop("timeout", TIMEOUT),
            **kwargs,
        )

    def create_sale(self, **fields: Any) -> requests.Response:
        body = {**self.SALE, "order_id": f"ORDER-{uuid.uuid4().hex[:12]}", **fields}
        return self.call("POST", "/api/v2/sale/", body)

    def sale_token(self, **fields: Any) -> str:
        response = self.create_sale(**fields)
        assert response.status_code == 201, response.text
        return response.json()["sale_token"]

    def sale(self, sale_token: str) -> requests.Response:
        return self.call("GET", f"/api/v2/sale/{sale_token}/")

    def charge(self, sale_token: str, **card: Any) -> requests.Response:
        return self.call("POST", "/api/v2/charge/", {"sale_token": sale_token, **self.CARD, **card})

    def direct_charge(self, **fields: Any) -> requests.Response:
        order_id = f"ORDER-{uuid.uuid4().hex[:12]}"
        body = {**self.SALE, **self.CARD, "order_id": order_id, **fields}
        return self.call("POST", "/api/v2/direct_charge/", body)

    def vault(self, **card: Any) -> requests.Response:
        return self.call("POST", "/api/v2/vault/", {**self.CARD, **card})

    def charge_with_token(self, sale_token: str, card_token: str) -> requests.Response:
        body = {"sale_token": sale_token, "card_token": card_token}
        return self.call("POST", "/api/v2/charge_with_token/", body)

    def sale_action(self, action: str, sale_token: str, **fields: Any) -> requests.Response:
        """``capture``, ``cancel`` or ``refund`` (``amount=``, ``comments=``)."""
        return self.call("POST", f"/api/v2/{action}/", {"sale_token": sale_token, **fields})


class PientegraCaller:
    """Calls the sandbox's Pientegra External API as a partner backend would (Bearer key, a fresh
    Idempotency-Key per POST unless one is given), and decides as Pientegra's operator."""

    DEPOSIT: ClassVar[Mapping[str, str]] = {"externalUserId": "user-42", "amount": "100000"}
    WITHDRAW: ClassVar[Mapping[str, str]] = {
        "externalUserId": "user-42",
        "amount": "250000",
        "currency": "TRY",
        "targetIban": "TR320010009999901234567890",
        "targetHolderName": "Ayşe Yılmaz",
    }

    def __init__(self, sandbox: SandboxControl) -> None:
        self.sandbox = sandbox
        self.base_url = sandbox.base_url("pientegra")
        self.auth = {"Authorization": f"Bearer {sandbox.config['PIENTEGRA_API_KEY']}"}
        self.webhook_secret = sandbox.config["PIENTEGRA_WEBHOOK_SECRET"]

    def call(
        self, method: str, path: str, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> requests.Response:
        """``path`` below the base URL; ``headers`` replace the default ones (``{}``: none)."""
        return requests.request(
            method,
            f"{self.base_url}{path}",
            headers=self.auth if headers is None else headers,
            timeout=kwargs.pop("timeout", TIMEOUT),
            **kwargs,
        )

    def post(self, path: str, body: Any, idempotency_key: str | None = None) -> requests.Response:
        key = idempotency_key or str(uuid.uuid4())
        return self.call("POST", path, {**self.auth, "Idempotency-Key": key}, json=body)

    def deposit(self, idempotency_key: str | None = None, **fields: Any) -> requests.Response:
        return self.post("/external/deposits", {**self.DEPOSIT, **fields}, idempotency_key)

    def withdraw(self, idempotency_key: str | None = None, **fields: Any) -> requests.Response:
        return self.post("/external/withdrawals", {**self.WITHDRAW, **fields}, idempotency_key)

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.call("GET", path, params=params)

    def send_webhooks_to(self, url: str) -> None:
        self.sandbox.settings("pientegra", webhook_url=url)

    def operator(self, kind: str, object_id: str, action: str, **fields: Any) -> Any:
        """``kind`` ``intents`` or ``withdrawals``; answers the object as the lookup shows it."""
        path = f"/pientegra/_operator/{kind}/{object_id}/{action}"
        return self.sandbox._call("POST", path, json=fields)
