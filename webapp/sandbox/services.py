"""The per-app state of one sandbox: store, clock, faults, webhook sender, providers.

``create_sandbox_app`` builds one ``SandboxServices`` and keeps it in
``app.extensions["sandbox"]``; views reach it with ``current()``. Nothing here is global, so
tests may run several sandboxes in one process.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask import current_app

from .clock import Clock
from .faults import FaultBook
from .registry import SandboxProvider
from .store import Store
from .webhooks import WebhookSender

EXTENSION_KEY = "sandbox"


@dataclass(frozen=True)
class SandboxServices:
    store: Store
    clock: Clock
    faults: FaultBook
    webhooks: WebhookSender
    providers: Mapping[str, SandboxProvider]
    operator_token: str
    """Per-process secret the operator forms carry (CSRF)."""

    @classmethod
    def create(cls, providers: Iterable[SandboxProvider]) -> SandboxServices:
        store, clock, faults = Store(), Clock(), FaultBook()
        return cls(
            store=store,
            clock=clock,
            faults=faults,
            webhooks=WebhookSender(store, clock, faults),
            providers={provider.name: provider for provider in providers},
            operator_token=secrets.token_urlsafe(32),
        )

    def settings(self, provider: str) -> dict[str, str]:
        """A provider's switches: its defaults overridden by ``/_sandbox/<name>/settings``."""
        return self.providers[provider].default_settings() | self.store.settings(provider)

    def reset(self) -> None:
        """Back to a fresh start: records, settings, clock, faults, pending webhooks."""
        with self.store.locked():
            self.webhooks.reset()
            self.store.reset()
        self.faults.clear()
        self.clock.reset()


def current() -> SandboxServices:
    services: SandboxServices = current_app.extensions[EXTENSION_KEY]
    return services
