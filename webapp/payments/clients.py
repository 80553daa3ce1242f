"""Provider clients built from the app's settings, one per provider and process.

Each client holds one ``requests`` session (a connection pool) for its provider; building them
once per app keeps the pools warm across requests and threads.
"""

from __future__ import annotations

from flask import current_app

from webapp.providers.paytrek import PaytrekClient

_KEY = "provider_clients"


def _clients() -> dict:
    return current_app.extensions.setdefault(_KEY, {})


def paytrek() -> PaytrekClient:
    clients = _clients()
    if "paytrek" not in clients:
        config = current_app.config
        clients["paytrek"] = PaytrekClient(
            config["PAYTREK_BASE_URL"], config["PAYTREK_API_KEY"], config["PAYTREK_SECRET"]
        )
    return clients["paytrek"]


def paytrek_hosted_page(sale_token: str) -> str:
    return PaytrekClient.hosted_payment_url(current_app.config["PAYTREK_HOSTED_URL"], sale_token)
