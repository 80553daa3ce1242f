"""Scripted failures: the rules tests and demos post to ``/_sandbox/faults``.

A *route fault* matches calls to one provider's documented API and says what goes wrong:
extra latency, an error status (with the provider's own error body when the rule gives one),
a dropped connection, or a "timeout" (the request is held far longer than a client waits, then
dropped). With ``after: true`` the status/drop/timeout happens *after* the real handler ran: the
provider committed the work but the client never learns it (idempotent-retry tests).

A *webhook fault* changes the next deliveries of a provider's webhook sender: ``duplicate``
(delivered twice), ``reorder`` (held back until the next delivery went out) or ``drop``.

``count`` limits a rule to the next N matching calls; null keeps it until cleared. This module
is pure bookkeeping; ``injection.py`` and ``webhooks.py`` carry the rules out.
Trust boundary: rules come from whoever can reach the sandbox; they are validated strictly so
a typo fails loudly instead of silently injecting nothing.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

WEBHOOK_MODES = ("duplicate", "reorder", "drop")
DEFAULT_TIMEOUT_SECONDS = 30.0

_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "provider": (str,),
    "route": (str,),
    "latency_ms": (int,),
    "status": (int,),
    "headers": (dict,),
    "drop": (bool,),
    "timeout": (bool,),
    "timeout_seconds": (int, float),
    "after": (bool,),
    "webhook": (str,),
    "count": (int, type(None)),
}
_ANY_JSON_FIELDS = {"body"}


class FaultError(ValueError):
    """A fault rule that cannot be applied; the message names the field."""


@dataclass(frozen=True)
class RouteKey:
    """How one provider API request identifies itself to route rules (paths without prefix)."""

    method: str
    path: str
    rule: str
    endpoint: str


@dataclass
class Fault:
    id: int
    provider: str
    route: str = "*"
    latency_ms: int = 0
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    timeout: bool = False
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    after: bool = False
    webhook: str | None = None
    count: int | None = None

    def matches(self, route: RouteKey) -> bool:
        """``*``; ``METHOD /path`` or ``/path`` (concrete path or URL rule); or an endpoint name."""
        if self.webhook is not None:
            return False
        if self.route == "*":
            return True
        method, _, path = self.route.rpartition(" ")
        if path.startswith("/"):
            method_ok = not method or method.upper() == route.method
            return method_ok and path in (route.path, route.rule)
        return self.route in (route.endpoint, route.endpoint.rpartition(".")[2])

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _check_types(data: Mapping[str, Any]) -> None:
    if "provider" not in data:
        raise FaultError("provider: required")
    unknown = set(data) - set(_FIELD_TYPES) - _ANY_JSON_FIELDS
    if unknown:
        raise FaultError(f"unknown fields: {', '.join(sorted(unknown))}")
    for name, value in data.items():
        types = _FIELD_TYPES.get(name)
        if types is None:  # body: any JSON
            continue
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            raise FaultError(f"{name}: wrong type {type(value).__name__}")
    headers = data.get("headers", {})
    if not all(isinstance(value, str) for value in headers.values()):
        raise FaultError("headers: string values")


def _check_values(rule: Fault, known_providers: Collection[str]) -> None:
    if rule.provider not in known_providers:
        raise FaultError(f"provider: unknown {rule.provider!r}")
    if rule.count is not None and rule.count < 1:
        raise FaultError("count: must be at least 1 (or null for until cleared)")
    if rule.webhook is not None:
        if rule.webhook not in WEBHOOK_MODES:
            raise FaultError(f"webhook: one of {', '.join(WEBHOOK_MODES)}")
        return
    effects = [rule.status is not None, rule.drop, rule.timeout]
    if sum(effects) > 1:
        raise FaultError("status, drop and timeout exclude each other")
    if not any(effects) and (rule.after or rule.latency_ms <= 0):
        raise FaultError("give latency_ms, status, drop or timeout")
    if rule.status is not None and not 100 <= rule.status <= 599:
        raise FaultError("status: an HTTP status code")
    if rule.latency_ms < 0 or rule.timeout_seconds <= 0:
        raise FaultError("latency_ms and timeout_seconds: not negative")


class FaultBook:
    """Thread-safe list of active rules; the first matching rule wins and spends one count."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []
        self._ids = itertools.count(1)
        self._release = threading.Event()

    def add(self, data: Mapping[str, Any], known_providers: Collection[str]) -> Fault:
        _check_types(data)
        with self._lock:
            rule = Fault(id=next(self._ids), **data)
            _check_values(rule, known_providers)
            self._rules.append(rule)
            return rule

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.to_json() for rule in self._rules]

    def clear(self) -> None:
        """Drop every rule and let requests held by a ``timeout`` fault go (they are dropped)."""
        with self._lock:
            self._rules.clear()
            self._release.set()
            self._release = threading.Event()

    def take_route_fault(self, provider: str, route: RouteKey) -> Fault | None:
        return self._take(lambda rule: rule.provider == provider and rule.matches(route))

    def take_webhook_fault(self, provider: str) -> str | None:
        rule = self._take(lambda rule: rule.provider == provider and rule.webhook is not None)
        return rule.webhook if rule else None

    def hold(self, seconds: float) -> None:
        """Block the calling request thread for ``seconds`` or until the rules are cleared."""
        with self._lock:
            release = self._release
        release.wait(seconds)

    def _take(self, wanted: Callable[[Fault], bool]) -> Fault | None:
        """A snapshot of the first wanted rule, after spending one of its count."""
        with self._lock:
            for rule in self._rules:
                if wanted(rule):
                    if rule.count is not None:
                        rule.count -= 1
                        if rule.count == 0:
                            self._rules.remove(rule)
                    return replace(rule)
            return None
