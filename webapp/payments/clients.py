"""Provider clients built from the app's settings, one per provider and process.

Each client holds one ``requests`` session (a connection pool) for its provider; building them
once per app keeps the pools warm across requests and threads.
"""

from __future__ import annotations

import redis
from flask import current_app
from redis.backoff import NoBackoff
from redis.retry import Retry

from webapp.providers._ratelimit import InProcessRateLimiter, RateLimiter, RedisRateLimiter
from webapp.providers.nexkasa import NexKasaClient
from webapp.providers.paytrek import PaytrekClient
from webapp.providers.pientegra import REQUESTS_PER_MINUTE, PientegraClient

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


def nexkasa() -> NexKasaClient:
    clients = _clients()
    if "nexkasa" not in clients:
        config = current_app.config
        clients["nexkasa"] = NexKasaClient(config["NEXKASA_BASE_URL"], config["NEXKASA_API_KEY"])
    return clients["nexkasa"]


def pientegra() -> PientegraClient:
    """Pientegra at ``PIENTEGRA_BASE_URL`` exactly as Pientegra assigned it (public-notes §2.1,
    e.g. ``https://api.pientegra.com/api/v1``), with the 60-a-minute budget shared through Redis
    when ``REDIS_URL`` is set, else in this process."""
    clients = _clients()
    if "pientegra" not in clients:
        config = current_app.config
        clients["pientegra"] = PientegraClient(
            config["PIENTEGRA_BASE_URL"],
            config["PIENTEGRA_API_KEY"],
            rate_limiter=_pientegra_limiter(config),
        )
    return clients["pientegra"]


def _pientegra_limiter(config) -> RateLimiter:
    if not config["REDIS_URL"]:
        return InProcessRateLimiter(REQUESTS_PER_MINUTE)
    # Fail fast: the limiter is asked before every call, and a slow Redis must not stall payments.
    client = redis.Redis.from_url(
        config["REDIS_URL"],
        socket_timeout=0.5,
        socket_connect_timeout=0.5,
        retry=Retry(NoBackoff(), 0),
    )
    return RedisRateLimiter(client, REQUESTS_PER_MINUTE)


def paytrek_hosted_page(sale_token: str) -> str:
    return PaytrekClient.hosted_payment_url(current_app.config["PAYTREK_HOSTED_URL"], sale_token)
