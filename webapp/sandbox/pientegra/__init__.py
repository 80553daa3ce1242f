"""Pientegra simulated to the letter of pientegra-external-api.txt and public-notes §2.

Mounted at ``/pientegra``; the External API's base URL is ``<sandbox>/pientegra/api/v1``
(``POST /pientegra/api/v1/external/deposits``), the hosted deposit page ``/pientegra/d/<token>``.
Deposits are decided by an operator, withdrawals reviewed, sent and returned by one
(``/_sandbox/operator``, ``/pientegra/_operator/``); results go out as signed webhooks.

Modules: ``api`` (routes), ``gate`` (key, rate limit, Idempotency-Key), ``idempotency``,
``wire`` (bodies, amounts, times), ``listing`` (list queries and cursors), ``errors`` (the one
error shape), ``ledger`` (status machine), ``intents``, ``withdrawals``, ``events`` (webhooks,
events ledger, replay), ``hosted`` (deposit page), ``operator``. Each says what is documented
and what is the sandbox's choice.

Settings: ``webhook_url`` (``POST /_sandbox/pientegra/settings {"webhook_url": "http://..."}``;
``""`` unsets it) is where events are posted; without it, config ``PIENTEGRA_WEBHOOK_URL``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ..registry import SandboxProvider, SettingsError
from . import api, operator


class _PientegraProvider(SandboxProvider):
    """A provider whose settings hold one free-text value besides switches: ``webhook_url``."""

    def default_settings(self) -> dict[str, str]:
        return {**super().default_settings(), "webhook_url": ""}

    def checked_settings(self, changes: Mapping[str, Any]) -> dict[str, str]:
        switches = {name: value for name, value in changes.items() if name != "webhook_url"}
        checked = super().checked_settings(switches)
        if "webhook_url" in changes:
            url = changes["webhook_url"]
            if not isinstance(url, str) or (url and not _is_http_url(url)):
                raise SettingsError("webhook_url: an http(s) URL, or empty to unset")
            checked["webhook_url"] = url
        return checked


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


PROVIDER = _PientegraProvider(
    name="pientegra",
    title="Pientegra",
    api=api.bp,
    operator=operator.bp,
    pending_items=operator.pending_items,
    config_keys=("PIENTEGRA_API_KEY", "PIENTEGRA_WEBHOOK_SECRET"),
)
