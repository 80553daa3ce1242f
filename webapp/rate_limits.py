"""Every rate limit in one table, applied per client address when the app is built.

The limiter is made per app, not shared at import time: Flask-Limiter keeps its storage and
defaults on the instance, so one instance would let one app's settings leak into another's.
Counters live in Redis when ``REDIS_URL`` is set (every worker and host shares them) and in
process memory otherwise (development and tests only; production refuses to start without Redis),
or while Redis cannot be reached.
"""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter

from webapp.extensions import client_address

# endpoint -> (setting holding the limit, methods it counts)
LIMITS: dict[str, tuple[str, list[str]]] = {
    "auth.login": ("LOGIN_RATE_LIMIT", ["POST"]),
}
# Load balancers poll these; static files are cheap and cached; providers call the webhooks
# from a few fixed addresses, some never retry, and every call is authenticated before it acts.
EXEMPT = ("pages.healthz", "pages.readyz", "static")
EXEMPT_BLUEPRINTS = ("hooks",)


def init_app(app: Flask) -> Limiter:
    limiter = Limiter(
        key_func=client_address,
        app=app,
        default_limits=[app.config["PUBLIC_RATE_LIMIT"]],
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        # Redis away must not take the site with it: count in this process meanwhile (each worker
        # then allows the full limit) and go back to Redis once it answers again.
        in_memory_fallback_enabled=True,
        swallow_errors=True,
    )
    for endpoint, (setting, methods) in LIMITS.items():
        limit = limiter.limit(app.config[setting], methods=methods)
        app.view_functions[endpoint] = limit(app.view_functions[endpoint])
    for endpoint in EXEMPT:
        limiter.exempt(app.view_functions[endpoint])
    for name in EXEMPT_BLUEPRINTS:
        limiter.exempt(app.blueprints[name])
    # Limits hold the limiter weakly: the app must keep it alive.
    app.extensions["rate_limiter"] = limiter
    return limiter
