"""What every External API request passes before its view: key, rate limit, Idempotency-Key.

Documented (public-notes §2.1, §2.2): ``Authorization: Bearer <raw-api-key>``, else 401
``unauthorized`` (missing header, another scheme, unknown key); 60 requests a minute per API
key; an ``Idempotency-Key`` (UUID v4 or v7) on every POST. The sandbox answers a POST without
one with 400 ``idempotency_key_required``, a key that is no such UUID with 400
``validation_failed``, and a rate-limited call with 429 ``rate_limit_exceeded`` and
``Retry-After`` (seconds, on the sandbox clock).

Two phases, because the sandbox's fault layer (``injection.py``) sits between them:

1. ``_claim`` runs ahead of every fault (an app-level hook the blueprint registers before
   ``create_sandbox_app`` installs the fault layer): a POST's Idempotency-Key is claimed the
   moment the request arrives, so an injected latency or timeout happens while the key is held,
   as slowness inside Pientegra would, and a second request meets ``duplicate_idempotency_key``.
2. ``_admit`` runs after the faults, in the documented order: auth, rate limit, the key's
   checks, then the claim's outcome (a 409, a replay, or on to the view).

A view keeps its successful response for replays with ``keep``; a request that ends any other
way (validation error, fault, dropped connection) releases its claim on teardown.

Trust boundary: headers are caller input; only the configured ``PIENTEGRA_API_KEY`` passes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Response, current_app, g, request

from ..auth import bearer_token, matches
from ..services import current
from ..throttle import Rate, seconds_to_wait
from . import idempotency
from .errors import ApiError, invalid

RATE = Rate(requests=60, per_seconds=60)
IDEMPOTENCY_HEADER = "Idempotency-Key"
_UUID_V4_OR_V7 = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[47][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", re.IGNORECASE
)


def install(bp: Blueprint) -> None:
    """Gate ``bp``'s own routes, not those of blueprints nested in it (the hosted page)."""

    def only_ours(phase: Callable[[], Response | None]) -> Callable[[], Response | None]:
        @wraps(phase)
        def gated() -> Response | None:
            return phase() if request.blueprint == bp.name else None

        return gated

    bp.before_app_request(only_ours(_claim))
    bp.before_request(only_ours(_admit))
    bp.teardown_request(_release)


def keep(response: Response) -> Response:
    """Store a successful POST's response for replays under its Idempotency-Key."""
    outcome = g.get("pientegra_idempotency")
    if isinstance(outcome, idempotency.Claim):
        idempotency.complete(outcome, response)
    return response


def _presented_key() -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    return key if key is not None and _UUID_V4_OR_V7.fullmatch(key) else None


def _claim() -> Response | None:
    """Phase 1: never answers; what it found waits in ``g`` for ``_admit``."""
    api_key, key = bearer_token(request.headers), _presented_key()
    if request.method != "POST" or api_key is None or key is None:
        return None
    digest = idempotency.body_digest(request.get_data())
    try:
        g.pientegra_idempotency = idempotency.claim(api_key, request.path, key, digest)
    except ApiError as conflict:
        g.pientegra_idempotency = conflict
    return None


def _admit() -> Response | None:
    """Phase 2: raises Pientegra's refusals; returns a replayed response; None lets the view run."""
    api_key = bearer_token(request.headers)
    if api_key is None or not matches(api_key, current_app.config["PIENTEGRA_API_KEY"]):
        raise ApiError(401, "unauthorized", "missing, malformed or unknown API key")
    sandbox = current()
    wait = seconds_to_wait(sandbox.store, sandbox.clock, "pientegra", "external", api_key, RATE)
    if wait is not None:
        raise ApiError(
            429,
            "rate_limit_exceeded",
            f"more than {RATE.requests} requests a minute for this API key",
            {"retryAfterSeconds": wait},
            {"Retry-After": str(wait)},
        )
    if request.method != "POST":
        return None
    if request.headers.get(IDEMPOTENCY_HEADER) is None:
        raise ApiError(400, "idempotency_key_required", f"{IDEMPOTENCY_HEADER} header is required")
    if _presented_key() is None:
        raise invalid(f"{IDEMPOTENCY_HEADER}: a UUID v4 or v7", IDEMPOTENCY_HEADER)
    outcome = g.get("pientegra_idempotency")
    if isinstance(outcome, ApiError):
        raise outcome
    return outcome if isinstance(outcome, Response) else None


def _release(_error: BaseException | None) -> None:
    outcome = g.pop("pientegra_idempotency", None)
    if isinstance(outcome, idempotency.Claim):
        idempotency.release(outcome)
